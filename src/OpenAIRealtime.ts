/**
 * The production `RealtimeModel`: OpenAI's Realtime API (GA protocol, `gpt-realtime` models) over
 * WebSocket, and any server that speaks the same protocol (Azure, proxies, local servers) through
 * `url` and `headers`.
 *
 * @since 0.1.0
 */
import * as Socket from "@effect/platform/Socket"
import { Deferred, Duration, Effect, ExecutionStrategy, Exit, Layer, Option, ParseResult, Queue, Redacted, Ref, Schema, Scope } from "effect"
import WebSocket from "ws"
import * as EventHub from "./internal/eventHub.js"
import * as Connection from "./internal/realtime/connection.js"
import * as Convert from "./internal/realtime/convert.js"
import { RealtimeConnectError, RealtimeConnectionLost, RealtimeSendError } from "./RealtimeError.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type { ListenerBuffer, RealtimeModelConfig, RealtimeModelService } from "./RealtimeModel.js"
import * as Event from "./RealtimeModelEvent.js"
import type { ConnectionStatus } from "./RealtimeModelEvent.js"
import * as SendEvent from "./RealtimeModelSendEvent.js"
import { defaultModelName, RealtimeSessionSettings } from "./RealtimeSessionSettings.js"

/**
 * Options of a model instance (as opposed to one connection's `RealtimeModelConfig`).
 *
 * @since 0.1.0
 */
export interface OpenAIRealtimeOptions {
  /** Listener buffering; see `ListenerBuffer`. Default `"unbounded"`. */
  readonly listenerBuffer?: ListenerBuffer
  /** How long the WebSocket handshake may take. Default 10 seconds. */
  readonly connectTimeout?: Duration.DurationInput
  /**
   * `"node"` (default where `process.versions.node` exists): the `ws` package, which can send the
   * `Authorization` header. `"browser"`: the global `WebSocket`, authenticating with the
   * `openai-insecure-api-key.<key>` sub-protocol (use an ephemeral client secret there).
   */
  readonly webSocket?: "node" | "browser"
  /** Lets the browser flavour send a plain API key (not an ephemeral `ek_` secret). It exposes the key to the page. */
  readonly dangerouslyAllowApiKeyInBrowser?: boolean
}

/**
 * The endpoint used when the config gives no `url`.
 *
 * @since 0.1.0
 */
export const defaultUrl = "wss://api.openai.com/v1/realtime"

type Lifecycle =
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Open"; readonly connection: Connection.Connection; readonly scope: Scope.CloseableScope }
  | { readonly _tag: "Closed" }

const idle: Lifecycle = { _tag: "Idle" }
const closed: Lifecycle = { _tag: "Closed" }

const connectError = (reason: RealtimeConnectError["reason"], message: string, url?: string, status?: number) =>
  new RealtimeConnectError({
    reason,
    message,
    ...(url !== undefined ? { url } : {}),
    ...(status !== undefined ? { status } : {})
  })

const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname)

