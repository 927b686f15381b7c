/**
 * effect-realtime/browser: what a browser application adds to the core entry, the global
 * `WebSocket` with sub-protocol credentials (an ephemeral client secret):
 *
 * ```ts
 * import { BrowserRealtimeWebSocket } from "effect-realtime/browser"
 * ```
 *
 * @since 0.2.0
 */

/**
 * The `RealtimeWebSocket` layer of browsers, over the global `WebSocket`.
 *
 * @since 0.2.0
 * @category modules
 */
export * as BrowserRealtimeWebSocket from "./BrowserRealtimeWebSocket.js"
