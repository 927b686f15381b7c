/**
 * What the embedded server's Gemini connections share: the sessions their resumption handles
 * name (each handle keeps the conversation as it was when the handle was sent), and the open
 * connections, so that a test can send `goAway` to each of them or forget every handle at the
 * moment it chooses.
 *
 * Both live in one Ref each; each change is one `Ref.update` or `Ref.modify`.
 */
import { Duration, Effect, Option, Ref } from "effect"
import type { Scope } from "effect"
import type { Entry } from "../conversation.js"

/** An open connection, as the registry reaches it. */
export interface Connection {
  /** Sends `goAway` with this time left, then closes the connection once it has passed. */
  readonly goAway: (timeLeft: Duration.Duration) => Effect.Effect<void>
}

/** The Gemini side of one server. */
export interface Registry {
  /** Keeps the conversation as it is now under a new handle, and returns the handle. */
  readonly save: (entries: ReadonlyArray<Entry>) => Effect.Effect<string>
  /** The conversation a handle keeps; none for a handle never given or forgotten. */
  readonly restore: (handle: string) => Effect.Effect<Option.Option<ReadonlyArray<Entry>>>
  /** Counts a connection open while the scope lasts. */
  readonly register: (connection: Connection) => Effect.Effect<void, never, Scope.Scope>
  /** The operations a test calls. */
  readonly controls: Controls
}

/**
 * Gemini-only events a test injects into a running server.
 */
export interface Controls {
  /**
   * Sends `goAway` with `timeLeft` (default 10 seconds) now to every open Gemini connection, as
   * Google does before a connection's lifetime ends; each connection is closed (1011, "Deadline
   * expired") once that time has passed on the Clock, unless its client left first. Returns how
   * many connections were told.
   */
  readonly goAway: (timeLeft?: Duration.Input) => Effect.Effect<number>
  /**
   * Forgets every resumption handle given so far, as when they expire: a `setup` resuming with
   * one of them is refused. Returns how many were forgotten.
   */
  readonly forgetHandles: Effect.Effect<number>
  /** Gemini connections open now. */
  readonly connections: Effect.Effect<number>
}

/** A new registry; `nextId` names the handles. */
export const make = (nextId: (prefix: string) => Effect.Effect<string>): Effect.Effect<Registry> =>
  Effect.gen(function*() {
    const handles = yield* Ref.make(new Map<string, ReadonlyArray<Entry>>())
    const open = yield* Ref.make(new Set<Connection>())
    return {
      save: (entries) =>
        Effect.flatMap(
          nextId("resume"),
          (handle) => Effect.as(Ref.update(handles, (map) => new Map(map).set(handle, entries)), handle)
        ),
      restore: (handle) => Effect.map(Ref.get(handles), (map) => Option.fromUndefinedOr(map.get(handle))),
      register: (connection) =>
        Effect.asVoid(Effect.acquireRelease(
          Ref.update(open, (set) => new Set(set).add(connection)),
          () =>
            Ref.update(open, (set) => {
              const next = new Set(set)
              next.delete(connection)
              return next
            })
        )),
      controls: {
        goAway: (timeLeft = "10 seconds") =>
          Effect.gen(function*() {
            const left = Option.getOrElse(Duration.fromInput(timeLeft), () => Duration.zero)
            const connections = [...(yield* Ref.get(open))]
            yield* Effect.forEach(connections, (connection) => connection.goAway(left), { discard: true })
            yield* Effect.logDebug("goAway sent (fault injection)", connections.length)
            return connections.length
          }),
        forgetHandles: Ref.modify(handles, (map) => [map.size, new Map()]),
        connections: Effect.map(Ref.get(open), (set) => set.size)
      }
    }
  })