/** The URL without its query string, for logs and spans. */
const displayUrl = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`

const messageOf = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null) {
    if ("message" in cause && typeof cause.message === "string" && cause.message.length > 0) return cause.message
    if ("error" in cause) return messageOf(cause.error)
  }
  return String(cause)
}

/** Why the WebSocket did not open, as a typed error. */
const openFailure = (error: Socket.SocketError, url: string): RealtimeConnectError => {
  if (error.reason === "OpenTimeout") {
    return connectError("Timeout", `the WebSocket handshake with ${url} timed out`, url)
  }
  if (error.reason === "Close") {
    return connectError("Handshake", `${url} closed the connection during the handshake (code ${error.code})`, url)
  }
  const detail = messageOf(error.cause)
  const status = /Unexpected server response: (\d+)/.exec(detail)
  if (status !== null) {
    const code = Number(status[1])
    return code === 401 || code === 403
      ? connectError("Unauthorized", `${url} refused the credentials (HTTP ${code}): check the API key`, url, code)
      : connectError("Handshake", `${url} refused the WebSocket upgrade with HTTP ${code}`, url, code)
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(detail)) {
    return connectError("HostNotFound", `the host of ${url} could not be resolved (${detail})`, url)
  }
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH/.test(detail)) {
    return connectError("Refused", `could not connect to ${url}: ${detail}`, url)
  }
  return connectError("Handshake", `could not open a WebSocket to ${url}: ${detail}`, url)
}

const decodeSettings = Schema.decodeUnknownEither(RealtimeSessionSettings)

interface Target {
  readonly url: URL
  readonly protocols: Array<string> | undefined
  readonly headers: Record<string, string>
  readonly model: string
}

/** Works out where to connect and with which credentials; nothing is opened yet. */
const resolveTarget = (config: RealtimeModelConfig, settings: RealtimeSessionSettings, options: OpenAIRealtimeOptions) =>
  Effect.gen(function*() {
    if (config.callId !== undefined && settings.modelName !== undefined) {
      return yield* connectError("InvalidConfig", "give either a callId (to attach to a call) or a modelName, not both")
    }
    const model = settings.modelName ?? defaultModelName
    const raw = config.url ??
      `${defaultUrl}?${config.callId !== undefined ? `call_id=${encodeURIComponent(config.callId)}` : `model=${encodeURIComponent(model)}`}`
    const url = yield* Effect.try({
      try: () => new URL(raw),
      catch: () => connectError("InvalidConfig", `${JSON.stringify(raw)} is not a valid URL`)
    })
    if (url.protocol !== "ws:" && url.protocol !== "wss:") {
      return yield* connectError("InvalidConfig", `the URL must use ws:// or wss://, got ${url.protocol}//`, displayUrl(url))
    }
    const apiKey = yield* resolveApiKey(config.apiKey)
    const userHeaders = Object.entries(config.headers ?? {})
    const hasAuthorization = userHeaders.some(([name]) => name.toLowerCase() === "authorization")
    if (Option.isNone(apiKey) && !hasAuthorization && userHeaders.length === 0) {
      return yield* connectError(
        "MissingApiKey",
        "no API key: set OPENAI_API_KEY, or pass apiKey (or an Authorization header) in the config"
      )
    }
    if (url.protocol === "ws:" && !isLoopback(url.hostname) && (Option.isSome(apiKey) || userHeaders.length > 0)) {
      return yield* connectError(
        "InsecureTransport",
        `refusing to send credentials over unencrypted ws:// to ${url.host}: use wss:// (plain ws:// is only allowed to loopback addresses)`,
        displayUrl(url)
      )
    }
    const flavour = options.webSocket ?? (typeof process !== "undefined" && process.versions?.node !== undefined ? "node" : "browser")
    if (flavour === "browser") {
      if (Option.isNone(apiKey)) {
        return yield* connectError("MissingApiKey", "the browser WebSocket authenticates with a key or client secret: pass apiKey")
      }
      const key = Redacted.value(apiKey.value)
      if (!key.startsWith("ek_") && options.dangerouslyAllowApiKeyInBrowser !== true) {
        return yield* connectError(
          "InvalidConfig",
          "refusing to put a plain API key in a browser WebSocket, where the page can read it: mint an ephemeral client secret on your server, or set dangerouslyAllowApiKeyInBrowser"
        )
      }
      return { url, protocols: ["realtime", `openai-insecure-api-key.${key}`], headers: {}, model } satisfies Target
    }
    const headers: Record<string, string> = {}
    if (Option.isSome(apiKey) && !hasAuthorization) headers["Authorization"] = `Bearer ${Redacted.value(apiKey.value)}`
    for (const [name, value] of userHeaders) headers[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
    return { url, protocols: undefined, headers, model } satisfies Target
  })

