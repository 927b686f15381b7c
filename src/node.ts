/**
 * effect-realtime/node: what a Node application adds to the core entry, the WebSocket over the
 * `ws` package (which sends the API key in a header):
 *
 * ```ts
 * import { NodeRealtimeWebSocket } from "effect-realtime/node"
 * ```
 *
 * @since 0.2.0
 */

/**
 * The `RealtimeWebSocket` layer of Node, over `ws`.
 *
 * @since 0.2.0
 * @category modules
 */
export * as NodeRealtimeWebSocket from "./NodeRealtimeWebSocket.js"
