/**
 * What a connection of the OpenAI model offers its model and its socket reader, and what it is
 * built from. The owner fiber behind it is `connection.ts`.
 */
import type { Effect, Tracer } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import type { RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type * as Mailbox from "../engine/mailbox.js"
import type { Resumption } from "../engine/protocol.js"
import type { EventHub } from "../eventHub.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import type * as History from "./history.js"
import type * as Outbound from "./outbound.js"
import type * as Sequencer from "./sequencer.js"
import type * as State from "./state.js"

/**
 * A transport that can stop reading while the owner catches up (the `ws` socket can; a browser's
 * cannot, and its frames then wait in memory).
 *
 * @category models
 */
export interface Flow {
  readonly pause: () => void
  readonly resume: () => void
}

/**
 * What a connection is built from: the listener hub, the socket's writer, the settings sent at
 * open, the application's playback tracker (if any) and the connection's span.
 *
 * @category models
 */
export interface ConnectionOptions {
  readonly hub: EventHub
  readonly write: (text: string) => Effect.Effect<void, SocketError>
  readonly settings: RealtimeSessionSettings
  readonly customTracker: PlaybackTrackerService | undefined
  readonly span: Tracer.Span
  /** The call's memory, kept across connections: fed with what this connection sees and sends. Default: its own. */
  readonly history?: History.History
  /** How many unprocessed frames may wait before the socket is paused. Default 1024. */
  readonly backlogLimit?: number
  /** Pauses and resumes the socket's reading, where it can; without, frames wait in memory. */
  readonly flow?: Flow
  /** See the response sequencer. Default 30 seconds. */
  readonly staleResponseMs?: number
}

/**
 * A live connection.
 *
 * @category models
 */
export interface Connection {
  /** Hands socket deliveries to the owner, in order; `false` once the owner has stopped. */
  readonly deliverUnsafe: (deliveries: ReadonlyArray<Mailbox.Delivery>) => boolean
  /** {@link deliverUnsafe} as an effect. */
  readonly deliver: (deliveries: ReadonlyArray<Mailbox.Delivery>) => Effect.Effect<boolean>
  /** Whether the socket has ended (as its reader saw, maybe before the owner processed it). */
  readonly isEndedUnsafe: () => boolean
  /** Hands one text frame to the owner; `false` once the owner has stopped. */
  readonly deliverFrameUnsafe: (text: string) => boolean
  /** Sends an event through the owner; ends with its result, or `Closed` once the owner has stopped. */
  readonly send: (event: RealtimeModelSendEvent) => Effect.Effect<void, RealtimeSendError>
  /**
   * Sends an event through the owner if `predicate` holds when the owner reaches it (no other
   * command runs in between); ends with whether it was sent, or `Closed` once the owner has stopped.
   */
  readonly sendIf: (
    event: RealtimeModelSendEvent,
    predicate: (state: RealtimeModelState) => boolean
  ) => Effect.Effect<boolean, RealtimeSendError>
  /**
   * The owner: processes the mailbox until the socket ends (or a turn boundary, after
   * {@link switchAtBoundary}) and returns why it stopped. Run it in exactly one fiber at a time
   * (it can be run again after a boundary); interrupting that fiber stops the connection.
   */
  readonly run: Effect.Effect<Mailbox.Outcome>
  /**
   * Restores a call on this new connection, before `run`: creates the replayed items (their
   * echoes, and the session events of the restore, are kept from the listeners) and asks again
   * for the responses a lost connection left unanswered. Whether it asked for one.
   */
  readonly restore: (
    replay: Resumption<ClientEvent>,
    turns: ReadonlyArray<Sequencer.Turn>
  ) => Effect.Effect<boolean, SocketError | Outbound.SocketEnded>
  /** Makes `run` return at the next turn boundary. */
  readonly switchAtBoundary: Effect.Effect<void>
  /**
   * After a boundary, before the model's sends go to `next`: the sends waiting here move there
   * first, in order, and so does every send this connection still reaches; its frames stay, for
   * the owner to drain. Run by the owner, between two runs.
   */
  readonly handOverUnsafe: (next: Connection) => void
  /** Takes a send handed over by the connection before; `false` once this one has stopped. */
  readonly adoptUnsafe: (command: Mailbox.Command) => boolean
  /** What the connection left unanswered; read by the owner once `run` has returned. */
  readonly unanswered: () => ReturnType<typeof Sequencer.unanswered>
  /** How much per-item and per-response state the connection holds, as the owner sees it now. */
  readonly bookkeeping: Effect.Effect<State.Bookkeeping>
}
