/**
 * Calls that outlive their connection: the options of `OpenAIRealtime` that keep a call going
 * when its WebSocket does not — keepalive, reconnecting by a `Schedule`, and rolling a session over
 * to a fresh one before the service ends it — and the rule that tells a failure worth retrying
 * from one that is not.
 *
 * What a reconnect keeps and what it loses:
 * - Listeners keep their streams. They see `connection_status` go `reconnecting`, then
 *   `connected`, then a `Reconnected` event saying what was restored and what was lost; an
 *   exhausted schedule or a fatal failure ends them as a drop always did (`ErrorEvent`,
 *   `disconnected`, `EndOfStream`).
 * - The new connection gets the session settings (the initial ones and every later
 *   `SessionUpdate`) and the conversation so far as items: text messages, the user's audio turns as
 *   their transcripts, the model's audio turns as their transcripts (a reply cut off by a barge-in
 *   only up to what the user heard, in whole words), function calls and their outputs (an output
 *   sent just before the drop and never acknowledged included). The playback
 *   trackers are reset. A response asked for and not yet started is asked for again; a response
 *   the drop cut off is reported, not repeated.
 * - Sends during the gap (from the moment the socket is found ended): `SendAudio` is dropped and
 *   counted (stale microphone audio is worth nothing), every other event waits for the new
 *   connection up to `sendTimeout` and then fails with `RealtimeSendError` (`Reconnecting`, or
 *   `Closed` at once when the call ends instead); nothing waits longer.
 * - Every dial resolves the credentials again: an `apiKey` given as an Effect (a client secret
 *   minted per call) runs for each reconnect attempt and for the next session of a rollover.
 *
 * @since 0.3.0
 */
import { Duration, Effect, Schedule } from "effect"
import * as OpenAIProtocol from "./internal/openai/protocol.js"
import type { RealtimeConnectError, RealtimeConnectionLost } from "./RealtimeError.js"

/**
 * What ended a connection that may be reconnected: the loss of a live connection, or a failed dial.
 *
 * @since 0.3.0
 * @category models
 */
export type ReconnectCause = RealtimeConnectionLost | RealtimeConnectError

/**
 * The policy deciding whether, and when, to dial again after a retryable failure: its input is
 * the failure. A fresh copy runs for every outage; the first attempt is made at once, the next
 * ones after the schedule's delays, on the `Clock`.
 *
 * @since 0.3.0
 * @category models
 */
export type ReconnectSchedule = Schedule.Schedule<unknown, ReconnectCause>

/**
 * The default policy: exponential backoff from 250 ms (doubling, ±20 % jitter), each delay capped
 * at 10 seconds, and at most 6 retries after the first attempt — about half a minute in all.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultSchedule: ReconnectSchedule = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(10)))),
  Schedule.upTo({ times: 6 })
)

/**
 * Proactive session rollover: a fresh session is opened and primed in the background before the
 * service's limit ends the current one, and the call switches over at a turn boundary (no response
 * in flight, the user not speaking).
 *
 * @since 0.3.0
 * @category models
 */
export interface RolloverOptions {
  /** The service's maximum session duration. Default 60 minutes (OpenAI's). */
  readonly sessionLimit?: Duration.Input
  /** How long before the limit the new session is prepared. Default 5 minutes. */
  readonly margin?: Duration.Input
}

/**
 * Reconnect options of `OpenAIRealtime`. Reconnecting is off unless this is given.
 *
 * @since 0.3.0
 * @category models
 */
export interface ReconnectOptions {
  /** When to dial again; default {@link defaultSchedule}. */
  readonly schedule?: ReconnectSchedule
  /** How long a send (other than audio) waits for the connection to come back. Default 10 seconds. */
  readonly sendTimeout?: Duration.Input
  /** Session rollover; `false` turns it off. Default: on, with the defaults of `RolloverOptions`. */
  readonly rollover?: RolloverOptions | false
}

/**
 * Transport options of `OpenAIRealtime`, like the reference SDK's transport config (its handshake
 * timeout is `OpenAIRealtime`'s `connectTimeout`).
 *
 * @since 0.3.0
 * @category models
 */
export interface TransportOptions {
  /**
   * How often to ping the server; `false` for no pings. Default 20 seconds. Pings need a WebSocket
   * that can send them (`NodeRealtimeWebSocket`); a browser's WebSocket cannot, and there the
   * browser alone watches the connection.
   */
  readonly pingInterval?: Duration.Input | false
  /** How long a ping may go unanswered before the connection counts as lost. Default 20 seconds. */
  readonly pongTimeout?: Duration.Input
  /** The largest text frame accepted from the server, in bytes; a larger one ends the connection (not retried). Default 16 MiB. */
  readonly maxFrameSize?: number
}

/**
 * Whether a failure is worth another connection. Retryable: a dropped or silent connection, a
 * close by the service for its own reasons (1001 going away, 1011–1014), a `server_error`, a
 * handshake that timed out, was refused or answered with HTTP 408, 429 or 5xx. Fatal: refused
 * credentials (401/403), a missing key, an invalid configuration, an insufficient quota, a frame
 * over the size limit, a close the server meant (1000, 1008, …).
 *
 * These are OpenAI Realtime's rules, which `OpenAIRealtime` reconnects by. `GeminiLive` and
 * `OpenAILive` classify with their own (Gemini's close codes and resumption, Live's
 * `session.closed` reasons: see the README's "Providers" table).
 *
 * @since 0.3.0
 * @category classification
 */
export const isRetryable = (cause: ReconnectCause): boolean => OpenAIProtocol.classify(cause) === "Retryable"
