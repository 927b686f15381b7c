/**
 * Owns the vocabulary of a call, as its owner (`supervisor.ts`) and the model use it: where the
 * call is (`Phase`), what it is run with, the commands its owner reads, the call's connection
 * with the next session prepared for it, and how a call ends.
 */
import { Duration, Effect } from "effect"
import type { Deferred, Exit, Fiber } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { ConnectionStatus, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { ReconnectSchedule } from "../../RealtimeReconnect.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type * as EventHub from "../eventHub.js"
import { connectError } from "../realtime/handshake.js"
import type { DialOptions, Link, Redialled } from "./dial.js"
import type * as Mailbox from "./mailbox.js"
import type { Leftover, Resumption, Wiring } from "./protocol.js"

/**
 * Where the call is, for the model: `Open` (a connection is the call's) or `Reconnecting` (the
 * gap); in both, its sends go to the call's owner ({@link Sends}).
 *
 * @category models
 */
export type Phase = "Open" | "Reconnecting"

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
  readonly enter: (phase: Phase, owner: Sends) => Effect.Effect<void>
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

/**
 * A connection's ties to the call's owner, for one generation: its methods post to the owner.
 *
 * @category models
 */
export class Wired<F, L extends Leftover> implements Wiring {
  constructor(
    readonly owner: {
      readonly options: {
        readonly reconnect: CallOptions<unknown, F, L>["reconnect"]
        readonly protocol: { readonly awaitsReady?: boolean | undefined }
      }
      post(command: Command<F, L>): boolean
    },
    readonly generation: number
  ) {}
  bounce(send: Mailbox.Send): boolean {
    return this.owner.options.reconnect !== undefined &&
      this.owner.post({ _tag: "Bounced", generation: this.generation, send })
  }
  sessionEnding(inMs: number): void {
    this.owner.post({ _tag: "SessionEnding", generation: this.generation, inMs })
  }
  ready(): void {
    if (this.owner.options.protocol.awaitsReady === true) {
      this.owner.post({ _tag: "Ready", generation: this.generation })
    }
  }
}
