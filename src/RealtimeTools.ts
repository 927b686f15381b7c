/**
 * Tools for a realtime model as `effect/ai` Toolkits: the toolkit's tools are put into the session
 * (their JSON schemas derived from the parameters Schemas), and the model's function calls for
 * them are answered by the toolkit's handlers, each in its own fiber and span, interrupted when
 * the call no longer matters. Built on the `RealtimeModel` contract alone, so it works for every
 * provider.
 *
 * @since 0.4.0
 */
import { Duration, Effect, Fiber, FiberMap, Layer, Ref, Semaphore, Stream } from "effect"
import type { Scope } from "effect"
import type { Tool, Toolkit } from "effect/ai"
import { type Answer, answer, type Handle } from "./internal/tools/answer.js"
import { functionTools, mergeTools } from "./internal/tools/session.js"
import { RealtimeModel } from "./RealtimeModel.js"
import type { RealtimeModelConfig, RealtimeModelService } from "./RealtimeModel.js"
import type { FunctionCall, RealtimeModelEvent } from "./RealtimeModelEvent.js"
import { ToolOutput } from "./RealtimeModelSendEvent.js"
import type { RealtimeModelSendEvent } from "./RealtimeModelSendEvent.js"

/**
 * How the model's function calls are answered.
 *
 * @since 0.4.0
 * @category models
 */
export interface RealtimeToolsOptions {
  /** How many handlers run at once; further calls wait for a slot (still cancellable). Default 4. */
  readonly concurrency?: number
  /**
   * Whether the model goes on speaking once the calls are answered (default `true`). Calls that
   * run together (the parallel calls of one response, say) get one response: only the output
   * that leaves no call of the connection pending asks for it. `false`: no output asks.
   */
  readonly startResponse?: boolean
  /**
   * A call for a tool the toolkit does not hold: `"application"` (default) leaves it to the
   * application's own listener; `"answer"` sends an error output naming the toolkit's tools.
   */
  readonly unknownTools?: "application" | "answer"
  /**
   * Whether a barge-in interrupts the running handlers (default `true`): an `AudioInterrupted`
   * event, or an `Interrupt` (not `playbackOnly`) sent through the returned model.
   */
  readonly cancelOnBargeIn?: boolean
  /**
   * How long a handler may run: past it the handler is interrupted and the call is answered
   * `{"error":"the tool did not answer within …"}`. Unbounded by default (a handler then ends
   * with its call: a barge-in, the connection's end, the scope's close).
   */
  readonly timeout?: Duration.Input
}

/**
 * The services a toolkit's handlers need: the handlers themselves (`toolkit.toLayer(...)`) and
 * whatever their Schemas and tools require.
 *
 * @since 0.4.0
 * @category models
 */
export type HandlerRequirements<Tools extends Record<string, Tool.Any>> =
  | Tool.HandlersFor<Tools>
  | Tool.HandlerServices<Tools[keyof Tools]>

type Reason = "barge-in" | "connection ended" | "scope closed"

/** The calls of one connection: their fibers by call id, and how many have no answer yet. */
interface Calls {
  readonly fibers: FiberMap.FiberMap<string>
  readonly pending: Ref.Ref<number>
}

