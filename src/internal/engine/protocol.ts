/**
 * Owns the contract between the provider-neutral call engine and one provider's wire protocol: what
 * a protocol decides (how a connection opens, what the next connection is given of the call,
 * whether a failure is worth another connection), as pure functions of the call's memory, with no
 * socket, fiber or clock of its own. The engine dials, owns the socket and the call's state, and
 * acts on the answers.
 *
 * Shaped for the three protocols the library speaks: OpenAI Realtime (opens with a `session.update`,
 * resumes by replaying the conversation as items), Gemini Live (opens with its `setup` message,
 * resumes with the session resumption handle the server last gave) and OpenAI Live (opens with its
 * session configuration, keeps the conversation server-side).
 */
import type { Effect, Scope, Tracer } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import type { RealtimeConnectError, RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { EventHub } from "../eventHub.js"
import type * as Keepalive from "./keepalive.js"
import type * as Mailbox from "./mailbox.js"

/**
 * What ended a connection, or kept one from opening.
 *
 * @category models
 */
export type Failure = RealtimeConnectionLost | RealtimeConnectError

/**
 * A protocol's verdict on a failure: `Retryable` (a new connection may succeed: a drop, the
 * service going away, a refused or timed-out handshake), `Expired` (a new connection may succeed,
 * but not by resuming the session: the engine runs the protocol's `expire` on the call's memory
 * first) or `Fatal` (it cannot: refused credentials, an invalid configuration, a close the server
 * meant). Credentials that expired are retryable: the engine resolves them again for every dial.
 *
 * @category models
 */
export type Verdict = "Retryable" | "Expired" | "Fatal"

/**
 * Which connection of a call is being opened: its `first`, one `again` after a loss or at a
 * rollover, or one `attached` again to a call the provider holds (a SIP call), whose session kept
 * the conversation.
 *
 * @category models
 */
export type Opening = "first" | "again" | "attached"

/**
 * What a connection is given when it opens, before any send of the application: the frames, in
 * order (the session's opening, then what restores the conversation); how many items they create
 * again, and their ids (whose echoes the listeners must not see twice); how many items could not
 * be carried over; and whether the listeners must not see the echoes of the opening either (they
 * saw the first connection's).
 *
 * @category models
 */
export interface Resumption<Frame> {
  readonly frames: ReadonlyArray<Frame>
  readonly items: number
  readonly ids: ReadonlySet<string>
  readonly lost: number
  readonly hush: boolean
}

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
 * A connection's own way to send, for whoever drives one connection alone (its tests); in a call,
 * the call's owner hands the application's sends to the connection with `adoptUnsafe`.
 *
 * @category models
 */
export interface Sender {
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
}

/**
 * What a connection left undone when it ended: the response it cut off (if any), and, for the
 * protocol alone, what the next connection asks for again.
 *
 * @category models
 */
export interface Leftover {
  readonly cutOff: string | null
}

/**
 * One connection of a call, as the engine drives it: the socket's reader hands it frames and the
 * end, the engine runs its owner, restores the call on it and hands it over at a rollover. `Frame`
 * is the protocol's client frame, `Left` what it leaves undone.
 *
 * @category models
 */
export interface Generation<Frame, Left extends Leftover> extends Sender {
  /** Hands socket deliveries to the owner, in order; `false` once the owner has stopped. */
  readonly deliverUnsafe: (deliveries: ReadonlyArray<Mailbox.Delivery>) => boolean
  /** Hands one text frame to the owner; `false` once the owner has stopped. */
  readonly deliverFrameUnsafe: (text: string) => boolean
  /** Hands the keepalive's request to the owner; `false` once the owner has stopped. */
  readonly keepaliveUnsafe: (command: Keepalive.Command) => boolean
  /**
   * The owner: processes the connection's commands until the socket ends (or a turn boundary, after
   * {@link switchAtBoundary}) and returns why it stopped. Run it in exactly one fiber at a time (it
   * can be run again after a boundary); interrupting that fiber stops the connection.
   */
  readonly run: Effect.Effect<Mailbox.Outcome>
  /**
   * Opens the call on this new connection, before `run`: writes the resumption (keeping its echoes
   * from the listeners, when it says so) and asks again for what the connection before left undone
   * (nothing at a rollover, where the connection before goes on until a boundary). Whether it asked
   * for a response.
   */
  readonly restore: (resumption: Resumption<Frame>, left: Left | undefined) => Effect.Effect<boolean, Error>
  /** Makes `run` return at the next turn boundary. */
  readonly switchAtBoundary: Effect.Effect<void>
  /**
   * Makes a `run` in progress return `Yielded` once the commands before this request are
   * processed (the call's owner, which runs it, has commands of its own); `false` once stopped.
   */
  readonly yieldUnsafe: () => boolean
  /**
   * After a boundary, before the model's sends go to `next`: the sends waiting here move there
   * first, in order, and so does every send this connection still reaches; its frames stay, for
   * the owner to drain. Run by the owner, between two runs.
   */
  readonly handOverUnsafe: (next: Mailbox.Adopter) => void
  /** Takes a send handed over by the connection before; `false` once this one has stopped. */
  readonly adoptUnsafe: Mailbox.Adopter["adoptUnsafe"]
  /** What the connection left undone; read by the owner once `run` has returned. */
  readonly unanswered: () => Left
}

/**
 * What a connection is built from: the listener hub, the socket's writer, the call's memory, the
 * application's playback tracker (if any), the connection's span, the socket's flow control and
 * its ping.
 *
 * @category models
 */
export interface GenerationOptions<Memory> {
  readonly hub: EventHub
  readonly write: (text: string) => Effect.Effect<void, SocketError>
  readonly memory: Memory
  readonly customTracker: PlaybackTrackerService | undefined
  readonly span: Tracer.Span
  readonly flow: Flow
  /** The keepalive, where the socket can ping: the owner runs it. */
  readonly keepalive?: Keepalive.Pinging | undefined
  /** Where the connection reaches its call's owner (none for a connection outside a call). */
  readonly wiring?: Wiring | undefined
}

/**
 * How a connection is tied to its call's owner: its generation, and what it tells the owner.
 *
 * @category models
 */
export interface Wiring {
  readonly generation: number
  /**
   * Returns a send to the call's owner instead of refusing it, once the socket has ended (or the
   * connection stopped) before it was written: the send waits for the next connection. `false`
   * without a reconnect policy, or when the call's owner has stopped: the send is refused.
   */
  bounce(send: Mailbox.Send): boolean
  /**
   * Tells the call's owner that the service ends this connection's session (Gemini's `goAway`,
   * an OpenAI Live session's expiry): the next session is prepared in `inMs`.
   */
  sessionEnding(inMs: number): void
  /** Tells the call's owner that the session is set up (see {@link Protocol.awaitsReady}). */
  ready(): void
}

/**
 * One provider's protocol, as the engine uses it. `Memory` is what the call keeps across its
 * connections (OpenAI Realtime: the settings and the conversation; Gemini Live: the settings and the
 * resumption handle); the engine's owner fiber is its only writer. `Frame` is a client frame before
 * it is encoded for the socket.
 *
 * @category models
 */
export interface Protocol<Memory, Frame, Left extends Leftover> {
  /** The provider's name, for spans (`<name>.connection`). */
  readonly name: string
  /** The memory of a new call. */
  readonly memory: (settings: RealtimeSessionSettings) => Memory
  /** Builds a connection over a dialled socket; nothing runs until its `run` does. */
  readonly connect: (options: GenerationOptions<Memory>) => Effect.Effect<Generation<Frame, Left>, never, Scope.Scope>
  /**
   * What a connection opens with, from the call's memory as it is now (its settings, its
   * conversation, the handle its session resumes with). Run by the call's owner, which may let it
   * note in the memory what it opened with.
   */
  readonly resume: (memory: Memory, opening: Opening) => Resumption<Frame>
  /** Whether a failure is worth another connection, given what the call's memory says. */
  readonly classify: (memory: Memory, failure: Failure) => Verdict
  /**
   * Where this dial goes, given the call's memory, when that decides it (OpenAI Live continues a
   * stored session at its own URL); without it, the target's URL.
   */
  readonly locate?: (memory: Memory, url: URL) => URL
  /**
   * Whether a connection is usable only once the service says the session is set up (Gemini's
   * `setupComplete`, OpenAI Live's `session.started`): then `connect` ends when the first
   * connection says so (`ready`), and a connection lost before, or a service silent for the
   * connect timeout, fails it.
   */
  readonly awaitsReady?: boolean
  /** After an `Expired` verdict: the memory forgets the session it can no longer resume. */
  readonly expire?: (memory: Memory) => void
  /** A client frame as the text the socket carries. */
  readonly encode: (frame: Frame) => string
}
