/**
 * The production `RealtimeModel`: OpenAI's Realtime API (GA protocol, `gpt-realtime` models) over
 * WebSocket, and any server that speaks the same protocol (Azure, proxies, local servers) through
 * `url` and `headers`.
 *
 * Each call is run by one owner fiber, forked into the scope `connect` was called in: it dials,
 * takes every send from one command queue, and on its way out closes the socket, ends the spans
 * and tells the listeners; each connection's own owner fiber beside it processes the socket's
 * frames and writes the sends handed to it. `close` (or closing that scope, or the model's)
 * interrupts it and waits for it to finish, so every operation ends in bounded time whatever the
 * socket did. Listeners never hold the connection up beyond their buffering policy: with a
 * bounded `ListenerBuffer`, a full listener pauses the processing of frames (and the reading of
 * the socket), never sends, closes or the final `EndOfStream`.
 *
 * With the `reconnect` option a call outlives its connection: see `RealtimeReconnect` for what is
 * kept across a reconnect and what sends do in the gap. `transport` sets the keepalive pings and
 * the frame size limit.
 *
 * @since 0.1.0
 */
import { Layer } from "effect"
import type { Config, Duration, Effect, Option, Redacted, Scope } from "effect"
import * as Model from "./internal/engine/model.js"
import { provider } from "./internal/openai/provider.js"
import * as Handshake from "./internal/realtime/handshake.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type { ApiKeySource, ListenerBuffer, RealtimeModelService } from "./RealtimeModel.js"
import type { ReconnectOptions, TransportOptions } from "./RealtimeReconnect.js"
import type { RealtimeWebSocket } from "./RealtimeWebSocket.js"

/**
 * Options of a model instance (as opposed to one connection's `RealtimeModelConfig`).
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAIRealtimeOptions {
  /**
   * The key of every connection whose config gives no `apiKey`. Default: `OPENAI_API_KEY`, read
   * through `Config` when the connection is made, from the current `ConfigProvider` (Effect's
   * default one copies the environment once per process); unset or blank: no key, which only a
   * server other than OpenAI's accepts.
   */
  readonly apiKey?: ApiKeySource
  /** Listener buffering; see `ListenerBuffer`. Default `"unbounded"`. */
  readonly listenerBuffer?: ListenerBuffer
  /** How long the WebSocket handshake may take, on the `Clock`. Default 10 seconds. */
  readonly connectTimeout?: Duration.Input
  /** Keepalive pings and the frame size limit; see `TransportOptions`. */
  readonly transport?: TransportOptions
  /** Reconnect after a retryable loss, and roll sessions over; off unless given. See `ReconnectOptions`. */
  readonly reconnect?: ReconnectOptions
}

/**
 * The endpoint used when the config gives no `url`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultUrl: string = Handshake.defaultUrl

/**
 * A new model instance, for one connection at a time, living as long as the Scope (closing the
 * scope closes its connection). Use one instance per call in a server. It dials with the
 * `RealtimeWebSocket` in context: `NodeRealtimeWebSocket.layer` (`effect-realtime/node`) or
 * `BrowserRealtimeWebSocket.layer()` (`effect-realtime/browser`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: OpenAIRealtimeOptions = {}
): Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket> =>
  Model.make(
    provider,
    options,
    options.apiKey === undefined ? Handshake.environmentApiKey : resolveApiKey(options.apiKey)
  )

/**
 * A layer providing one `RealtimeModel` instance for the layer's lifetime. Provide it a
 * `RealtimeWebSocket` layer: `NodeRealtimeWebSocket.layer` or `BrowserRealtimeWebSocket.layer()`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: OpenAIRealtimeOptions = {}): Layer.Layer<RealtimeModel, never, RealtimeWebSocket> =>
  Layer.effect(RealtimeModel, make(options))

/**
 * A layer like {@link layer} whose key is read from `Config` when the layer is built, the way
 * Effect's AI provider clients take theirs: `apiKey` defaults to
 * `Config.option(Config.Redacted("OPENAI_API_KEY"))`. A missing (or blank) key is no key, so the
 * layer builds without one; a connection to OpenAI's host then fails with `MissingApiKey`. A
 * required key (`Config.Redacted("MY_KEY")`) is taken as well: then a missing one fails the layer
 * with its `ConfigError`. A connection's own `apiKey` still wins.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { OpenAIRealtime } from "effect-realtime"
 *
 * // the key must be set: building the layer fails with a ConfigError otherwise
 * const RealtimeLive = OpenAIRealtime.layerConfig({ apiKey: Config.Redacted("MY_REALTIME_KEY") })
 *
 * // the key may be missing: the layer builds, and only a connection to OpenAI's host needs one
 * const Optional = OpenAIRealtime.layerConfig({ apiKey: Config.option(Config.Redacted("MY_REALTIME_KEY")) })
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: {
    /** The key, required or optional; default `Config.option(Config.Redacted("OPENAI_API_KEY"))`. */
    readonly apiKey?:
      | Config.Config<Redacted.Redacted<string>>
      | Config.Config<Option.Option<Redacted.Redacted<string>>>
    /** How long the WebSocket handshake may take; default 10 seconds. */
    readonly connectTimeout?: Config.Config<Duration.Duration>
    /** Listener buffering; see `ListenerBuffer`. Not a `Config`: it is a choice of the program. */
    readonly listenerBuffer?: ListenerBuffer
    /** Keepalive and frame size; see `TransportOptions`. */
    readonly transport?: TransportOptions
    /** Reconnect and rollover; see `ReconnectOptions`. */
    readonly reconnect?: ReconnectOptions
  } = {}
): Layer.Layer<RealtimeModel, Config.ConfigError, RealtimeWebSocket> =>
  Layer.effect(RealtimeModel, Model.makeConfigured(provider, options, Handshake.environmentKeyConfig))
