/**
 * Owns Gemini Live as the engine's provider: the call's memory (the protocol's state), what a
 * connection opens with (`setup`, resuming with the latest handle; without one, the conversation
 * as context), how a failure is classified (by the protocol, from what the connection knew when it
 * ended), and where a connection goes with which credentials (the `BidiGenerateContent` WebSocket,
 * the key in `x-goog-api-key`; an ephemeral token on the constrained endpoint).
 */
import { Config, Duration, Effect, Option, Redacted } from "effect"
import * as AudioFormats from "../../AudioFormat.js"
import { apiKeyConfig } from "../../GeminiAuthTokens.js"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import { resolveApiKey } from "../../RealtimeModel.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import * as Ending from "../engine/ending.js"
import type * as Engine from "../engine/protocol.js"
import * as SteppedProvider from "../engine/steppedProvider.js"
import * as Handshake from "../realtime/handshake.js"
import * as Connection from "./connection.js"
import { GeminiProtocol } from "./protocol.js"
import { defaultModel } from "./setup.js"
import * as State from "./state.js"
import type { GeminiState } from "./state.js"

/**
 * Google's endpoint for Live sessions opened with an API key.
 *
 * @category constants
 */
export const defaultUrl =
  "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"

/** The endpoint for sessions opened with an ephemeral token (`auth_tokens/…`), as `access_token`. */
const constrainedPath = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"

/**
 * The key of a connection that gives none: `GEMINI_API_KEY`, else `GOOGLE_API_KEY`, through
 * `Config`; `None` when neither is set.
 *
 * @category credentials
 */
export const environmentKeyConfig: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.option(
  apiKeyConfig
)

/** {@link environmentKeyConfig}, read when a connection is made; blank is none. */
export const environmentApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError> = Effect
  .flatMap(
    Effect.orElseSucceed(environmentKeyConfig, () => Option.none()),
    (key) => Option.isSome(key) ? resolveApiKey(key.value) : Effect.succeed(Option.none())
  )

const isGoogle = (url: URL) => url.hostname === "googleapis.com" || url.hostname.endsWith(".googleapis.com")

/**
 * Where a connection goes and with which credentials: the key in `x-goog-api-key` (Node), an
 * ephemeral token (`auth_tokens/…`, from either) as `access_token` on the constrained endpoint; a
 * plain key in a browser only with `dangerouslyAllowApiKeyInBrowser`, as `key` in the query.
 */
export const resolveTarget = (
  config: RealtimeModelConfig,
  settings: RealtimeSessionSettings,
  webSocket: RealtimeWebSocketService,
  defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
): Effect.Effect<Handshake.Target, RealtimeConnectError> =>
  Effect.gen(function*() {
    if (config.callId !== undefined) {
      return yield* Handshake.connectError("InvalidConfig", "Gemini Live has no calls to attach to: remove callId")
    }
    const url = yield* Handshake.parseUrl(config.url ?? defaultUrl)
    const model = settings.modelName ?? defaultModel
    const apiKey = config.apiKey === undefined ? yield* defaultApiKey : yield* resolveApiKey(config.apiKey)
    const userHeaders = Object.entries(config.headers ?? {})
    if (apiKey._tag === "None" && isGoogle(url)) {
      return yield* Handshake.connectError(
        "MissingApiKey",
        `no API key for ${url.host}: set GEMINI_API_KEY (or GOOGLE_API_KEY), or pass apiKey in the config`,
        { url: Handshake.displayUrl(url) }
      )
    }
    yield* Handshake.refuseInsecure(url, apiKey._tag === "Some" || userHeaders.length > 0)
    const headers: Record<string, string> = {}
    for (const [name, value] of userHeaders) headers[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
    if (apiKey._tag === "Some") {
      const key = Redacted.value(apiKey.value)
      if (key.startsWith("auth_tokens/")) {
        if (url.pathname.endsWith(".BidiGenerateContent")) url.pathname = constrainedPath
        url.searchParams.set("access_token", key)
      } else if (webSocket.credentials === "protocols") {
        if (!webSocket.dangerouslyAllowApiKeyInBrowser) {
          return yield* Handshake.connectError(
            "InvalidConfig",
            "refusing to put a plain API key in a browser WebSocket, where the page can read it: mint an ephemeral token on your server (GeminiAuthTokens), or set dangerouslyAllowApiKeyInBrowser"
          )
        }
        url.searchParams.set("key", key)
      } else {
        headers["x-goog-api-key"] = key
      }
    }
    return {
      url,
      model,
      protocols: undefined,
      headers: webSocket.credentials === "protocols" || Object.keys(headers).length === 0 ? undefined : headers
    }
  })

/** The close of a lost connection, as the protocol classifies it from the state the connection ended in. */
const classify = (state: GeminiState, failure: Engine.Failure): Engine.Verdict => {
  if (failure._tag === "RealtimeConnectError") {
    return Ending.dialRetryable(failure, (status) => GeminiProtocol.classifyHandshake(status)._tag !== "Fatal")
      ? "Retryable"
      : "Fatal"
  }
  if (failure.reason === "KeepaliveTimeout") return "Retryable"
  if (failure.reason === "FrameTooLarge") return "Fatal"
  return GeminiProtocol.classify(state, { code: failure.code, reason: failure.closeReason })._tag
}

/**
 * The options of a Gemini call that are the provider's, not the session's.
 *
 * @category models
 */
export type Options = Partial<State.ProtocolOptions>

/**
 * Gemini Live as the engine's provider, with the provider's options: on a connection after the
 * first, a session without a handle gets the conversation as context after its `setup`.
 *
 * @category constructors
 */
export const make = (options: Options) => {
  const protocolOptions: State.ProtocolOptions = { ...State.defaultOptions, ...options }
  return SteppedProvider.make({
    name: "GeminiLive",
    steps: Connection.steps,
    initial: (settings) =>
      State.make(
        protocolOptions,
        settings,
        AudioFormats.resolve(settings.inputAudioFormat) ?? "pcm16",
        AudioFormats.resolve(settings.outputAudioFormat) ?? "pcm16"
      ),
    refuse: (settings) => {
      const checked = GeminiProtocol.init(settings, protocolOptions)
      return "options" in checked ? undefined : checked
    },
    open: GeminiProtocol.open,
    context: (state) => GeminiProtocol.resume(state).frames,
    lines: (state) => state.history.length,
    classify,
    expire: GeminiProtocol.expire,
    target: resolveTarget,
    // a dead network is noticed within a minute; a connection lives about ten minutes anyway
    pingInterval: Duration.seconds(30)
  })
}
