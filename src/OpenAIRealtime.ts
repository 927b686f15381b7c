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
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Layer, Option, Ref } from "effect"
import type { Config, Redacted, Scope } from "effect"
import * as Ending from "./internal/engine/ending.js"
import * as Supervisor from "./internal/engine/supervisor.js"
import * as EventHub from "./internal/eventHub.js"
import * as OpenAIProtocol from "./internal/openai/protocol.js"
import * as Handshake from "./internal/realtime/handshake.js"
import type { RealtimeConnectError, RealtimeConnectionLost, RealtimeSendError } from "./RealtimeError.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type {
  ApiKeySource,
  ListenerBuffer,
  RealtimeModelConfig,
  RealtimeModelService,
  RealtimeModelState
} from "./RealtimeModel.js"
import type { ConnectionStatus, RealtimeModelEvent } from "./RealtimeModelEvent.js"
import * as SendEvent from "./RealtimeModelSendEvent.js"
import type { ReconnectOptions, TransportOptions } from "./RealtimeReconnect.js"
import { defaultSchedule } from "./RealtimeReconnect.js"
import type { RealtimeSessionSettings } from "./RealtimeSessionSettings.js"
import { RealtimeWebSocket } from "./RealtimeWebSocket.js"

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

type Owner = Fiber.Fiber<unknown, unknown>

type Lifecycle =
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Connecting"; readonly owner: Owner }
  | { readonly _tag: "Live"; readonly owner: Owner; readonly phase: Supervisor.Phase }
  | { readonly _tag: "Closed" }
  /** The model's own scope is closed: nothing can be opened any more. */
  | { readonly _tag: "Disposed" }

const idle: Lifecycle = { _tag: "Idle" }
const closed: Lifecycle = { _tag: "Closed" }
const disposed: Lifecycle = { _tag: "Disposed" }

const status = (value: ConnectionStatus): RealtimeModelEvent => ({ _tag: "ConnectionStatusChanged", status: value })
const endOfStream: RealtimeModelEvent = { _tag: "EndOfStream" }

const defaultMaxFrameSize = 16 * 1024 * 1024

/** The options of a call, resolved once per model. */
const callDefaults = (options: OpenAIRealtimeOptions) => {
  const transport = options.transport ?? {}
  const reconnect = options.reconnect
  const rollover = reconnect?.rollover === false ? undefined : reconnect?.rollover ?? {}
  return {
    keepalive: transport.pingInterval === false ? undefined : {
      interval: Duration.fromInputUnsafe(transport.pingInterval ?? Duration.seconds(20)),
      timeout: Duration.fromInputUnsafe(transport.pongTimeout ?? Duration.seconds(20))
    },
    maxFrameSize: transport.maxFrameSize ?? defaultMaxFrameSize,
    reconnect: reconnect === undefined ? undefined : {
      schedule: reconnect.schedule ?? defaultSchedule,
      sendTimeout: Duration.fromInputUnsafe(reconnect.sendTimeout ?? Duration.seconds(10)),
      rollover: rollover === undefined ? undefined : {
        at: Supervisor.rolloverAt(rollover.sessionLimit ?? Duration.minutes(60), rollover.margin ?? Duration.minutes(5))
      }
    }
  }
}

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
  makeWith(
    options,
    options.apiKey === undefined ? Handshake.environmentApiKey : resolveApiKey(options.apiKey)
  )

