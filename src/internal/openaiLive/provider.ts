/**
 * Owns OpenAI Live as the engine's provider: the call's memory (the protocol's state), what a
 * connection opens with (`session.start`: a new session with the conversation so far as its
 * startup history, or the fork of the stored session), where it dials (`/v1/live/sessions`, or the
 * stored session's fork), how a failure is classified (by the protocol, from the state the
 * connection ended in), and the credentials (the key as a Bearer token, from Node).
 */
import { Duration, Effect, Redacted } from "effect"
import type { Option } from "effect"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import { resolveApiKey } from "../../RealtimeModel.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import type * as Engine from "../engine/protocol.js"
import * as SteppedProvider from "../engine/steppedProvider.js"
import * as Handshake from "../realtime/handshake.js"
import * as Connection from "./connection.js"
import { OpenAILiveProtocol } from "./protocol.js"
import * as Session from "./session.js"
import * as State from "./state.js"
import type { LiveState } from "./state.js"

/**
 * OpenAI's endpoint for new Live sessions.
 *
 * @category constants
 */
export const defaultUrl: string = OpenAILiveProtocol.url()

/**
 * Where a connection goes and with which credentials: the key as `Authorization: Bearer` (Node).
 * A browser's WebSocket cannot send that header, so a browser connection is refused.
 */
export const resolveTarget = (
  config: RealtimeModelConfig,
  settings: RealtimeSessionSettings,
  webSocket: RealtimeWebSocketService,
  defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
): Effect.Effect<Handshake.Target, RealtimeConnectError> =>
  Effect.gen(function*() {
    if (config.callId !== undefined) {
      return yield* Handshake.connectError("InvalidConfig", "OpenAI Live has no calls to attach to: remove callId")
    }
    if (webSocket.credentials === "protocols") {
      return yield* Handshake.connectError(
        "InvalidConfig",
        "OpenAI Live's WebSocket takes its key in an Authorization header, which a browser's WebSocket cannot send: connect from a server"
      )
    }
    const url = yield* Handshake.parseUrl(config.url ?? defaultUrl)
    const apiKey = config.apiKey === undefined ? yield* defaultApiKey : yield* resolveApiKey(config.apiKey)
    const userHeaders = Object.entries(config.headers ?? {})
    const hasAuthorization = userHeaders.some(([name]) => name.toLowerCase() === "authorization")
    if (apiKey._tag === "None" && !hasAuthorization && Handshake.needsApiKey(url)) {
      return yield* Handshake.connectError(
        "MissingApiKey",
        `no API key for ${url.host}: set OPENAI_API_KEY, or pass apiKey (or an Authorization header) in the config`,
        { url: Handshake.displayUrl(url) }
      )
    }
    yield* Handshake.refuseInsecure(url, apiKey._tag === "Some" || userHeaders.length > 0)
    const headers: Record<string, string> = {}
    if (apiKey._tag === "Some" && !hasAuthorization) {
      Object.assign(headers, OpenAILiveProtocol.authHeaders(Redacted.value(apiKey.value)))
    }
    for (const [name, value] of userHeaders) headers[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
    return { url, model: settings.modelName ?? Session.defaultModel, protocols: undefined, headers }
  })

/** A stored session is continued at its fork's URL, beside the new sessions' endpoint. */
const locate = (state: LiveState, url: URL): URL => {
  const forkOf = state.options.store ? state.sessionId : null
  if (forkOf === null || !url.pathname.endsWith("/live/sessions")) return url
  const located = new URL(url.href)
  located.pathname = `${url.pathname}/${encodeURIComponent(forkOf)}/fork`
  return located
}

/** A session closed on request or hung up ends the call, as a fatal failure does. */
const classify = (state: LiveState, failure: Engine.Failure): Engine.Verdict => {
  const classified = OpenAILiveProtocol.classifyFailure(state, failure)
  return classified._tag === "Ended" ? "Fatal" : classified._tag
}

/**
 * The options of an OpenAI Live call that are the provider's, not the session's.
 *
 * @category models
 */
export type Options = Partial<State.ProtocolOptions>

/**
 * OpenAI Live as the engine's provider, with the provider's options: a new session carries the
 * conversation in its `session.start`, so nothing follows it.
 *
 * @category constructors
 */
export const make = (options: Options) => {
  const protocolOptions: State.ProtocolOptions = { ...State.defaultOptions, ...options }
  return SteppedProvider.make({
    name: "OpenAILive",
    steps: Connection.steps,
    initial: (settings) => State.make(protocolOptions, settings, Session.plan(settings, protocolOptions).format),
    refuse: (settings) => {
      const checked = OpenAILiveProtocol.init(settings, protocolOptions)
      return "options" in checked ? undefined : checked
    },
    open: OpenAILiveProtocol.open,
    context: () => [],
    lines: (state) => state.history.length,
    classify,
    expire: OpenAILiveProtocol.expire,
    locate,
    target: resolveTarget,
    pingInterval: Duration.seconds(20)
  })
}
