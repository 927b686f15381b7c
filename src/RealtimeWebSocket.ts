/**
 * The WebSocket a realtime model dials, as a requirement: which implementation opens it, and how
 * the credentials travel over it. The core never picks one itself; the application's layers do:
 *
 * - `NodeRealtimeWebSocket.layer` (`effect-realtime/node`): the `ws` package, which sends the key
 *   in an `Authorization` header;
 * - `BrowserRealtimeWebSocket.layer()` (`effect-realtime/browser`): the global `WebSocket`, which
 *   cannot send headers, so the key travels as a sub-protocol the page can read, and only an
 *   ephemeral client secret is accepted by default;
 * - `layerWebSocketConstructor`: any `Socket.WebSocketConstructor` of Effect's platform packages.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer } from "effect"
import * as Socket from "effect/socket/Socket"

/**
 * How the credentials reach the server: `"headers"` sends them as handshake headers
 * (`Authorization: Bearer …`), which only server runtimes can do; `"protocols"` offers them as a
 * WebSocket sub-protocol, the only way a browser can, where any script of the page can read them.
 *
 * @since 0.2.0
 * @category models
 */
export type Credentials = "headers" | "protocols"

/**
 * Protocol-level pings, for a WebSocket implementation that can send them (`ws` can; a browser's
 * `WebSocket` cannot). The model's keepalive uses them to find a silent peer.
 *
 * @since 0.3.0
 * @category models
 */
export interface Heartbeat {
  /** Sends a ping frame on a socket this service made; `false` when it cannot (not open, not its own). */
  readonly ping: (socket: Socket.WebSocketLike) => boolean
  /** Calls `onPong` at every pong the socket receives, until the returned function is called. */
  readonly onPong: (socket: Socket.WebSocketLike, onPong: () => void) => () => void
}

/**
 * The service: a WebSocket constructor (the shape of Effect's `Socket.WebSocketConstructor`) and
 * the way credentials travel over it.
 *
 * @since 0.2.0
 * @category models
 */
export interface RealtimeWebSocketService {
  /** Makes a WebSocket, which starts connecting at once. */
  readonly construct: (url: string, options?: Socket.WebSocketConstructorOptions) => Socket.WebSocketLike
  /** How the credentials travel; see `Credentials`. */
  readonly credentials: Credentials
  /**
   * With `"protocols"`: whether a plain API key may be sent. By default only an ephemeral client
   * secret (`ek_…`, minted on a server with `OpenAIClientSecrets`) is, since the page can read it.
   */
  readonly dangerouslyAllowApiKeyInBrowser: boolean
  /** Pings, when the implementation can send them; without, the model sends no keepalive pings. */
  readonly heartbeat?: Heartbeat | undefined
}

/**
 * The WebSocket a realtime model dials. `OpenAIRealtime.make` and `OpenAIRealtime.layer` require it.
 *
 * @since 0.2.0
 * @category services
 */
export class RealtimeWebSocket extends Context.Service<RealtimeWebSocket, RealtimeWebSocketService>()(
  "effect-realtime/RealtimeWebSocket"
) {}

/**
 * Options of `layerWebSocketConstructor`.
 *
 * @since 0.2.0
 * @category models
 */
export type ConstructorOptions =
  | { readonly credentials: "headers"; readonly heartbeat?: Heartbeat | undefined }
  | {
    readonly credentials: "protocols"
    readonly dangerouslyAllowApiKeyInBrowser?: boolean | undefined
    readonly heartbeat?: Heartbeat | undefined
  }

/**
 * The service over the `Socket.WebSocketConstructor` in context, e.g. Effect's own
 * `NodeSocket.layerWebSocketConstructor` (Node's global `WebSocket`, which sends headers) or
 * `Socket.layerWebSocketConstructorGlobal` (which cannot, so it needs `"protocols"`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWebSocketConstructor = (
  options: ConstructorOptions
): Layer.Layer<RealtimeWebSocket, never, Socket.WebSocketConstructor> =>
  Layer.effect(
    RealtimeWebSocket,
    Effect.gen(function*() {
      const construct = yield* Socket.WebSocketConstructor
      return RealtimeWebSocket.of({
        construct,
        credentials: options.credentials,
        dangerouslyAllowApiKeyInBrowser: options.credentials === "protocols" &&
          options.dangerouslyAllowApiKeyInBrowser === true,
        heartbeat: options.heartbeat
      })
    })
  )
