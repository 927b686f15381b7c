/**
 * OpenAI's Live API (`/v1/live/sessions` over WebSocket, `gpt-live` models) as a
 * `RealtimeModel`: the full-duplex model that listens while it speaks, runs its own turns and
 * interrupts itself, and hands tools to a Responses model (or to the application). An application
 * written against the contract runs on it by changing one layer.
 *
 * What the contract means for a model that runs its own turns (the README's "Providers" table has
 * every send event, event and setting):
 * - turn events are drawn by the protocol from the audio (a turn ends on the model's quiet);
 *   when the model stops for the user it is `AudioInterrupted`, as a barge-in is elsewhere;
 * - `Interrupt` stops playback on the client and drops the rest of the turn (Live cancels and
 *   truncates nothing): the model is told, silently, what the user heard; `cancelResponseOnly` is
 *   refused;
 * - `UserInput` text goes in as context the model reads (Live has no user text message); images
 *   are refused;
 * - with tools, the session delegates to a Responses model whose function calls are `FunctionCall`
 *   events, answered with `ToolOutput`.
 *
 * Long calls: a session ends at its duration limit (`session.started` says when). With the
 * `reconnect` option the next session is prepared a minute before and takes over at a turn
 * boundary; after a drop the call reconnects by the schedule. A new session gets the conversation
 * so far as its startup history (the model's words cut to what was heard), or, with `store`, forks
 * the stored session. The call's close sends `session.close` before the socket closes. From Node
 * only: the key goes in an `Authorization` header, which a browser's WebSocket cannot send.
 *
 * @since 0.4.0
 */
import { Layer } from "effect"
import type { Config, Duration, Effect, Option, Redacted, Scope } from "effect"
import * as Model from "./internal/engine/model.js"
import * as Provider from "./internal/openaiLive/provider.js"
import { defaultModel as defaultModelName } from "./internal/openaiLive/session.js"
import * as Handshake from "./internal/realtime/handshake.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type { ApiKeySource, ListenerBuffer, RealtimeModelService } from "./RealtimeModel.js"
import type { ReconnectOptions, TransportOptions } from "./RealtimeReconnect.js"
import type { RealtimeWebSocket } from "./RealtimeWebSocket.js"

/**
 * Options of an OpenAI Live model instance.
 *
 * @since 0.4.0
 * @category models
 */
export interface OpenAILiveOptions {
  /** The key of every connection whose config gives none. Default: `OPENAI_API_KEY` through `Config`. */
  readonly apiKey?: ApiKeySource
  /** Listener buffering; see `ListenerBuffer`. Default `"unbounded"`. */
  readonly listenerBuffer?: ListenerBuffer
  /** How long the WebSocket handshake may take, on the `Clock`. Default 10 seconds. */
  readonly connectTimeout?: Duration.Input
  /** Keepalive pings (default every 20 seconds) and the frame size limit; see `TransportOptions`. */
  readonly transport?: TransportOptions
  /**
   * Reconnect after a drop and move to a new session before the old one expires; off unless
   * given. `rollover` does not apply: the session says when it expires.
   */
  readonly reconnect?: Omit<ReconnectOptions, "rollover">
  /** The Responses model tools are delegated to. Default `gpt-5.6`. */
  readonly backendModel?: string
  /** Instructions for that backend model. */
  readonly backendInstructions?: string
  /** Whether OpenAI stores the session: a new connection then forks it, conversation and all. Default `false`. */
  readonly store?: boolean
  /** A stable identifier of the end user, for OpenAI's safety monitoring. */
  readonly safetyIdentifier?: string
  /**
   * Whether a `SessionUpdate` of what a session's start fixes (instructions, voice, model, …) moves
   * the call to a new session at the next turn boundary (needs `reconnect`) instead of being
   * refused. Default `false`.
   */
  readonly newSessionOnChange?: boolean
  /** How many lines of the conversation a new session gets as its startup history. Default 128. */
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

type ProviderKeys =
  | "backendModel"
  | "backendInstructions"
  | "store"
  | "safetyIdentifier"
  | "newSessionOnChange"
  | "historyLimit"

const providerOf = (options: Pick<OpenAILiveOptions, ProviderKeys>) => {
  const chosen: Provider.Options = {}
  for (
    const key of [
      "backendModel",
      "backendInstructions",
      "store",
      "safetyIdentifier",
      "newSessionOnChange",
      "historyLimit"
    ] as const
  ) {
    if (options[key] !== undefined) Object.assign(chosen, { [key]: options[key] })
  }
  return Provider.make(chosen)
}

const noRollover = (reconnect: OpenAILiveOptions["reconnect"]): ReconnectOptions | undefined =>
  reconnect === undefined ? undefined : { ...reconnect, rollover: false }

/**
 * A new model instance, for one connection at a time, living as long as the Scope. It dials with
 * `NodeRealtimeWebSocket.layer`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (
  options: OpenAILiveOptions = {}
): Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket> =>
  Model.make(
    providerOf(options),
    { ...options, reconnect: noRollover(options.reconnect) },
    options.apiKey === undefined ? Handshake.environmentApiKey : resolveApiKey(options.apiKey)
  )

/**
 * A layer providing one `RealtimeModel` on OpenAI Live for the layer's lifetime. Provide it
 * `NodeRealtimeWebSocket.layer`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { OpenAILive } from "effect-realtime"
 * import { NodeRealtimeWebSocket } from "effect-realtime/node"
 *
 * // the key from OPENAI_API_KEY; a call moves to a new session before its session expires
 * const RealtimeLive = OpenAILive.layer({ reconnect: {} }).pipe(Layer.provide(NodeRealtimeWebSocket.layer))
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: OpenAILiveOptions = {}): Layer.Layer<RealtimeModel, never, RealtimeWebSocket> =>
  Layer.effect(RealtimeModel, make(options))

/**
 * A layer like {@link layer} whose key is read from `Config` when the layer is built: `apiKey`
 * defaults to an optional `OPENAI_API_KEY` (a connection to OpenAI then fails with
 * `MissingApiKey`); a required `Config` fails the layer with its `ConfigError` when missing.
 *
 * @since 0.4.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<OpenAILiveOptions, "apiKey" | "connectTimeout"> & {
    readonly apiKey?:
      | Config.Config<Redacted.Redacted<string>>
      | Config.Config<Option.Option<Redacted.Redacted<string>>>
    readonly connectTimeout?: Config.Config<Duration.Duration>
  } = {}
): Layer.Layer<RealtimeModel, Config.ConfigError, RealtimeWebSocket> =>
  Layer.effect(
    RealtimeModel,
    Model.makeConfigured(
      providerOf(options),
      { ...options, reconnect: noRollover(options.reconnect) },
      Handshake.environmentKeyConfig
    )
  )
