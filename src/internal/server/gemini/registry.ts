/**
 * What the embedded server's Gemini connections share: the sessions their resumption handles
 * name (each handle keeps the conversation as it was when the handle was sent), and the open
 * connections, so that a test can send `goAway` to each of them or forget every handle at the
 * moment it chooses.
 *
 * Both are kept as every front-end keeps them (`kept.ts`).
 */
import { Duration, Effect, Option } from "effect"
import type { Scope } from "effect"
import type { Entry } from "../conversation.js"
import * as Kept from "../kept.js"

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
  Effect.map(Kept.make<ReadonlyArray<Entry>, Connection>(), (kept) => ({
    save: (entries) => Effect.flatMap(nextId("resume"), (handle) => Effect.as(kept.put(handle, entries), handle)),
    restore: kept.get,
    register: kept.register,
    controls: {
      goAway: (timeLeft = "10 seconds") =>
        Effect.gen(function*() {
          const left = Option.getOrElse(Duration.fromInput(timeLeft), () => Duration.zero)
          const connections = yield* kept.open
          yield* Effect.forEach(connections, (connection) => connection.goAway(left), { discard: true })
          yield* Effect.logDebug("goAway sent (fault injection)", connections.length)
          return connections.length
        }),
      forgetHandles: kept.forget,
      connections: Effect.map(kept.open, (open) => open.length)
    }
  }))
