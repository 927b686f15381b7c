/**
 * Owns the vocabulary of a call, as its owner (`supervisor.ts`) and the model use it: where the
 * call is (`Phase`), what it is run with, the commands its owner reads, the call's connection
 * with the next session prepared for it, how a call ends, and the preparation of the next session.
 */
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Option, Scope } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { ConnectionStatus, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { ReconnectSchedule } from "../../RealtimeReconnect.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type * as EventHub from "../eventHub.js"
import { connectError } from "../realtime/handshake.js"
import { dial } from "./dial.js"
import type { DialOptions, Link, Redialled } from "./dial.js"
import type * as Mailbox from "./mailbox.js"
import type { Leftover, Resumption, Wiring } from "./protocol.js"

/**
 * Where the call is, for the model: `Open` (a connection is the call's) or `Reconnecting` (the
 * gap); in both, its sends go to the call's `owner`.
 *
 * @category models
 */
export interface Phase {
  readonly _tag: "Open" | "Reconnecting"
  readonly owner: Sends
}

/**
 * The call's owner as the model sends through it.
 *
 * @category models
 */
export interface Sends {
  /** Gives a send to the call's owner; `false` once the call has ended. */
  submit(send: Mailbox.Send): boolean
  /** The caller of a send stopped waiting for it: if it is still held, it is never written. */
  withdraw(send: Mailbox.Send): void
}

/**
 * What a call is run with.
 *
 * @category models
 */
export interface CallOptions<Memory, Frame, Left extends Leftover> extends DialOptions<Memory, Frame, Left> {
  readonly settings: RealtimeSessionSettings
  readonly reconnect:
    | {
      readonly schedule: ReconnectSchedule
      readonly sendTimeout: Duration.Duration
      readonly rollover: { readonly at: Duration.Duration } | undefined
    }
    | undefined
  /** Tells the model where sends go now. */
  readonly enter: (phase: Phase) => Effect.Effect<void>
}

/**
 * A change of the connection's status, as listeners get it.
 *
 * @category events
 */
export const status = (value: ConnectionStatus): RealtimeModelEvent => ({
  _tag: "ConnectionStatusChanged",
  status: value
})

/**
 * Publishes to every listener without waiting: a stalled listener never holds the call up.
 *
 * @category events
 */
export const announce = (hub: EventHub.EventHub, events: ReadonlyArray<RealtimeModelEvent>) =>
  Effect.sync(() => void hub.offerAllUnsafe(events))

/**
 * How a call ended: the loss (or the failed reconnect) to report to listeners.
 *
 * @category models
 */
export type Ended = RealtimeConnectionLost | RealtimeConnectError

/**
 * A request to the call's owner.
 *
 * @category models
 */
export type Command<F, L extends Leftover> =
  | { readonly _tag: "Send"; readonly send: Mailbox.Send }
  | { readonly _tag: "Bounced"; readonly generation: number; readonly send: Mailbox.Send }
  | { readonly _tag: "Expired"; readonly send: Mailbox.Send }
  | { readonly _tag: "Withdrawn"; readonly send: Mailbox.Send }
  | { readonly _tag: "Redialled"; readonly result: Exit.Exit<Redialled<F, L>, RealtimeConnectError> }
  | { readonly _tag: "Drained"; readonly generation: number }
  | { readonly _tag: "SessionEnding"; readonly generation: number; readonly inMs: number }
  | { readonly _tag: "Ready"; readonly generation: number }
  | { readonly _tag: "ReadyTimeout" }

/**
 * The call's connection, with the next session prepared for its rollover (if any).
 *
 * @category models
 */
export interface Current<F, L extends Leftover> {
  readonly link: Link<F, L>
  /** The next session, once its preparation began (made by the call's owner, settled by the preparation). */
  standby: Deferred.Deferred<Link<F, L>> | undefined
  /** Whether the call moved to the standby (otherwise it is closed with this connection). */
  switched: boolean
  /**
   * The preparation of the next session (by the rollover's timer or the service's notice): its
   * fiber, and when it starts dialling (ms of the connection's age).
   */
  rolling: { readonly fiber: Fiber.Fiber<void>; readonly at: number } | undefined
  /** Whether the owner runs it (from its start; a session taken over at a rollover once the old one drained). */
  started: boolean
}

/**
 * A connection as it becomes the call's: no next session prepared yet, not yet run.
 *
 * @category constructors
 */
export const current = <F, L extends Leftover>(link: Link<F, L>): Current<F, L> => ({
  link,
  standby: undefined,
  switched: false,
  rolling: undefined,
  started: false
})

/**
 * The next session of `live`, if it is prepared (dialled and ready to take over).
 *
 * @category rollover
 */
export const prepared = <F, L extends Leftover>(
  live: Current<F, L>
): Effect.Effect<Option.Option<Effect.Effect<Link<F, L>>>> =>
  live.standby === undefined ? Effect.succeedNone : Deferred.poll(live.standby)

/**
 * The event that tells listeners the call goes on over a new connection: why, after how many
 * attempts, what was restored (`replay`, and whether a response was asked for again) and lost.
 *
 * @category events
 */
export const reconnected = (
  cause: "dropped" | "rollover",
  attempts: number,
  replay: Resumption<unknown>,
  responseRequested: boolean,
  cutOff: string | null,
  audioBytes: number
): RealtimeModelEvent => ({
  _tag: "Reconnected",
  cause,
  attempts,
  restored: { settings: true, items: replay.items, responseRequested },
  lost: { responseId: cutOff, audioBytes, items: replay.lost }
})

/**
 * Before the session's limit, in a fiber of its own: dials the next session at `at` (ms of the
 * connection's age), keeps it as the standby, then asks for a switch at the next turn boundary.
 *
 * @category rollover
 */
export const prepareNext = <M, F, L extends Leftover>(
  options: DialOptions<M, F, L>,
  memory: M,
  live: Current<F, L>,
  standby: Deferred.Deferred<Link<F, L>>,
  at: Duration.Duration,
  wired: Wiring
): Effect.Effect<void> =>
  Effect.gen(function*() {
    // a session taken over at a rollover was opened before it took over
    const age = (yield* Clock.currentTimeMillis) - live.link.openedAt
    yield* Effect.sleep(Duration.max(Duration.zero, Duration.subtract(at, Duration.millis(age))))
    yield* Effect.logInfo("the session nears its time limit: preparing the next one")
    const dialled = yield* Effect.exit(
      dial(options, options.retarget, memory, wired, (next) =>
        Effect.flatMap(
          Deferred.succeed(standby, next),
          (kept) => kept ? Effect.void : Scope.close(next.scope, Exit.void)
        ))
    )
    if (Exit.isFailure(dialled)) {
      return yield* Effect.logWarning(
        "the next session could not be prepared; the call reconnects when this one ends",
        dialled.cause
      )
    }
    yield* Effect.logDebug("the next session is ready: it takes over at the next turn boundary")
    yield* live.link.connection.switchAtBoundary
  })

/**
 * Prepares the next session of `live` from `at` (ms of the connection's age), in place of a later
 * preparation; nothing when the next session is already dialled (it takes over as it is). Run by
 * the call's owner, which owns `live`.
 *
 * @category rollover
 */
export const roll = <M, F, L extends Leftover>(
  options: DialOptions<M, F, L>,
  memory: M,
  live: Current<F, L>,
  at: number,
  wiring: () => Wiring
): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (live.standby !== undefined && Option.isSome(yield* Deferred.poll(live.standby))) return
    const before = live.rolling
    if (before !== undefined) yield* Fiber.interrupt(before.fiber)
    const standby = live.standby ??= Deferred.makeUnsafe()
    const fiber = yield* Effect.forkIn(
      prepareNext(options, memory, live, standby, Duration.millis(at), wiring()),
      live.link.scope
    )
    live.rolling = { fiber, at }
  })

/** Credentials named in a close's reason. */
const credentials = /api key|api_key|access token|unauthori[sz]ed|permission|authentication/i

/**
 * A connection the service ended before its session was set up, as the connect's failure.
 *
 * @category models
 */
export const refusal = (loss: RealtimeConnectionLost): RealtimeConnectError =>
  connectError(
    credentials.test(loss.closeReason ?? "") ? "Unauthorized" : "Handshake",
    `the session was not set up: ${loss.message}`,
    { cause: loss }
  )

/**
 * When the rollover starts for a session that opened now, given the limit and the margin.
 *
 * @category calls
 */
export const rolloverAt = (limit: Duration.Input, margin: Duration.Input): Duration.Duration =>
  Duration.max(Duration.zero, Duration.subtract(Duration.fromInputUnsafe(limit), Duration.fromInputUnsafe(margin)))
