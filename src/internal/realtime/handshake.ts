/**
 * Before a connection: where to connect and with which credentials, the WebSocket to dial (the
 * `RealtimeWebSocket` the application provided: one that sends the `Authorization` header, or one
 * that offers the key as a sub-protocol, as browsers must), and why a dial failed, as a typed error.
 *
 * The API key stays `Redacted` until the moment it is handed to the WebSocket; no error, log line
 * or span built here contains it.
 */
import { Config, Effect, Option, Redacted, Result, Schema } from "effect"
import type * as Socket from "effect/socket/Socket"
import { RealtimeConnectError } from "../../RealtimeError.js"
import type { ConnectFailure } from "../../RealtimeError.js"
import { resolveApiKey } from "../../RealtimeModel.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import { defaultModelName, RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"

/**
 * The endpoint used when the config gives no `url`.
 *
 * @category constants
 */
export const defaultUrl = "wss://api.openai.com/v1/realtime"

/**
 * Builds a connect error.
 *
 * @category errors
 */
export const connectError = (
  reason: ConnectFailure,
  message: string,
  extra: { readonly url?: string; readonly status?: number; readonly cause?: unknown } = {}
): RealtimeConnectError =>
  new RealtimeConnectError({
    reason,
    message,
    ...(extra.url !== undefined ? { url: extra.url } : {}),
    ...(extra.status !== undefined ? { status: extra.status } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {})
  })

const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname)

/**
 * Whether the host is OpenAI's, where a connection without a key is refused anyway: the key is
 * asked for before dialling. Other servers (a proxy, a local server) may need none.
 *
 * @category handshake
 */
export const needsApiKey = (url: URL): boolean => url.hostname === "openai.com" || url.hostname.endsWith(".openai.com")

/**
 * A WebSocket URL, or `InvalidConfig` for text that is not one.
 *
 * @category handshake
 */
export const parseUrl = (raw: string): Effect.Effect<URL, RealtimeConnectError> => {
  const url = URL.canParse(raw) ? new URL(raw) : undefined
  if (url === undefined) return Effect.fail(connectError("InvalidConfig", `${JSON.stringify(raw)} is not a valid URL`))
  return url.protocol === "ws:" || url.protocol === "wss:"
    ? Effect.succeed(url)
    : Effect.fail(
      connectError("InvalidConfig", `the URL must use ws:// or wss://, got ${url.protocol}//`, { url: displayUrl(url) })
    )
}

/**
 * Refuses to send credentials over plain `ws://` to anything but a loopback address.
 *
 * @category handshake
 */
export const refuseInsecure = (url: URL, credentials: boolean): Effect.Effect<void, RealtimeConnectError> =>
  url.protocol === "ws:" && !isLoopback(url.hostname) && credentials
    ? Effect.fail(connectError(
      "InsecureTransport",
      `refusing to send credentials over unencrypted ws:// to ${url.host}: use wss:// (plain ws:// is only allowed to loopback addresses)`,
      { url: displayUrl(url) }
    ))
    : Effect.void

/**
 * Whether a target sends credentials (an Authorization or other header, a key sub-protocol, a key
 * or token in the query).
 *
 * @category handshake
 */
export const sendsCredentials = (target: Target): boolean =>
  Object.keys(target.headers ?? {}).length > 0 || (target.protocols ?? []).some((protocol) =>
    protocol !== "realtime"
  ) ||
  target.url.searchParams.has("key") || target.url.searchParams.has("access_token")

/**
 * The URL without its query string, for messages and spans.
 *
 * @category utils
 */
