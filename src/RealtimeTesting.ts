/**
 * Test doubles for code that uses a `RealtimeModel`: a scripted in-memory model, with no network.
 * Provide `layerScripted(...)` in place of the production layer; every send is checked against the
 * script and answered with the events the script names.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option, Ref, Schema } from "effect"
import type { Scope } from "effect"
import * as EventHub from "./internal/eventHub.js"
import { idle as idlePlayback } from "./PlaybackTracker.js"
import type { PlaybackTrackerService } from "./PlaybackTracker.js"
import { RealtimeConnectError, RealtimeSendError } from "./RealtimeError.js"
import { RealtimeModel, resolveApiKey } from "./RealtimeModel.js"
import type { ListenerBuffer, RealtimeModelConfig, RealtimeModelService, RealtimeModelState } from "./RealtimeModel.js"
import { ConnectionStatusChanged, EndOfStream } from "./RealtimeModelEvent.js"
import type { ConnectionStatus, RealtimeModelEvent } from "./RealtimeModelEvent.js"
import * as SendEvent from "./RealtimeModelSendEvent.js"
import type { RealtimeSessionSettingsInput } from "./RealtimeSessionSettings.js"

/**
 * What a script step expects the application to send: an exact event (compared structurally), the
 * `_tag` of an event, or a predicate.
 *
 * @since 0.1.0
 * @category models
 */
export type SendMatcher =
  | SendEvent.RealtimeModelSendEvent
  | SendEvent.RealtimeModelSendEvent["_tag"]
  | ((event: SendEvent.RealtimeModelSendEvent) => boolean)

/**
 * One step of a script: when the application sends what `expect` matches, the model emits `emit`
 * to its listeners, or the send fails with `fail`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptStep {
  readonly expect: SendMatcher
  readonly emit?: ReadonlyArray<RealtimeModelEvent>
  readonly fail?: RealtimeSendError
}

/**
 * How the scripted model behaves.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptedModelOptions {
  /** The expected sends, in order, with what each makes the model emit. */
  readonly steps?: ReadonlyArray<ScriptStep>
  /** Events emitted right after `connected`. */
  readonly onConnect?: ReadonlyArray<RealtimeModelEvent>
  /** When set, `connect` fails with this error (after `connecting`, then `disconnected`). */
  readonly connectError?: RealtimeConnectError
  /**
   * Strict mode: a send that does not match the next step fails with `InvalidEvent`, and steps left
   * unconsumed when the model's scope closes are a defect ({@link ScriptIncomplete}). Otherwise such
   * sends are recorded and ignored.
   */
  readonly strict?: boolean
  /** Listener buffering, as for the production model. */
  readonly listenerBuffer?: ListenerBuffer
}

/**
 * A `connect` call as the scripted model saw it, without any secret: whether a key was available,
 * and header names but not their values.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedConnect {
  readonly url: string | null
  readonly headerNames: ReadonlyArray<string>
  readonly initialSettings: RealtimeSessionSettingsInput | null
  readonly callId: string | null
  readonly apiKeyAvailable: boolean
  readonly customPlaybackTracker: boolean
}

/**
 * The scripted model: a `RealtimeModelService` plus what a test wants to inspect or drive.
 *
 * Its `sendEventIf` evaluates the predicate atomically with the script step it consumes. The
 * state the predicate sees follows the events the model emits (a `TurnStarted` puts a response in
 * flight, its `TurnEnded` ends it), the playback of the tracker given to `connect` (idle without
 * one), and no `response.create` ever waits (`queuedResponses` is 0). A send the predicate refuses
 * consumes no step and is not recorded.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScriptedRealtimeModel extends RealtimeModelService {
  /** Every `connect` call so far. */
  readonly connects: Effect.Effect<ReadonlyArray<RecordedConnect>>
  /** Every event the application sent so far (valid ones, in order). */
  readonly sent: Effect.Effect<ReadonlyArray<SendEvent.RealtimeModelSendEvent>>
  /** How many script steps are still waiting for their send. */
  readonly remainingSteps: Effect.Effect<number>
  /** Emits an event to the listeners now, as if the model had produced it. */
  readonly emit: (event: RealtimeModelEvent) => Effect.Effect<void>
}

/**
 * The scripted model as a service, for tests that want to inspect it after providing the layer: the
 * tag shares the interface's name.
 *
 * @since 0.1.0
 * @category services
 */
export const ScriptedRealtimeModel: Context.Service<ScriptedRealtimeModel, ScriptedRealtimeModel> = Context.Service<
  ScriptedRealtimeModel
>("effect-realtime/ScriptedRealtimeModel")

/**
 * A strict script ended with steps that never got their send.
 *
 * @since 0.1.0
 * @category errors
 */
export class ScriptIncomplete extends Schema.TaggedError<ScriptIncomplete>()("ScriptIncomplete", {
  remaining: Schema.Number,
  message: Schema.String
}) {}

const equivalentSend = Schema.toEquivalence(SendEvent.RealtimeModelSendEvent)

