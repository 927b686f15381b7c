/**
 * Owns a model instance's life, whatever its provider: its one call at a time (claimed atomically,
 * run by an owner fiber in the scope `connect` was called in, interrupted by `close` or that
 * scope), where sends go (the call's owner, through the phase it is in), and the listeners' hub,
 * which outlives calls and ends with the model's scope. A provider module gives the protocol, how
 * a config becomes the session's settings and a target to dial, and its defaults.
 */
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Option, Ref } from "effect"
import type { Config, Redacted, Scope } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type {
  ListenerBuffer,
  RealtimeModelConfig,
  RealtimeModelService,
  RealtimeModelState
} from "../../RealtimeModel.js"
import { resolveApiKey } from "../../RealtimeModel.js"
import type { ConnectionStatus, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as SendEvent from "../../RealtimeModelSendEvent.js"
import type { ReconnectOptions, TransportOptions } from "../../RealtimeReconnect.js"
import { defaultSchedule } from "../../RealtimeReconnect.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import { RealtimeWebSocket } from "../../RealtimeWebSocket.js"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import * as EventHub from "../eventHub.js"
import * as Handshake from "../realtime/handshake.js"
import * as Call from "./call.js"
import * as Ending from "./ending.js"
import type { Leftover, Protocol } from "./protocol.js"
import * as Supervisor from "./supervisor.js"

/**
 * The options every provider's model takes.
 *
 * @category models
 */
export interface ModelOptions {
  readonly listenerBuffer?: ListenerBuffer | undefined
  readonly connectTimeout?: Duration.Input | undefined
  readonly transport?: TransportOptions | undefined
  readonly reconnect?: ReconnectOptions | undefined
  /** The listeners' hub, when not the library's own (the benchmark's A/B against Effect's `PubSub`). */
  readonly hub?: ((buffer: ListenerBuffer | undefined) => Effect.Effect<EventHub.EventHub>) | undefined
}

/**
 * A provider, as the model uses it.
 *
 * @category models
 */
export interface Provider<M, F, L extends Leftover> {
  /** For spans: `<name>.connect`. */
  readonly name: string
  readonly protocol: Protocol<M, F, L>
  /** The session's settings of a connection's config, or why the provider cannot honour them. */
  readonly settings: (config: RealtimeModelConfig) => Effect.Effect<RealtimeSessionSettings, RealtimeConnectError>
  /** Where a connection goes and with which credentials (run for every dial). */
  readonly target: (
    config: RealtimeModelConfig,
    settings: RealtimeSessionSettings,
    webSocket: RealtimeWebSocketService,
    defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
  ) => Effect.Effect<Handshake.Target, RealtimeConnectError>
  /** The keepalive's ping interval when the options give none. */
  readonly pingInterval: Duration.Duration
  /** Whether sessions roll over on a timer (the `rollover` option); otherwise only on the service's notice. */
  readonly timedRollover: boolean
}

/**
 * A layer's key, read from `Config` when the layer is built: a required key (a missing one fails
 * the layer) or an optional one (missing or blank: no key); the default key of its connections.
 *
 * @category credentials
 */
const configuredKey = (
  config: Config.Config<Redacted.Redacted<string>> | Config.Config<Option.Option<Redacted.Redacted<string>>>
): Effect.Effect<Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>, Config.ConfigError> =>
  Effect.gen(function*() {
    const given: Option.Option<Redacted.Redacted<string>> | Redacted.Redacted<string> = yield* config
    const key = Option.isOption(given) ? given : Option.some(given)
    return Option.isSome(key) ? resolveApiKey(key.value) : Effect.succeed(Option.none())
  })

/**
 * A model whose key and handshake timeout are read from `Config` when it is made (the
 * `layerConfig` of every provider): `environment` is the key's default `Config`.
 *
 * @category constructors
 */
export const makeConfigured = <M, F, L extends Leftover>(
  provider: Provider<M, F, L>,
  options: Omit<ModelOptions, "connectTimeout"> & {
    readonly apiKey?:
      | Config.Config<Redacted.Redacted<string>>
      | Config.Config<Option.Option<Redacted.Redacted<string>>>
      | undefined
    readonly connectTimeout?: Config.Config<Duration.Duration> | undefined
  },
  environment: Config.Config<Option.Option<Redacted.Redacted<string>>>
): Effect.Effect<RealtimeModelService, Config.ConfigError, Scope.Scope | RealtimeWebSocket> =>
  Effect.gen(function*() {
    const apiKey = yield* configuredKey(options.apiKey ?? environment)
    const connectTimeout = options.connectTimeout === undefined ? undefined : yield* options.connectTimeout
    return yield* make(provider, {
      listenerBuffer: options.listenerBuffer,
      connectTimeout,
      transport: options.transport,
      reconnect: options.reconnect
    }, apiKey)
  })

/**
 * A provider, its types inferred from its protocol.
 *
 * @category constructors
 */
export const provider = <M, F, L extends Leftover>(spec: Provider<M, F, L>): Provider<M, F, L> => spec

type Owner = Fiber.Fiber<unknown, unknown>

type Lifecycle =
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Connecting"; readonly owner: Owner }
  | { readonly _tag: "Live"; readonly owner: Owner; readonly phase: Call.Phase; readonly sends: Call.Sends }
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
const callDefaults = (options: ModelOptions, pingInterval: Duration.Duration, timedRollover: boolean) => {
  const transport = options.transport ?? {}
  const reconnect = options.reconnect
  const rollover = !timedRollover || reconnect?.rollover === false ? undefined : reconnect?.rollover ?? {}
  return {
    keepalive: transport.pingInterval === false ? undefined : {
      interval: Duration.fromInputUnsafe(transport.pingInterval ?? pingInterval),
      timeout: Duration.fromInputUnsafe(transport.pongTimeout ?? Duration.seconds(20))
    },
    maxFrameSize: transport.maxFrameSize ?? defaultMaxFrameSize,
    reconnect: reconnect === undefined ? undefined : {
      schedule: reconnect.schedule ?? defaultSchedule,
      sendTimeout: Duration.fromInputUnsafe(reconnect.sendTimeout ?? Duration.seconds(10)),
      rollover: rollover === undefined ? undefined : {
        at: Call.rolloverAt(rollover.sessionLimit ?? Duration.minutes(60), rollover.margin ?? Duration.minutes(5))
      }
    }
  }
}

/**
 * A model instance of `provider`, living as long as the Scope. `defaultApiKey` is the key of a
 * connection whose config gives none.
 *
 * @category constructors
 */
export const make = <M, F, L extends Leftover>(
  provider: Provider<M, F, L>,
  options: ModelOptions,
  defaultApiKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
): Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket> =>
  Effect.gen(function*() {
    const webSocket = yield* RealtimeWebSocket
    const hub = yield* (options.hub ?? EventHub.make)(options.listenerBuffer)
    const lifecycle = yield* Ref.make<Lifecycle>(idle)

    const defaults = callDefaults(options, provider.pingInterval, provider.timedRollover)

    /** The call from dial to end; the owner fiber runs it. */
    const call = (
      owner: Owner,
      first: { target: Handshake.Target | undefined },
      settings: RealtimeSessionSettings,
      config: RealtimeModelConfig,
      opened: Deferred.Deferred<void, RealtimeConnectError>
    ) =>
      Supervisor.make({
        protocol: provider.protocol,
        webSocket,
        hub,
        first,
        // every later dial resolves the credentials again
        retarget: Effect.suspend(() => provider.target(config, settings, webSocket, defaultApiKey)),
        config,
        settings,
        connectTimeout: options.connectTimeout,
        ...defaults,
        enter: (phase, sends) =>
          Ref.update(
            lifecycle,
            (current): Lifecycle => current._tag === "Disposed" ? current : { _tag: "Live", owner, phase, sends }
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
     * the connection; `finish` runs whenever it claimed, however it ends. (No generator here: the
     * owner's stack is held for the call's life.)
     */
    const own = (
      first: { target: Handshake.Target | undefined },
      settings: RealtimeSessionSettings,
      config: RealtimeModelConfig,
      opened: Deferred.Deferred<void, RealtimeConnectError>
    ): Effect.Effect<void> =>
      Effect.withFiber((self) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            Ref.modify(
              lifecycle,
              (current): [Lifecycle["_tag"] | undefined, Lifecycle] =>
                current._tag === "Idle" || current._tag === "Closed"
                  ? [undefined, { _tag: "Connecting", owner: self }]
                  : [current._tag, current]
            ),
            (refused): Effect.Effect<void> =>
              refused === undefined
                ? Effect.flatMap(
                  Effect.exit(restore(call(self, first, settings, config, opened))),
                  (exit) => finish(exit, opened)
                )
                : Effect.asVoid(Deferred.fail(
                  opened,
                  refused === "Disposed"
                    ? Handshake.connectError("Closed", "the model's scope is closed: make a new model to connect again")
                    : Handshake.connectError(
                      "AlreadyConnected",
                      "the model is already connected (or connecting); close it, or its scope, before connecting again"
                    )
                ))
          )
        )
      )

    const connect = (config: RealtimeModelConfig = {}): Effect.Effect<void, RealtimeConnectError, Scope.Scope> =>
      Effect.gen(function*() {
        const settings = yield* provider.settings(config)
        const target = yield* provider.target(config, settings, webSocket, defaultApiKey)
        const opened = yield* Deferred.make<void, RealtimeConnectError>()
        // the owner lives in the caller's scope: closing it closes the connection
        const owner = yield* Effect.forkIn(own({ target }, settings, config, opened), yield* Effect.scope, {
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
      }).pipe(
        // no stack trace kept: the call's owner, forked inside, would hold it for the call's life
        Effect.withSpan(`${provider.name}.connect`, undefined, { captureStackTrace: false })
      )

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
        const { sends } = current
        const send = {
          _tag: "Send",
          event,
          predicate,
          reply: Deferred.makeUnsafe<boolean, RealtimeSendError>()
        } as const
        // a caller that stops waiting (its own timeout) withdraws a send still held in a gap
        return sends.submit(send)
          ? Effect.onInterrupt(Deferred.await(send.reply), () => Effect.sync(() => sends.withdraw(send)))
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
            ? current.phase === "Open" ? "connected" : "reconnecting"
            : current._tag === "Connecting"
            ? "connecting"
            : "disconnected"
      )
    } satisfies RealtimeModelService
  })
