/**
 * Google's Gemini Live API (`BidiGenerateContent` over WebSocket) as a `RealtimeModel`: an
 * application written against the contract runs on it by changing one layer.
 *
 * The call runs on the same engine as `OpenAIRealtime`: one owner per call, the same listeners,
 * sends, playback tracker and `reconnect` options. What differs is the protocol: the session is
 * opened by a `setup` message built from the session settings (what each setting, send event and
 * server message does on Gemini is in the README's "Providers" table; settings Gemini cannot honour
 * fail the connect with `InvalidConfig`, naming them). `connect` ends when the server has
 * acknowledged the setup (`setupComplete`): a key it refuses fails the connect (`Unauthorized`),
 * and so does a server silent for the connect timeout (`Timeout`).
 *
 * Long calls: Google ends a connection after about ten minutes (it says so first with `goAway`)
 * and an uncompressed audio session after fifteen. Every `setup` asks for session resumption, and
 * with the `reconnect` option a call outlives its connection: after `goAway` the next connection is
 * dialled at once and takes over at the next turn boundary, resuming the session with the latest
 * handle the server gave (nothing is replayed); after a drop the call reconnects by the schedule
 * and resumes the same way. A session that cannot be resumed (no handle yet, or the server refuses
 * it) starts again as a new session with the conversation so far as context (the model's words cut
 * to what the user heard). Context window compression is on by default, so a session is not capped
 * at fifteen minutes.
 *
 * Gemini has no truncation: after an interruption the playback tracker still says which item
 * stopped and how much of it was heard, and only that share of its transcript is kept for a new
 * session's context.
 *
 * @since 0.4.0
 */
import { Layer } from "effect"
import type { Config, Duration, Effect, Option, Redacted, Scope } from "effect"
import * as Model from "./internal/engine/model.js"
import * as Provider from "./internal/gemini/provider.js"
import { defaultModel as defaultModelName } from "./internal/gemini/setup.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type { ApiKeySource, ListenerBuffer, RealtimeModelService } from "./RealtimeModel.js"
import type { ReconnectOptions, TransportOptions } from "./RealtimeReconnect.js"
import type { RealtimeWebSocket } from "./RealtimeWebSocket.js"

/**
 * Options of a Gemini Live model instance.
 *
 * @since 0.4.0
 * @category models
 */
export interface GeminiLiveOptions {
  /**
   * The key of every connection whose config gives none. Default: `GEMINI_API_KEY`, else
   * `GOOGLE_API_KEY`, read through `Config` when the connection is made. From Node it goes in the
   * `x-goog-api-key` header; an ephemeral token (`auth_tokens/…`, see `GeminiAuthTokens`) goes as
   * `access_token` to the constrained endpoint, from Node or a browser.
   */
  readonly apiKey?: ApiKeySource
  /** Listener buffering; see `ListenerBuffer`. Default `"unbounded"`. */
  readonly listenerBuffer?: ListenerBuffer
  /** How long the WebSocket handshake may take, on the `Clock`. Default 10 seconds. */
  readonly connectTimeout?: Duration.Input
  /** Keepalive pings (default every 30 seconds) and the frame size limit; see `TransportOptions`. */
  readonly transport?: TransportOptions
  /**
   * Reconnect after a drop and take over from a session the server ends (`goAway`), resuming by
   * handle; off unless given. `rollover` does not apply: Gemini says when a session ends.
   */
  readonly reconnect?: Omit<ReconnectOptions, "rollover">
  /**
   * Context window compression: a sliding window with the server's own trigger and target
   * (default), given token counts, or `false` (then an audio session ends after about 15 minutes).
   */
  readonly compression?: false | { readonly triggerTokens?: number; readonly targetTokens?: number }
  /** Sampling temperature; the server's default when absent. */
  readonly temperature?: number
  /** How many lines of the conversation are kept for a new session's context. Default 50. */
  readonly historyLimit?: number
}

/**
 * The Live model used when the settings name none.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultModel: string = defaultModelName

/**
 * The endpoint used when the config gives no `url`.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultUrl: string = Provider.defaultUrl

type ProviderOptions = Pick<GeminiLiveOptions, "compression" | "temperature" | "historyLimit">
type CallOptions = Pick<GeminiLiveOptions, "listenerBuffer" | "transport" | "reconnect">

const providerOf = (options: ProviderOptions) =>
  Provider.make({
    ...(options.compression !== undefined ? { compression: options.compression } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {})
  })

const modelOptions = (options: CallOptions, connectTimeout: Duration.Input | undefined): Model.ModelOptions => ({
  listenerBuffer: options.listenerBuffer,
  connectTimeout,
  transport: options.transport,
  reconnect: options.reconnect === undefined ? undefined : { ...options.reconnect, rollover: false }
})

/**
 * A new model instance, for one connection at a time, living as long as the Scope. It dials with
 * the `RealtimeWebSocket` in context (`NodeRealtimeWebSocket.layer` or
 * `BrowserRealtimeWebSocket.layer()`).
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (
  options: GeminiLiveOptions = {}
): Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket> =>
  Model.make(
    providerOf(options),
    modelOptions(options, options.connectTimeout),
    options.apiKey === undefined ? Provider.environmentApiKey : resolveApiKey(options.apiKey)
  )

/**
 * A layer providing one `RealtimeModel` on Gemini Live for the layer's lifetime. Provide it a
 * `RealtimeWebSocket` layer.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GeminiLive } from "effect-realtime"
 * import { NodeRealtimeWebSocket } from "effect-realtime/node"
 *
 * // the key from GEMINI_API_KEY; a call resumes its session after drops and goAway
 * const RealtimeLive = GeminiLive.layer({ reconnect: {} }).pipe(Layer.provide(NodeRealtimeWebSocket.layer))
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: GeminiLiveOptions = {}): Layer.Layer<RealtimeModel, never, RealtimeWebSocket> =>
  Layer.effect(RealtimeModel, make(options))

/**
 * A layer like {@link layer} whose key is read from `Config` when the layer is built: `apiKey`
 * defaults to `GEMINI_API_KEY`, else `GOOGLE_API_KEY`, optional (a connection to Google then fails
 * with `MissingApiKey`); a required `Config` fails the layer with its `ConfigError` when missing.
 *
 * @since 0.4.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<GeminiLiveOptions, "apiKey" | "connectTimeout"> & {
    readonly apiKey?:
      | Config.Config<Redacted.Redacted<string>>
      | Config.Config<Option.Option<Redacted.Redacted<string>>>
    readonly connectTimeout?: Config.Config<Duration.Duration>
  } = {}
): Layer.Layer<RealtimeModel, Config.ConfigError, RealtimeWebSocket> =>
  Layer.effect(
    RealtimeModel,
    Model.makeConfigured(providerOf(options), {
      ...options,
      reconnect: options.reconnect === undefined ? undefined : { ...options.reconnect, rollover: false }
    }, Provider.environmentKeyConfig)
  )