const matches = (matcher: SendMatcher, event: SendEvent.RealtimeModelSendEvent): boolean =>
  typeof matcher === "string"
    ? event._tag === matcher
    : typeof matcher === "function"
    ? matcher(event)
    : equivalentSend(matcher, event)

const describeMatcher = (matcher: SendMatcher): string =>
  typeof matcher === "string" ? matcher : typeof matcher === "function" ? "an event matching a predicate" : matcher._tag

type Lifecycle = "idle" | "connected" | "closed"

interface ScriptState {
  readonly lifecycle: Lifecycle
  readonly steps: ReadonlyArray<ScriptStep>
  readonly sent: ReadonlyArray<SendEvent.RealtimeModelSendEvent>
  readonly connects: ReadonlyArray<RecordedConnect>
  /** The response in flight, as the emitted turn events tell it: `undefined` when none. */
  readonly response: { readonly id: string | null } | undefined
  readonly tracker: PlaybackTrackerService | undefined
}

type SendOutcome =
  | { readonly _tag: "Refused"; readonly error: RealtimeSendError }
  | { readonly _tag: "Step"; readonly step: ScriptStep }
  | { readonly _tag: "Ignored" }
  | { readonly _tag: "Skipped" }

/** Follows the turn events the model emits: which response, if any, is in flight. */
const followTurns = (s: ScriptState, events: ReadonlyArray<RealtimeModelEvent>): ScriptState => {
  let response = s.response
  for (const event of events) {
    if (event._tag === "TurnStarted") response = { id: event.responseId }
    else if (
      event._tag === "TurnEnded" &&
      (event.responseId === null || response?.id == null || response.id === event.responseId)
    ) response = undefined
  }
  return response === s.response ? s : { ...s, response }
}

const snapshot = (s: ScriptState, playback: RealtimeModelState["playback"]): RealtimeModelState => ({
  status: s.lifecycle === "connected" ? "connected" : "disconnected",
  responseInFlight: s.response !== undefined,
  responseId: s.response?.id ?? null,
  queuedResponses: 0,
  playback
})

const record = (config: RealtimeModelConfig, apiKeyAvailable: boolean): RecordedConnect => ({
  url: config.url ?? null,
  headerNames: Object.keys(config.headers ?? {}),
  initialSettings: config.initialSettings ?? null,
  callId: config.callId ?? null,
  apiKeyAvailable,
  customPlaybackTracker: config.playbackTracker !== undefined
})

const status = (value: ConnectionStatus) => ConnectionStatusChanged.make({ status: value })

