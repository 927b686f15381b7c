/**
 * effect-realtime: realtime speech models (OpenAI's Realtime API and servers that speak its
 * protocol) as Effect services. Each module is exported as a namespace.
 *
 * This entry imports nothing from Node and not `ws`: the WebSocket is the `RealtimeWebSocket`
 * requirement, provided by `effect-realtime/node` (`ws`, headers) or `effect-realtime/browser`
 * (the global `WebSocket`, sub-protocol credentials).
 *
 * Test tools (the scripted model, and the embedded server, which needs Node) are in
 * `effect-realtime/testing`.
 *
 * @since 0.1.0
 */

/**
 * Audio formats and durations.
 *
 * @since 0.1.0
 * @category modules
 */
export * as AudioFormat from "./AudioFormat.js"
/**
 * How much of the model's audio the user has heard.
 *
 * @since 0.1.0
 * @category modules
 */
export * as PlaybackTracker from "./PlaybackTracker.js"
/**
 * Conversation items.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeItem from "./RealtimeItem.js"
/**
 * Session settings.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeSessionSettings from "./RealtimeSessionSettings.js"
/**
 * Events a model emits.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeModelEvent from "./RealtimeModelEvent.js"
/**
 * Events an application sends.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeModelSendEvent from "./RealtimeModelSendEvent.js"
/**
 * Typed errors.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeError from "./RealtimeError.js"
/**
 * The RealtimeModel service contract.
 *
 * @since 0.1.0
 * @category modules
 */
export * as RealtimeModel from "./RealtimeModel.js"
/**
 * The production model: OpenAI's Realtime API over WebSocket.
 *
 * @since 0.1.0
 * @category modules
 */
export * as OpenAIRealtime from "./OpenAIRealtime.js"
/**
 * Google's Gemini Live API as a model, on the same engine.
 *
 * @since 0.4.0
 * @category modules
 */
export * as GeminiLive from "./GeminiLive.js"
/**
 * OpenAI's Live API (full duplex, `gpt-live` models) as a model, on the same engine.
 *
 * @since 0.4.0
 * @category modules
 */
export * as OpenAILive from "./OpenAILive.js"
/**
 * Calls that outlive their connection: keepalive, reconnect by a Schedule, session rollover, and
 * which failures are worth a retry.
 *
 * @since 0.3.0
 * @category modules
 */
export * as RealtimeReconnect from "./RealtimeReconnect.js"
/**
 * The WebSocket a model dials, as a requirement: provide `NodeRealtimeWebSocket.layer`
 * (`effect-realtime/node`) or `BrowserRealtimeWebSocket.layer()` (`effect-realtime/browser`).
 *
 * @since 0.2.0
 * @category modules
 */
export * as RealtimeWebSocket from "./RealtimeWebSocket.js"
/**
 * The Realtime Calls REST operations of SIP calls (accept, reject, refer, hang up).
 *
 * @since 0.2.0
 * @category modules
 */
export * as OpenAICalls from "./OpenAICalls.js"
/**
 * Ephemeral client secrets for browser apps, minted on the server with the real key.
 *
 * @since 0.2.0
 * @category modules
 */
export * as OpenAIClientSecrets from "./OpenAIClientSecrets.js"
/**
 * Ephemeral Gemini Live tokens for browser apps, minted on the server with the real key.
 *
 * @since 0.4.0
 * @category modules
 */
export * as GeminiAuthTokens from "./GeminiAuthTokens.js"
/**
 * Tools as `effect/ai` Toolkits: put into the session, their calls answered by the toolkit's
 * handlers, interrupted on a barge-in.
 *
 * @since 0.4.0
 * @category modules
 */
export * as RealtimeTools from "./RealtimeTools.js"