/**
 * Gives `model` the toolkit's tools for the life of the Scope, and returns the model to use: its
 * `connect` puts the tools into the initial settings, and a `SessionUpdate` that sets `tools`
 * keeps them (the application's own tools stay beside them; one named like a toolkit tool is
 * replaced). Each `connect` subscribes before it dials, so the model may be connected again after
 * a connection ends.
 *
 * Each `FunctionCall` for one of the toolkit's tools is answered with a `ToolOutput`: the
 * `arguments` parsed and decoded with the parameters Schema, the handler run, the success encoded
 * with its Schema, as JSON. Failures are outputs too, and none ends the call: arguments that are
 * not JSON or do not decode give `{"error":"invalid arguments: …"}` (the Schema's message); a
 * typed failure gives `{"error":<the failure encoded with the failure Schema>}`; a defect (or a
 * result that does not encode) is logged with its cause and gives `{"error":"the tool failed
 * unexpectedly"}`, never the stack. Failures are logged as warnings.
 *
 * Each call runs in its own fiber and span (`RealtimeTools.call`, with `tool.name`, `call_id` and,
 * once answered, `tool.outcome`),
 * at most `concurrency` at once, and within `timeout` when one is given. A call that no longer matters is interrupted and nothing is sent
 * for it: on a barge-in (see `cancelOnBargeIn`), when the provider cancels it
 * (`FunctionCallsCancelled`), when the connection ends without a reconnect
 * (`disconnected`; a reconnect leaves calls running, their outputs wait for the new connection),
 * and when the Scope closes.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = <Tools extends Record<string, Tool.Any>>(
  model: RealtimeModelService,
  toolkit: Toolkit.Toolkit<Tools>,
  options: RealtimeToolsOptions = {}
): Effect.Effect<RealtimeModelService, never, Scope.Scope | HandlerRequirements<Tools>> =>
  Effect.gen(function*() {
    const handlers = yield* toolkit
    const services = yield* Effect.context<HandlerRequirements<Tools>>()
    // a call's name and arguments come off the wire: the toolkit decodes them (an unknown name
    // never reaches it), so they are passed on untyped, with the handlers' services provided
    const handle: Handle = (name, params, callId) =>
      handlers.handle(name, params as Tool.ParametersEncoded<Tools[keyof Tools]>, callId).pipe(
        Effect.map(Stream.provideContext(services)),
        Effect.provideContext(services)
      )
    const tools: Record<string, Tool.Any> = toolkit.tools
    const ours = functionTools(tools)
    const startResponse = options.startResponse ?? true
    const slots = yield* Semaphore.make(Math.max(1, options.concurrency ?? 4))

    /** The calls of the connection opened last; only `connect` sets it. */
    const current = yield* Ref.make<Calls | undefined>(undefined)

    const cancelAll = (calls: Calls, reason: Reason) =>
      Effect.flatMap(FiberMap.size(calls.fibers), (running) =>
        running === 0 ? Effect.void : Effect.andThen(
          Effect.logInfo(`${running} tool call(s) interrupted: ${reason}`),
          FiberMap.clear(calls.fibers)
        ))

    /** The provider cancelled these calls: their handlers are interrupted, and nothing is sent for them. */
    const cancelSome = (calls: Calls, callIds: ReadonlyArray<string>) =>
      Effect.forEach(callIds, (callId) =>
        Effect.flatMap(FiberMap.has(calls.fibers, callId), (running) =>
          running
            ? Effect.andThen(
              Effect.logInfo("tool call interrupted: the provider cancelled it").pipe(
                Effect.annotateLogs({ callId })
              ),
              FiberMap.remove(calls.fibers, callId)
            )
            : Effect.void), { discard: true })

    const unknownTool = (call: FunctionCall): Effect.Effect<Answer> =>
      Effect.succeed({
        outcome: "unknownTool",
        output: JSON.stringify({ error: `no tool named ${call.name}; the tools are ${Object.keys(tools).join(", ")}` })
      })

    const timeLimit = options.timeout === undefined ? undefined : Duration.toMillis(options.timeout)
    const withinTimeLimit = (reply: Effect.Effect<Answer>): Effect.Effect<Answer> =>
      timeLimit === undefined ? reply : Effect.timeoutOrElse(reply, {
        duration: timeLimit,
        orElse: () => {
          const limit = Duration.format(Duration.millis(timeLimit))
          return Effect.as(Effect.logWarning(`tool call interrupted: no answer within ${limit}`), {
            outcome: "timeout",
            output: JSON.stringify({ error: `the tool did not answer within ${limit}` })
          })
        }
      })

    /**
     * Answers one call: the handler in a slot and within the time limit (the services also reach
     * what is encoded outside the handler, a typed failure), then the output. The call stops being
     * pending when its answer is ready, in one step with learning whether it was the last one: only
     * that output asks the model to go on, so calls answered together get one response. An
     * interrupted call stops being pending too, and sends nothing.
     */
    const respond = (calls: Calls, call: FunctionCall, reply: Effect.Effect<Answer>) =>
      Effect.uninterruptibleMask((restore) =>
        restore(Semaphore.withPermit(slots)(withinTimeLimit(Effect.provideContext(reply, services)))).pipe(
          Effect.onInterrupt(() => Ref.update(calls.pending, (pending) => pending - 1)),
          Effect.flatMap(({ outcome, output }) =>
            Effect.map(Ref.modify(calls.pending, (pending) => [pending === 1, pending - 1]), (last) => ({
              outcome,
              output,
              last
            }))
          )
        )
      ).pipe(
        Effect.flatMap(({ last, outcome, output }) =>
          Effect.andThen(
            Effect.annotateCurrentSpan("tool.outcome", outcome),
            model.sendEvent(ToolOutput.make({ toolCall: call, output, startResponse: startResponse && last }))
          )
        ),
        Effect.catch((error) => Effect.logWarning("the tool's output could not be sent", error)),
        Effect.onInterrupt(() => Effect.logDebug("tool call interrupted")),
        Effect.withSpan("RealtimeTools.call", { attributes: { "tool.name": call.name, call_id: call.callId } }),
        Effect.annotateLogs({ tool: call.name, callId: call.callId })
      )

    /** Starts answering a call, once: the listener is the only one that adds calls. */
    const start = (calls: Calls, call: FunctionCall, reply: Effect.Effect<Answer>) =>
      Effect.gen(function*() {
        if (yield* FiberMap.has(calls.fibers, call.callId)) return
        yield* Ref.update(calls.pending, (pending) => pending + 1)
        // the fiber starts at once, so even its interruption before it first yields is counted
        yield* FiberMap.run(calls.fibers, call.callId, respond(calls, call, reply))
      })

    const cancelCurrent = (reason: Reason) =>
      Effect.flatMap(Ref.get(current), (calls) => calls === undefined ? Effect.void : cancelAll(calls, reason))
    yield* Effect.addFinalizer(() => cancelCurrent("scope closed"))

    const onEvent = (calls: Calls) => (event: RealtimeModelEvent): Effect.Effect<void> => {
      switch (event._tag) {
        case "FunctionCall": {
          const tool = Object.hasOwn(tools, event.name) ? tools[event.name] : undefined
          if (tool === undefined && options.unknownTools !== "answer") return Effect.void
          const reply = tool === undefined ? unknownTool(event) : answer(handle, tool, event)
          return start(calls, event, reply)
        }
        case "AudioInterrupted":
          return options.cancelOnBargeIn === false ? Effect.void : cancelAll(calls, "barge-in")
        case "FunctionCallsCancelled":
          return cancelSome(calls, event.callIds)
        case "ConnectionStatusChanged":
          return event.status === "disconnected" ? cancelAll(calls, "connection ended") : Effect.void
        case "EndOfStream":
          return cancelAll(calls, "connection ended")
        default:
          return Effect.void
      }
    }

    const isBargeIn = (event: RealtimeModelSendEvent) =>
      event._tag === "Interrupt" && !event.playbackOnly && options.cancelOnBargeIn !== false

    /** A `SessionUpdate` that sets the tools gets the toolkit's beside them. */
    const withOurTools = (event: RealtimeModelSendEvent): RealtimeModelSendEvent =>
      event._tag === "SessionUpdate" && event.sessionSettings.tools !== undefined
        ? {
          ...event,
          sessionSettings: { ...event.sessionSettings, tools: mergeTools(ours, event.sessionSettings.tools) }
        }
        : event

    /**
     * Each connection has its calls and a listener subscribed before it dials, in its scope: when
     * the scope closes, the listener stops first (no call starts after), then the calls are
     * interrupted.
     */
    const connect = (config: RealtimeModelConfig = {}) =>
      Effect.gen(function*() {
        const calls: Calls = { fibers: yield* FiberMap.make<string>(), pending: yield* Ref.make(0) }
        const events = yield* model.subscribe
        const listener = yield* Effect.forkScoped(Stream.runForEach(events, onEvent(calls)))
        yield* model.connect({
          ...config,
          initialSettings: { ...config.initialSettings, tools: mergeTools(ours, config.initialSettings?.tools) }
        }).pipe(Effect.onError(() => Fiber.interrupt(listener)))
        yield* Ref.set(current, calls)
      })

    return {
      ...model,
      connect,
      // an interrupt cancels the running calls first, so none of their outputs follows it
      sendEvent: (event) =>
        Effect.andThen(
          isBargeIn(event) ? cancelCurrent("barge-in") : Effect.void,
          model.sendEvent(withOurTools(event))
        ),
      sendEventIf: (event, predicate) =>
        Effect.tap(
          model.sendEventIf(withOurTools(event), predicate),
          (sent) => sent && isBargeIn(event) ? cancelCurrent("barge-in") : Effect.void
        )
    } satisfies RealtimeModelService
  })

/**
 * The `RealtimeModel` in context, given the toolkit's tools (see {@link make}) for the life of the
 * layer. Provide it the model's layer and the toolkit's handlers (`toolkit.toLayer(...)`).
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = <Tools extends Record<string, Tool.Any>>(
  toolkit: Toolkit.Toolkit<Tools>,
  options: RealtimeToolsOptions = {}
): Layer.Layer<RealtimeModel, never, RealtimeModel | HandlerRequirements<Tools>> =>
  Layer.effect(
    RealtimeModel,
    Effect.flatMap(RealtimeModel, (model: RealtimeModelService) => make(model, toolkit, options))
  )