/**
 * Builds a scripted model that lives as long as the Scope. In strict mode, closing the scope with
 * steps left over is a defect, so a test fails when its script was not played to the end.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeScripted = (
  options: ScriptedModelOptions = {}
): Effect.Effect<ScriptedRealtimeModel, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hub = yield* EventHub.make(options.listenerBuffer)
    const strict = options.strict ?? false
    const state = yield* Ref.make<ScriptState>({
      lifecycle: "idle",
      steps: options.steps ?? [],
      sent: [],
      connects: [],
      response: undefined,
      tracker: undefined
    })

    /** Publishes events the model produces, following the turns they start and end. */
    const publishAll = (events: ReadonlyArray<RealtimeModelEvent>) =>
      Effect.andThen(Ref.update(state, (s) => followTurns(s, events)), hub.publishAll(events))

    const close: Effect.Effect<void> = Effect.flatMap(
      Ref.modify(
        state,
        (s): [boolean, ScriptState] => s.lifecycle === "connected" ? [true, { ...s, lifecycle: "closed" }] : [false, s]
      ),
      (wasConnected) => wasConnected ? hub.publishAll([status("disconnected"), EndOfStream.make({})]) : Effect.void
    )

    const connect = (config: RealtimeModelConfig = {}) =>
      Effect.gen(function*() {
        const apiKey = yield* resolveApiKey(config.apiKey)
        const alreadyConnected = yield* Ref.modify(state, (s): [boolean, ScriptState] => [
          s.lifecycle === "connected",
          s.lifecycle === "connected"
            ? { ...s, connects: [...s.connects, record(config, Option.isSome(apiKey))] }
            : {
              ...s,
              connects: [...s.connects, record(config, Option.isSome(apiKey))],
              response: undefined,
              tracker: config.playbackTracker
            }
        ])
        if (alreadyConnected) {
          return yield* new RealtimeConnectError({
            reason: "AlreadyConnected",
            message: "the model is already connected; close it (or its scope) before connecting again"
          })
        }
        yield* hub.publish(status("connecting"))
        if (options.connectError !== undefined) {
          yield* hub.publish(status("disconnected"))
          return yield* options.connectError
        }
        yield* Ref.update(state, (s) => ({ ...s, lifecycle: "connected" as const }))
        yield* Effect.addFinalizer(() => close)
        yield* publishAll([status("connected"), ...(options.onConnect ?? [])])
      })

    /** Decides a send; with a predicate, only if it holds now (in the same atomic step). */
    const decide = (
      event: SendEvent.RealtimeModelSendEvent,
      condition: {
        readonly predicate: (state: RealtimeModelState) => boolean
        readonly playback: RealtimeModelState["playback"]
      } | undefined
    ) =>
      Ref.modify(state, (s): [SendOutcome, ScriptState] => {
        if (s.lifecycle !== "connected") {
          const reason = s.lifecycle === "idle" ? "NotConnected" : "Closed"
          return [{
            _tag: "Refused",
            error: new RealtimeSendError({
              reason,
              eventTag: event._tag,
              message: s.lifecycle === "idle"
                ? "the model is not connected: call connect first"
                : "the connection is closed"
            })
          }, s]
        }
        if (condition !== undefined && !condition.predicate(snapshot(s, condition.playback))) {
          return [{ _tag: "Skipped" }, s]
        }
        const [next, ...rest] = s.steps
        if (next !== undefined && matches(next.expect, event)) {
          const after = next.fail === undefined ? followTurns(s, next.emit ?? []) : s
          return [{ _tag: "Step", step: next }, { ...after, steps: rest, sent: [...s.sent, event] }]
        }
        if (strict) {
          return [{
            _tag: "Refused",
            error: new RealtimeSendError({
              reason: "InvalidEvent",
              eventTag: event._tag,
              message: next === undefined
                ? `unexpected ${event._tag}: the script has no steps left`
                : `unexpected ${event._tag}: the script expects ${describeMatcher(next.expect)} next`
            })
          }, s]
        }
        return [{ _tag: "Ignored" }, { ...s, sent: [...s.sent, event] }]
      })

    const send = (
      event: SendEvent.RealtimeModelSendEvent,
      predicate: ((state: RealtimeModelState) => boolean) | undefined
    ): Effect.Effect<boolean, RealtimeSendError> =>
      Effect.gen(function*() {
        const valid = yield* SendEvent.validate(event)
        const tracker = predicate === undefined ? undefined : (yield* Ref.get(state)).tracker
        const playback = tracker === undefined ? idlePlayback : yield* tracker.getState
        const outcome = yield* decide(valid, predicate === undefined ? undefined : { predicate, playback })
        switch (outcome._tag) {
          case "Refused":
            return yield* outcome.error
          case "Skipped":
            return false
          case "Ignored":
            return true
          case "Step":
            if (outcome.step.fail !== undefined) return yield* outcome.step.fail
            // the turns these events start or end were followed when the step was taken
            yield* hub.publishAll(outcome.step.emit ?? [])
            return true
        }
      })

    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        close,
        Effect.flatMap(Ref.get(state), (s) =>
          strict && s.steps.length > 0
            ? Effect.die(
              new ScriptIncomplete({
                remaining: s.steps.length,
                message: `the script ended with ${s.steps.length} step(s) never sent, the next expecting ${
                  describeMatcher(s.steps[0]!.expect)
                }`
              })
            )
            : Effect.void)
      )
    )

    const model: ScriptedRealtimeModel = {
      connect,
      subscribe: hub.subscribe,
      sendEvent: (event) => Effect.asVoid(send(event, undefined)),
      sendEventIf: send,
      close,
      status: Effect.map(
        Ref.get(state),
        (s): ConnectionStatus => s.lifecycle === "connected" ? "connected" : "disconnected"
      ),
      connects: Effect.map(Ref.get(state), (s) => s.connects),
      sent: Effect.map(Ref.get(state), (s) => s.sent),
      remainingSteps: Effect.map(Ref.get(state), (s) => s.steps.length),
      emit: (event) => publishAll([event])
    }
    return model
  })

/**
 * A layer providing a scripted `RealtimeModel` (and the same instance as
 * {@link ScriptedRealtimeModel} for inspection), in place of a production layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerScripted = (
  options: ScriptedModelOptions = {}
): Layer.Layer<RealtimeModel | ScriptedRealtimeModel> =>
  Layer.effectContext(
    Effect.map(makeScripted(options), (model) =>
      Context.make(ScriptedRealtimeModel, model).pipe(Context.add(RealtimeModel, model)))
  )

export {
  /**
   * The embedded protocol server as a scoped layer, for tests that run the real `OpenAIRealtime`
   * over a loopback socket (see the `RealtimeServer` module).
   *
   * @since 0.1.0
   * @category testing
   */
  layer as layerServer,
  /**
   * Starts the embedded protocol server in the current scope (see the `RealtimeServer` module).
   *
   * @since 0.1.0
   * @category testing
   */
  make as makeServer
} from "./RealtimeServer.js"
export type {
  /**
   * Faults the embedded server injects, for tests of error handling (see the `RealtimeServer`
   * module).
   *
   * @since 0.1.0
   * @category testing
   */
  Faults,
  /**
   * How the embedded server behaves (see the `RealtimeServer` module).
   *
   * @since 0.1.0
   * @category testing
   */
  RealtimeServerOptions,
  /**
   * A reply rule of the embedded server: the user text it matches and the reply or function call
   * it answers with (see the `RealtimeServer` module).
   *
   * @since 0.1.0
   * @category testing
   */
  ReplyRule
} from "./RealtimeServer.js"
