/**
 * The WebSocket for browsers: the global `WebSocket`. It cannot send headers, so the credentials
 * travel as the `openai-insecure-api-key.<key>` sub-protocol, which any script of the page can
 * read: mint an ephemeral client secret on your server (`OpenAIClientSecrets`) and hand only that
 * to the page. A plain API key is refused unless `dangerouslyAllowApiKeyInBrowser` is set.
 *
 * ```ts
 * import { Layer } from "effect"
 * import { OpenAIRealtime } from "effect-realtime"
 * import { BrowserRealtimeWebSocket } from "effect-realtime/browser"
 *
 * export const RealtimeLive = OpenAIRealtime.layer().pipe(Layer.provide(BrowserRealtimeWebSocket.layer()))
 * ```
 *
 * @since 0.2.0
 */
import { Layer } from "effect"
import * as Socket from "effect/socket/Socket"
import * as RealtimeWebSocket from "./RealtimeWebSocket.js"

/**
 * Options of the browser layer.
 *
 * @since 0.2.0
 * @category models
 */
export interface BrowserOptions {
  /** Lets a plain API key (not an ephemeral `ek_` secret) be sent. It exposes the key to the page. */
  readonly dangerouslyAllowApiKeyInBrowser?: boolean | undefined
}

/**
 * The `RealtimeWebSocket` of browsers: the global `WebSocket`, with the credentials in a
 * sub-protocol.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: BrowserOptions = {}): Layer.Layer<RealtimeWebSocket.RealtimeWebSocket> =>
  RealtimeWebSocket.layerWebSocketConstructor({
    credentials: "protocols",
    dangerouslyAllowApiKeyInBrowser: options.dangerouslyAllowApiKeyInBrowser
  }).pipe(Layer.provide(Socket.layerWebSocketConstructorGlobal))