const constructorFor = (target: Target, flavour: "node" | "browser") =>
  (url: string, protocols?: string | Array<string>): globalThis.WebSocket =>
    flavour === "browser"
      ? new globalThis.WebSocket(url, protocols)
      : new WebSocket(url, protocols, { headers: target.headers }) as unknown as globalThis.WebSocket

const closeInfo = (exit: Exit.Exit<void, Socket.SocketError>): { code: number | undefined; reason: string | undefined } => {
  if (Exit.isFailure(exit)) {
    const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (failure?.reason === "Close") return { code: failure.code, reason: failure.closeReason }
    if (failure !== undefined) return { code: undefined, reason: messageOf(failure.cause) }
  }
  return { code: undefined, reason: undefined }
}

/**
 * A new model instance, for one connection at a time, living as long as the Scope (closing the
 * scope closes its connection). Use one instance per call in a server.
 *
 * @since 0.1.0
 */
export const make = (options: OpenAIRealtimeOptions = {}): Effect.Effect<RealtimeModelService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hub = yield* EventHub.make(options.listenerBuffer)
    const lifecycle = yield* Ref.make<Lifecycle>(idle)
    const flavour = options.webSocket ?? (typeof process !== "undefined" && process.versions?.node !== undefined ? "node" : "browser")
    const decoder = new TextDecoder()

    const status = (value: ConnectionStatus) => Event.ConnectionStatusChanged.make({ status: value })

    /** Ends the open connection, if any: fibers stopped, socket closed, listeners told. */
    const shutDown = (lost: RealtimeConnectionLost | undefined) =>
      Effect.flatMap(
        Ref.modify(lifecycle, (current): [Lifecycle, Lifecycle] =>
          current._tag === "Open" ? [current, closed] : [current, current]),
        (previous) =>
          previous._tag !== "Open"
            ? Effect.void
            : Effect.gen(function*() {
              yield* previous.connection.release
              const farewell = [
                ...(lost !== undefined ? [Event.ErrorEvent.make({ error: lost })] : []),
                status("disconnected"),
                Event.EndOfStream.make({})
              ]
              if (lost === undefined) {
                // closed by the application: the socket is closed before listeners hear of it
                yield* Scope.close(previous.scope, Exit.void)
                yield* hub.publishAll(farewell)
              } else {
                // dropped by the server, noticed by the frame processor, which lives in the scope:
                // tell the listeners first, then close the scope from outside that fiber
                yield* Effect.logWarning(lost.message)
                yield* hub.publishAll(farewell)
                yield* Effect.forkDaemon(Scope.close(previous.scope, Exit.void))
              }
            })
      )

    const close: Effect.Effect<void> = shutDown(undefined)

    const establish = (config: RealtimeModelConfig, outer: Scope.Scope) =>
      Effect.gen(function*() {
        const settings = yield* Option.match(Option.fromNullable(config.initialSettings), {
          onNone: () => Effect.succeed<RealtimeSessionSettings>({}),
          onSome: (input) => {
            const decoded = decodeSettings(input)
            return decoded._tag === "Right"
              ? Effect.succeed(decoded.right)
              : connectError("InvalidConfig", `invalid initial settings: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`)
          }
        })
        const target = yield* resolveTarget(config, settings, options)
        const url = displayUrl(target.url)
        yield* hub.publish(status("connecting"))
        const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
        return yield* Effect.gen(function*() {
          const span = yield* Scope.extend(
            Effect.makeSpanScoped("OpenAIRealtime.connection", {
              attributes: { "realtime.model": target.model, "realtime.url": url }
            }),
            scope
          )
          const inbound = yield* Queue.unbounded<Connection.Inbound>()
          const opened = yield* Deferred.make<void, RealtimeConnectError>()
          const socket = yield* Socket.makeWebSocket(target.url.toString(), {
            openTimeout: options.connectTimeout ?? Duration.seconds(10),
            closeCodeIsError: () => true,
            ...(target.protocols !== undefined ? { protocols: target.protocols } : {})
          }).pipe(Effect.provideService(Socket.WebSocketConstructor, constructorFor(target, flavour)))
          const reader = socket.runRaw((data) => {
            Queue.unsafeOffer(inbound, { _tag: "Frame", text: typeof data === "string" ? data : decoder.decode(data) })
          }, { onOpen: Deferred.succeed(opened, undefined) }).pipe(
            Effect.exit,
            Effect.flatMap((exit) =>
              Effect.flatMap(Deferred.isDone(opened), (wasOpen) => {
                if (wasOpen) return Queue.offer(inbound, { _tag: "Closed", ...closeInfo(exit) })
                const failure = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
                return Deferred.fail(
                  opened,
                  failure !== undefined
                    ? openFailure(failure, url)
                    : connectError("Handshake", `the connection to ${url} ended before it opened`, url)
                )
              })
            )
          )
          yield* Effect.forkIn(reader, scope)
          yield* Deferred.await(opened)
          const write = yield* Scope.extend(socket.writer, scope)
          const connection = yield* Connection.make({
            hub,
            write: (text) => Effect.catchAll(write(text), (error) => Effect.logWarning("a frame could not be written", error)),
            inbound,
            settings,
            customTracker: config.playbackTracker,
            span,
            onLost: (lost) => shutDown(lost)
          })
          yield* Ref.set(lifecycle, { _tag: "Open", connection, scope })
          yield* hub.publish(status("connected"))
          yield* Effect.forkIn(connection.process, scope)
          yield* write(JSON.stringify({ type: "session.update", session: Convert.sessionToWire(settings, true) })).pipe(
            Effect.catchAll((error) => Effect.logWarning("the initial session.update could not be written", error))
          )
          yield* Effect.logDebug(`connected to ${url}`)
        }).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Effect.void
              : Effect.zipRight(Scope.close(scope, Exit.void), hub.publish(status("disconnected")))
          )
        )
      }).pipe(Effect.withSpan("OpenAIRealtime.connect"))

    const connect = (config: RealtimeModelConfig = {}) =>
      Effect.gen(function*() {
        const claimed = yield* Ref.modify(lifecycle, (current): [boolean, Lifecycle] =>
          current._tag === "Open" || current._tag === "Connecting" ? [false, current] : [true, { _tag: "Connecting" }])
        if (!claimed) {
          return yield* connectError(
            "AlreadyConnected",
            "the model is already connected (or connecting); close it, or its scope, before connecting again"
          )
        }
        const outer = yield* Effect.scope
        yield* establish(config, outer).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Effect.void
              : Ref.update(lifecycle, (current) => (current._tag === "Connecting" ? idle : current)))
        )
        yield* Effect.addFinalizer(() => close)
      })

    const sendEvent = (event: SendEvent.RealtimeModelSendEvent): Effect.Effect<void, RealtimeSendError> =>
      Effect.flatMap(SendEvent.validate(event), (valid) =>
        Effect.flatMap(Ref.get(lifecycle), (current) =>
          current._tag === "Open"
            ? current.connection.send(valid)
            : Effect.fail(Connection.notConnected(valid, current._tag === "Closed"))))

    yield* Effect.addFinalizer(() => close)

    return {
      connect,
      subscribe: hub.subscribe,
      sendEvent,
      close,
      status: Effect.map(Ref.get(lifecycle), (current): ConnectionStatus =>
        current._tag === "Open" ? "connected" : current._tag === "Connecting" ? "connecting" : "disconnected")
    } satisfies RealtimeModelService
  })

/**
 * A layer providing one `RealtimeModel` instance for the layer's lifetime.
 *
 * @since 0.1.0
 */
export const layer = (options: OpenAIRealtimeOptions = {}): Layer.Layer<RealtimeModel> =>
  Layer.scoped(RealtimeModel, make(options))
