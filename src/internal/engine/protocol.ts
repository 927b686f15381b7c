/**
 * The contract between the provider-neutral call engine and one provider's wire protocol: what a
 * protocol decides (how a connection opens, what the next connection is given of the call, whether
 * a failure is worth another connection), as pure functions of the call's memory, with no socket,
 * fiber or clock of its own. The engine dials, owns the socket and the call's state, and acts on
 * the answers.
 *
 * Shaped for the three protocols the library speaks: OpenAI Realtime (opens with a `session.update`,
 * resumes by replaying the conversation as items), Gemini Live (opens with its `setup` message,
 * resumes with the session resumption handle the server last gave) and OpenAI Live (opens with its
 * session configuration, keeps the conversation server-side).
 */
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"

/**
 * What ended a connection, or kept one from opening.
 *
 * @category models
 */
export type Failure = RealtimeConnectionLost | RealtimeConnectError

/**
 * A protocol's verdict on a failure: `Retryable` (a new connection may succeed: a drop, the
 * service going away, a refused or timed-out handshake) or `Fatal` (it cannot: refused credentials,
 * an invalid configuration, a close the server meant). Credentials that expired are retryable: the
 * engine resolves them again for every dial.
 *
 * @category models
 */
export type Verdict = "Retryable" | "Fatal"

/**
 * What a new connection is given of a call that had one before: the frames that restore it, in
 * order, before any send of the application; the ids of the items they create again (whose echoes
 * the listeners must not see twice); and how many items could not be carried over.
 *
 * @category models
 */
export interface Resumption<Frame> {
  readonly frames: ReadonlyArray<Frame>
  readonly ids: ReadonlySet<string>
  readonly lost: number
}

/**
 * One provider's protocol, as the engine uses it. `Memory` is what the call keeps across its
 * connections (OpenAI Realtime: the settings and the conversation; Gemini Live: the settings and the
 * resumption handle); the engine's owner fiber is its only writer. `Frame` is a client frame before
 * it is encoded for the socket.
 *
 * @category models
 */
export interface Protocol<Memory, Frame> {
  /** The frames a connection opens with, from the call's memory (its settings, as they are now). */
  readonly open: (memory: Memory) => ReadonlyArray<Frame>
  /**
   * What the next connection is given of the call after a loss or at a rollover. `attached` says
   * the connection attaches to a call the provider holds (a SIP call), whose session kept the
   * conversation: then nothing needs to be given again.
   */
  readonly resume: (memory: Memory, attached: boolean) => Resumption<Frame>
  /** Whether a failure is worth another connection. */
  readonly classify: (failure: Failure) => Verdict
  /** A client frame as the text the socket carries. */
  readonly encode: (frame: Frame) => string
}
