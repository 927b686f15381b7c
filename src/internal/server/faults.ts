/**
 * The embedded server's connection-level faults, for tests of keepalive, reconnect and session
 * rollover: refusing upgrades (the next K, every one from now on, every reconnect), dropping
 * connections abruptly (every open one now, or the next ones after N events), leaving pings
 * unanswered, and ending a session at its maximum duration the way the service does. It also
 * counts the upgrade attempts the server saw and the connections it accepted.
 *
 * The state is one Ref; each decision (refuse this attempt? drop this connection after how many
 * events?) is one `Ref.modify`, so concurrent upgrades never take the same pending fault twice.
 */
import { Clock, Duration, Effect, Option, Ref } from "effect"
import type { Json } from "./objects.js"

/** Frame faults: what a connection sends wrong on purpose. */
export interface FrameFaults {
  /** Drop a connection abruptly (no close handshake) once this many events were sent on it. */
  readonly closeAfterEvents?: number | undefined
  /** Send a frame that is not JSON once this many events were sent. */
  readonly nonJsonAfterEvents?: number
  /** Send an event of an unknown type once this many events were sent. */
  readonly unknownEventAfterEvents?: number
  /** Delay every frame by this many milliseconds. */
  readonly delayMs?: number
}

/** Connection faults set when the server is made. */
export interface ConnectionFaults {
  /** Refuse every WebSocket upgrade with this HTTP status. */
  readonly refuseUpgrade?: number
  /**
   * Refuse every upgrade after the first accepted connection with this HTTP status (e.g. 401, as
   * the service answers a reconnect whose key was revoked).
   */
  readonly refuseReconnects?: number
  /**
   * How many connections `closeAfterEvents` applies to: the first K accepted; default every one.
   * A reconnecting client is then not dropped again.
   */
  readonly closeAfterEventsConnections?: number
  /** Leave WebSocket pings unanswered (no pong), so a client's keepalive sees a silent peer. */
  readonly ignorePings?: boolean
}

/** Faults a test injects at the moment it chooses, on the running server. */
export interface RuntimeFaults {
  /** Drops every open connection now, without a close handshake; returns how many it dropped. */
  readonly dropAll: Effect.Effect<number>
  /**
   * The next `connections` (default 1) accepted connections are dropped abruptly once `events`
   * (at least 1) server events were sent on each; connections after them are left alone.
   */
  readonly dropAfterEvents: (events: number, connections?: number) => Effect.Effect<void>
  /** Refuses the next `attempts` upgrade attempts with `status` (default 503), then accepts again. */
  readonly refuseNext: (attempts: number, status?: number) => Effect.Effect<void>
  /** Refuses every upgrade from now on with `status` (default 401), until `clear`. */
  readonly refuseFromNow: (status?: number) => Effect.Effect<void>
  /** Leaves pings unanswered from now on (or answers them again), on every connection, open or later. */
  readonly ignorePings: (ignore: boolean) => Effect.Effect<void>
  /** Lifts every runtime fault: pending refusals and drops, refusing from now on, ignored pings. */
  readonly clear: Effect.Effect<void>
}

interface State {
  readonly attempts: number
  readonly accepted: number
  /** The statuses the next upgrade attempts are refused with, in order. */
  readonly refusals: ReadonlyArray<number>
  readonly refuseAll: number | undefined
  /** After how many events each of the next accepted connections is dropped, in order. */
  readonly drops: ReadonlyArray<number>
  readonly ignorePings: boolean
}

/** The fault state of one server and what its upgrade path asks of it. */
export interface Faults {
  readonly runtime: RuntimeFaults
  /** Upgrade attempts seen, refused ones included. */
  readonly attempts: Effect.Effect<number>
  /** Connections accepted (upgraded). */
  readonly accepted: Effect.Effect<number>
  /** Counts an upgrade attempt; the status a fault refuses it with, if one does. */
  readonly onAttempt: Effect.Effect<Option.Option<number>>
  /** Counts an accepted connection; after how many events it is to be dropped, if at all. */
  readonly onAccept: Effect.Effect<number | undefined>
  /** Whether pings go unanswered now; read synchronously when a ping arrives. */
  readonly pingsIgnored: () => boolean
}

/**
 * The fault state of a server: `options` are the faults it was made with; `dropOpen` drops every
 * open connection and says how many.
 */