const makeWith = (
  options: OpenAIRealtimeOptions,
  defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
): Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket> =>
  Effect.gen(function*() {
    const webSocket = yield* RealtimeWebSocket
    const hub = yield* EventHub.make(options.listenerBuffer)
    const lifecycle = yield* Ref.make<Lifecycle>(idle)

    const defaults = callDefaults(options)

    /** The call from dial to end; the owner fiber runs it. */
    const call = (
      owner: Owner,
      target: Handshake.Target,
      settings: RealtimeSessionSettings,
      config: RealtimeModelConfig,
      opened: Deferred.Deferred<void, RealtimeConnectError>
    ) =>
      Supervisor.run({
        protocol: OpenAIProtocol.protocol,
        webSocket,
        hub,
        target,
        // every later dial resolves the credentials again
        retarget: Handshake.resolveTarget(config, settings, webSocket, defaultApiKey),
        config,
        settings,
        connectTimeout: options.connectTimeout,
        ...defaults,
        enter: (phase) =>
          Ref.update(
            lifecycle,
            (current): Lifecycle => current._tag === "Disposed" ? current : { _tag: "Live", owner, phase }
          )
      }, opened)

    /** After the owner's scope closed (socket closed, spans ended): the model's state, then the listeners. */
    const finish = (
      exit: Exit.Exit<RealtimeConnectionLost | RealtimeConnectError, RealtimeConnectError>,
      opened: Deferred.Deferred<void, RealtimeConnectError>
    ) =>
      Effect.gen(function*() {
        const wasOpen = yield* Deferred.isDone(opened)
        yield* Ref.update(lifecycle, (current) => current._tag === "Disposed" ? current : wasOpen ? closed : idle)
        if (!wasOpen) {
          yield* Effect.sync(() => hub.offerAllUnsafe([status("disconnected")]))
          yield* Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
            ? Deferred.failCause(opened, exit.cause)
            : Deferred.fail(opened, Handshake.connectError("Closed", "the connection was closed before it opened"))
          return
        }
        const lost = Exit.isSuccess(exit) ? exit.value : undefined
        if (lost !== undefined) yield* Effect.logWarning(lost.message)
        if (Exit.isFailure(exit) && Cause.hasDies(exit.cause)) {
          yield* Effect.logError("the connection failed", exit.cause)
        }
        // never waits for a listener: a stalled one cannot hold the close up
        yield* Effect.sync(() =>
          hub.offerAllUnsafe([
            ...(lost !== undefined ? [{ _tag: "ErrorEvent", error: lost } as const] : []),
            status("disconnected"),
            endOfStream
          ])
        )
      })

    const close: Effect.Effect<void> = Effect.flatMap(
      Ref.get(lifecycle),
      (current) =>
        current._tag === "Connecting" || current._tag === "Live" ? Fiber.interrupt(current.owner) : Effect.void
    )

    /**
     * The owner fiber: claims the model (atomically, so two connects never both proceed), then runs
     * the connection; `finish` runs whenever it claimed, however it ends.
     */
    const own = (
      target: Handshake.Target,
      settings: RealtimeSessionSettings,
      config: RealtimeModelConfig,
      opened: Deferred.Deferred<void, RealtimeConnectError>
    ): Effect.Effect<void> =>
      Effect.withFiber((self) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            const refused = yield* Ref.modify(
              lifecycle,
              (current): [Lifecycle["_tag"] | undefined, Lifecycle] =>
                current._tag === "Idle" || current._tag === "Closed"
                  ? [undefined, { _tag: "Connecting", owner: self }]
                  : [current._tag, current]
            )
            if (refused !== undefined) {
              return yield* Deferred.fail(
                opened,
                refused === "Disposed"
                  ? Handshake.connectError("Closed", "the model's scope is closed: make a new model to connect again")
                  : Handshake.connectError(
                    "AlreadyConnected",
                    "the model is already connected (or connecting); close it, or its scope, before connecting again"
                  )
              )
            }
            yield* restore(call(self, target, settings, config, opened)).pipe(
              Effect.onExit((exit) => finish(exit, opened)),
              Effect.ignore
            )
          })
        )
      )

    const connect = (config: RealtimeModelConfig = {}): Effect.Effect<void, RealtimeConnectError, Scope.Scope> =>
      Effect.gen(function*() {
        const settings = yield* Handshake.decodeSettings(config.initialSettings)
        const target = yield* Handshake.resolveTarget(config, settings, webSocket, defaultApiKey)
        const opened = yield* Deferred.make<void, RealtimeConnectError>()
        // the owner lives in the caller's scope: closing it closes the connection
        const owner = yield* Effect.forkIn(own(target, settings, config, opened), yield* Effect.scope, {
          startImmediately: true
        })
        // the owner settles `opened` before it ends; one that never ran (the scope was already
        // closed) settles nothing, and its end is the answer
        const ownerEnded = Effect.andThen(
          Fiber.await(owner),
          Effect.flatMap(Deferred.isDone(opened), (done) =>
            done
              ? Deferred.await(opened)
              : Effect.fail(
                Handshake.connectError("Closed", "the scope of connect is closed, so no connection can live in it")
              ))
        )
        yield* Effect.raceFirst(Deferred.await(opened), ownerEnded).pipe(
          Effect.onInterrupt(() => Fiber.interrupt(owner))
        )
      }).pipe(Effect.withSpan("OpenAIRealtime.connect"))

    /**
     * A send, given to the call's owner: it goes through the live connection or waits in the
     * reconnect gap (audio there is dropped: `false`); the owner answers it.
     */
    const route = (
      event: SendEvent.RealtimeModelSendEvent,
      predicate: ((state: RealtimeModelState) => boolean) | undefined
    ): Effect.Effect<boolean, RealtimeSendError> =>
      Effect.flatMap(Ref.get(lifecycle), (current) => {
        if (current._tag !== "Live") {
          return Effect.fail(Ending.notConnected(event, current._tag === "Closed" || current._tag === "Disposed"))
        }
        const { phase } = current
        const send = {
          _tag: "Send",
          event,
          predicate,
          reply: Deferred.makeUnsafe<boolean, RealtimeSendError>()
        } as const
        // a caller that stops waiting (its own timeout) withdraws a send still held in a gap
        return phase.submit(send)
          ? Effect.onInterrupt(Deferred.await(send.reply), () => Effect.sync(() => phase.withdraw(send)))
          : Effect.fail(Ending.notConnected(event, true))
      })

    const sendEvent = (event: SendEvent.RealtimeModelSendEvent): Effect.Effect<void, RealtimeSendError> =>
      Effect.flatMap(SendEvent.validate(event), (valid) => Effect.asVoid(route(valid, undefined)))

    // the connection's owner evaluates the predicate when it reaches the event, so nothing runs between
    const sendEventIf = (
      event: SendEvent.RealtimeModelSendEvent,
      predicate: (state: RealtimeModelState) => boolean
    ): Effect.Effect<boolean, RealtimeSendError> =>
      Effect.flatMap(SendEvent.validate(event), (valid) => route(valid, predicate))

    // the model's scope closes: its connection closes, and every listener's stream ends, including
    // those subscribed after the last connection ended
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const previous = yield* Ref.getAndSet(lifecycle, disposed)
        if (previous._tag === "Connecting" || previous._tag === "Live") yield* Fiber.interrupt(previous.owner)
        yield* hub.shutdown
      })
    )

    return {
      connect,
      subscribe: hub.subscribe,
      sendEvent,
      sendEventIf,
      close,
      status: Effect.map(
        Ref.get(lifecycle),
        (current): ConnectionStatus =>
          current._tag === "Live"
            ? current.phase._tag === "Open" ? "connected" : "reconnecting"
            : current._tag === "Connecting"
            ? "connecting"
            : "disconnected"
      )
    } satisfies RealtimeModelService
  })

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
  Layer.effect(
    RealtimeModel,
    Effect.gen(function*() {
      const given: Option.Option<Redacted.Redacted<string>> | Redacted.Redacted<string> = yield* (
        options.apiKey ?? Handshake.environmentKeyConfig
      )
      const key = Option.isOption(given) ? given : Option.some(given)
      const connectTimeout = options.connectTimeout === undefined ? undefined : yield* options.connectTimeout
      return yield* makeWith({
        ...(options.listenerBuffer !== undefined ? { listenerBuffer: options.listenerBuffer } : {}),
        ...(options.transport !== undefined ? { transport: options.transport } : {}),
        ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
        ...(connectTimeout !== undefined ? { connectTimeout } : {})
      }, Option.isSome(key) ? resolveApiKey(key.value) : Effect.succeed(Option.none()))
    })
  )
