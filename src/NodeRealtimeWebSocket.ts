/**
 * The WebSocket for Node (and other server runtimes): the `ws` package, which sends the API key in
 * an `Authorization` header, so the key never needs to be ephemeral. Provide `layer` to
 * `OpenAIRealtime.layer()` or `OpenAIRealtime.make()`:
 *
 * ```ts
 * import { Layer } from "effect"
 * import { OpenAIRealtime } from "effect-realtime"
 * import { NodeRealtimeWebSocket } from "effect-realtime/node"
 *
 * export const RealtimeLive = OpenAIRealtime.layer().pipe(Layer.provide(NodeRealtimeWebSocket.layer))
 * ```
 *
 * @since 0.2.0
 */
import { Layer } from "effect"
import * as Socket from "effect/socket/Socket"
import { WebSocket } from "ws"
import * as RealtimeWebSocket from "./RealtimeWebSocket.js"

/**
 * Effect's `Socket.WebSocketConstructor` over the `ws` package: handshake headers and
 * sub-protocols both, and reads that pause when the socket's buffer is full.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWebSocketConstructor: Layer.Layer<Socket.WebSocketConstructor> = Layer.succeed(
  Socket.WebSocketConstructor
)((url, options) =>
  options === undefined || typeof options === "string" || Array.isArray(options)
    ? new WebSocket(url, options)
    : new WebSocket(url, options.protocols, options.headers !== undefined ? { headers: options.headers } : {})
)

/**
 * Pings over `ws`: the keepalive of `OpenAIRealtime` (see its `transport` option).
 *
 * @since 0.3.0
 * @category heartbeat
 */
export const heartbeat: RealtimeWebSocket.Heartbeat = {
  ping: (socket) => {
    if (!(socket instanceof WebSocket) || socket.readyState !== WebSocket.OPEN) return false
    socket.ping()
    return true
  },
  onPong: (socket, onPong) => {
    if (!(socket instanceof WebSocket)) return () => {}
    // `ws` passes the pong's data, which `onPong` takes no notice of
    socket.on("pong", onPong)
    return () => void socket.off("pong", onPong)
  }
}

/**
 * The `RealtimeWebSocket` of Node: `ws`, with the credentials in handshake headers and keepalive
 * pings.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<RealtimeWebSocket.RealtimeWebSocket> = RealtimeWebSocket
  .layerWebSocketConstructor({ credentials: "headers", heartbeat })
  .pipe(Layer.provide(layerWebSocketConstructor))
