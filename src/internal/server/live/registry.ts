/**
 * What the embedded server's OpenAI Live connections share: the stored sessions (a session started
 * with `store: true` keeps its configuration and conversation under its id, up to date as the
 * conversation grows, for a later fork to continue), and the open sessions, so that a test can end
 * every one of them at the moment it chooses (`session.closed` with the reason it picks).
 */
import { Effect } from "effect"
import type { Option, Scope } from "effect"
import type { Entry } from "../conversation.js"
import * as Kept from "../kept.js"
import type * as Wire from "./wire.js"

/** Why Live ends a session, as `session.closed` says it. */
export type ClosedReason = Extract<Wire.ServerFrame, { readonly type: "session.closed" }>["reason"]

/** A stored session: its resolved configuration, the instructions appended to it, its conversation. */
export interface Stored {
  readonly resource: Wire.SessionResource
  readonly instructions: string
  readonly entries: ReadonlyArray<Entry>
}

/** An open session, as the registry reaches it. */
export interface Connection {
  /** Ends the session: `session.closed` with this reason, then the close. */
  readonly end: (reason: ClosedReason) => Effect.Effect<void>
}

/** Live-only operations a test calls on a running server. */
export interface Controls {
  /**
   * Ends every open Live session now, as the service ends one: `session.closed` with `reason`
   * (default `connection_lost`) and the session's usage, then the close. Returns how many.
   */
  readonly endSessions: (reason?: ClosedReason) => Effect.Effect<number>
  /** Forgets every stored session, as when they expire: a later fork of one is refused (HTTP 404). */
  readonly forgetStored: Effect.Effect<number>
  /** Live sessions open now. */
  readonly connections: Effect.Effect<number>
}

/** The Live side of one server. */
export interface Registry {
  /** Keeps (or replaces) a stored session under its id. */
  readonly store: (stored: Stored) => Effect.Effect<void>
  /** The stored session with this id; none for one never stored, or forgotten. */
  readonly stored: (id: string) => Effect.Effect<Option.Option<Stored>>
  /** Counts a session open while the scope lasts. */
  readonly register: (connection: Connection) => Effect.Effect<void, never, Scope.Scope>
  readonly controls: Controls
}

/** A new registry. */
export const make: Effect.Effect<Registry> = Effect.map(Kept.make<Stored, Connection>(), (kept) => ({
  store: (stored) => kept.put(stored.resource.id, stored),
  stored: kept.get,
  register: kept.register,
  controls: {
    endSessions: (reason = "connection_lost") =>
      Effect.gen(function*() {
        const open = yield* kept.open
        yield* Effect.forEach(open, (connection) => connection.end(reason), { discard: true })
        yield* Effect.logDebug("Live sessions ended (fault injection)", open.length, reason)
        return open.length
      }),
    forgetStored: kept.forget,
    connections: Effect.map(kept.open, (open) => open.length)
  }
}))