export const make = (
  options: FrameFaults & ConnectionFaults,
  dropOpen: Effect.Effect<number>
): Effect.Effect<Faults> =>
  Effect.map(
    Ref.make<State>({
      attempts: 0,
      accepted: 0,
      refusals: [],
      refuseAll: undefined,
      drops: [],
      ignorePings: options.ignorePings === true
    }),
    (state): Faults => ({
      runtime: {
        dropAll: Effect.tap(dropOpen, (dropped) =>
          Effect.logDebug("dropping every connection (fault injection)", dropped)),
        dropAfterEvents: (events, connections = 1) =>
          Ref.update(state, (s) => ({
            ...s,
            drops: [
              ...s.drops,
              ...Array.from({ length: Math.max(0, connections) }, () =>
                Math.max(1, events))
            ]
          })),
        refuseNext: (attempts, status = 503) =>
          Ref.update(state, (s) => ({
            ...s,
            refusals: [...s.refusals, ...Array.from({ length: Math.max(0, attempts) }, () => status)]
          })),
        refuseFromNow: (status = 401) => Ref.update(state, (s) => ({ ...s, refuseAll: status })),
        ignorePings: (ignore) => Ref.update(state, (s) => ({ ...s, ignorePings: ignore })),
        clear: Ref.update(state, (s) => ({ ...s, refusals: [], refuseAll: undefined, drops: [], ignorePings: false }))
      },
      attempts: Effect.map(Ref.get(state), (s) => s.attempts),
      accepted: Effect.map(Ref.get(state), (s) => s.accepted),
      onAttempt: Ref.modify(state, (s): [Option.Option<number>, State] => {
        const counted = { ...s, attempts: s.attempts + 1 }
        const [next, ...rest] = s.refusals
        if (next !== undefined) return [Option.some(next), { ...counted, refusals: rest }]
        const status = s.refuseAll ?? options.refuseUpgrade ??
          (s.accepted > 0 ? options.refuseReconnects : undefined)
        return [Option.fromUndefinedOr(status), counted]
      }),
      onAccept: Ref.modify(state, (s): [number | undefined, State] => {
        const accepted = s.accepted + 1
        const [next, ...rest] = s.drops
        if (next !== undefined) return [next, { ...s, accepted, drops: rest }]
        const limit = options.closeAfterEventsConnections
        return [limit === undefined || accepted <= limit ? options.closeAfterEvents : undefined, { ...s, accepted }]
      }),
      pingsIgnored: () => Ref.getUnsafe(state).ignorePings
    })
  )

/** A duration as the service words it: "60 minutes", "90 seconds", "1500 milliseconds". */
const spoken = (limit: Duration.Duration): string => {
  const ms = Duration.toMillis(limit)
  const [amount, unit] = ms % 60_000 === 0
    ? [ms / 60_000, "minute"]
    : ms % 1000 === 0
    ? [ms / 1000, "second"]
    : [ms, "millisecond"]
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`
}

/** How a session ends at its maximum duration: the error event, then a close frame. */
export interface Expiry {
  readonly error: Json
  readonly code: number
  readonly reason: string
}

/** The service's end of a session that hit its maximum duration: `session_expired`, then close 1001. */
export const expiry = (limit: Duration.Duration): Expiry => {
  const message = `Your session hit the maximum duration of ${spoken(limit)}.`
  return {
    error: {
      type: "error",
      error: { type: "invalid_request_error", code: "session_expired", message, param: null, event_id: null }
    },
    code: 1001,
    reason: message
  }
}

/** The session's `expires_at` (epoch seconds): when a session started at `startedAt` (ms) hits `limit`. */
export const expiresAt = (startedAt: number, limit: Duration.Duration): number =>
  Math.floor((startedAt + Duration.toMillis(limit)) / 1000)

/**
 * Waits on the Clock until `startedAt + limit`, then runs `end`. The deadline is fixed at the
 * start, so however late the timer fiber first runs, it ends the session on time.
 */
export const expireAt = <A>(
  startedAt: number,
  limit: Duration.Duration,
  end: Effect.Effect<A>
): Effect.Effect<A> =>
  Clock.currentTimeMillis.pipe(
    Effect.flatMap((now) => Effect.sleep(Math.max(0, startedAt + Duration.toMillis(limit) - now))),
    Effect.andThen(end)
  )