export const displayUrl = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`

const decodeSettingsInput = Schema.decodeUnknownResult(RealtimeSessionSettings)

/**
 * The connection's initial settings, decoded (every audio format spelling accepted).
 *
 * @category handshake
 */
export const decodeSettings = (input: unknown): Effect.Effect<RealtimeSessionSettings, RealtimeConnectError> => {
  if (input === undefined) return Effect.succeed({})
  const decoded = decodeSettingsInput(input)
  return Result.isSuccess(decoded)
    ? Effect.succeed(decoded.success)
    : Effect.fail(
      connectError("InvalidConfig", `invalid initial settings: ${decoded.failure.message}`, { cause: decoded.failure })
    )
}

/**
 * Where and how to connect, with the credentials ready to hand to the WebSocket.
 *
 * @category models
 */
export interface Target {
  readonly url: URL
  readonly model: string
  readonly protocols: Array<string> | undefined
  readonly headers: Record<string, string> | undefined
}

/**
 * `OPENAI_API_KEY` through `Config`, `None` when unset.
 *
 * @category credentials
 */
export const environmentKeyConfig: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.option(
  Config.Redacted("OPENAI_API_KEY")
)

/**
 * The key of a connection that gives none: `OPENAI_API_KEY`, read through `Config` when the
 * connection is made; `None` when it is unset or blank.
 *
 * @category credentials
 */
export const environmentApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError> = Effect
  .flatMap(
    Effect.orElseSucceed(environmentKeyConfig, () => Option.none()),
    (key) => Option.isSome(key) ? resolveApiKey(key.value) : Effect.succeed(Option.none())
  )

/**
 * Works out where to connect and with which credentials; nothing is opened yet. `defaultApiKey`
 * is the model's key for a connection whose config gives none.
 *
 * @category handshake
 */
export const resolveTarget = (
  config: RealtimeModelConfig,
  settings: RealtimeSessionSettings,
  webSocket: Pick<RealtimeWebSocketService, "credentials" | "dangerouslyAllowApiKeyInBrowser">,
  defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
): Effect.Effect<Target, RealtimeConnectError> =>
  Effect.gen(function*() {
    if (config.callId !== undefined && settings.modelName !== undefined) {
      return yield* connectError("InvalidConfig", "give either a callId (to attach to a call) or a modelName, not both")
    }
    const model = settings.modelName ?? defaultModelName
    const raw = config.url ??
      `${defaultUrl}?${
        config.callId !== undefined
          ? `call_id=${encodeURIComponent(config.callId)}`
          : `model=${encodeURIComponent(model)}`
      }`
    const url = yield* parseUrl(raw)
    // a call is named in the URL, whichever server it is on
    if (config.callId !== undefined && !url.searchParams.has("call_id")) url.searchParams.set("call_id", config.callId)
    const apiKey = config.apiKey === undefined ? yield* defaultApiKey : yield* resolveApiKey(config.apiKey)
    const userHeaders = Object.entries(config.headers ?? {})
    const hasAuthorization = userHeaders.some(([name]) => name.toLowerCase() === "authorization")
    // OpenAI always needs a key; any other server decides for itself (a 401 then says so)
    if (apiKey._tag === "None" && !hasAuthorization && needsApiKey(url)) {
      return yield* connectError(
        "MissingApiKey",
        `no API key for ${url.host}: set OPENAI_API_KEY, or pass apiKey (or an Authorization header) in the config`,
        { url: displayUrl(url) }
      )
    }
    yield* refuseInsecure(url, apiKey._tag === "Some" || userHeaders.length > 0)
    if (webSocket.credentials === "protocols") {
      if (apiKey._tag === "None") {
        if (needsApiKey(url)) {
          return yield* connectError(
            "MissingApiKey",
            "the browser WebSocket authenticates with a key or client secret: pass apiKey"
          )
        }
        return { url, model, protocols: ["realtime"], headers: undefined }
      }
      const key = Redacted.value(apiKey.value)
      if (!key.startsWith("ek_") && !webSocket.dangerouslyAllowApiKeyInBrowser) {
        return yield* connectError(
          "InvalidConfig",
          "refusing to put a plain API key in a browser WebSocket, where the page can read it: mint an ephemeral client secret on your server, or set dangerouslyAllowApiKeyInBrowser"
        )
      }
      return { url, model, protocols: ["realtime", `openai-insecure-api-key.${key}`], headers: undefined }
    }
    const headers: Record<string, string> = {}
    if (apiKey._tag === "Some" && !hasAuthorization) headers["Authorization"] = `Bearer ${Redacted.value(apiKey.value)}`
    for (const [name, value] of userHeaders) headers[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
    return { url, model, protocols: undefined, headers }
  })

/**
 * The `Error` inside a socket failure (a ws `ErrorEvent` carries one), never the event itself.
 *
 * @category errors
 */
export const errorOf = (cause: unknown): Error | undefined => {
  if (cause instanceof Error) return cause
  if (typeof cause === "object" && cause !== null && "error" in cause && cause.error instanceof Error) {
    return cause.error
  }
  return undefined
}

/**
 * A readable detail of a socket failure's cause.
 *
 * @category errors
 */
export const detailOf = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null) {
    if ("message" in cause && typeof cause.message === "string" && cause.message.length > 0) return cause.message
    if ("error" in cause) return detailOf(cause.error)
    // a browser's WebSocket error event says nothing more, by design
    if ("type" in cause && typeof cause.type === "string") return `a WebSocket "${cause.type}" event, with no detail`
  }
  return String(cause)
}

/**
 * Why the WebSocket did not open, as a typed error. `sentCredentials` (see `sendsCredentials`)
 * tells a 401 for a missing key (`MissingApiKey`) from one for a wrong key (`Unauthorized`).
 *
 * @category errors
 */
export const openFailure = (
  error: Socket.SocketError,
  url: string,
  sentCredentials?: boolean
): RealtimeConnectError => {
  const reason = error.reason
  switch (reason._tag) {
    case "SocketOpenError":
      if (reason.kind === "Timeout") {
        return connectError("Timeout", `the WebSocket handshake with ${url} timed out`, { url, cause: error })
      }
      break
    case "SocketCloseError":
      return connectError("Handshake", `${url} closed the connection during the handshake (code ${reason.code})`, {
        url,
        cause: error
      })
    default:
      break
  }
  // the Error underneath when there is one (ws), else the socket's own error (a browser's event says nothing)
  const cause = ("cause" in reason ? errorOf(reason.cause) : undefined) ?? error
  const detail = "cause" in reason ? detailOf(reason.cause) : reason.message
  const status = /Unexpected server response: (\d+)/.exec(detail)
  if (status !== null) {
    const code = Number(status[1])
    if (code === 401 && sentCredentials === false) {
      return connectError(
        "MissingApiKey",
        `${url} refused the connection with HTTP 401: it needs an API key (set OPENAI_API_KEY, or pass apiKey in the config)`,
        { url, status: code, cause }
      )
    }
    if (code === 401 || code === 403) {
      const message = sentCredentials === true
        ? `${url} refused the credentials (HTTP ${code}): check the API key`
        : `${url} refused the connection (HTTP ${code}): it needs a valid API key (set OPENAI_API_KEY, or pass apiKey in the config)`
      return connectError("Unauthorized", message, { url, status: code, cause })
    }
    return connectError("Handshake", `${url} refused the WebSocket upgrade with HTTP ${code}`, {
      url,
      status: code,
      cause
    })
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(detail)) {
    return connectError("HostNotFound", `the host of ${url} could not be resolved (${detail})`, { url, cause })
  }
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH/.test(detail)) {
    return connectError("Refused", `could not connect to ${url}: ${detail}`, { url, cause })
  }
  return connectError("Handshake", `could not open a WebSocket to ${url}: ${detail}`, { url, cause })
}
