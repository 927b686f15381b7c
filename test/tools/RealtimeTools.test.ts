/**
 * RealtimeTools against the scripted model: the toolkit's tools in the session, calls decoded,
 * handled and answered, each failure answered, the concurrency bound, and every cancellation
 * (barge-in, the provider's cancellation, the connection's end, the scope's close). Time is the
 * TestClock's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Queue, Schema, Scope, Stream } from "effect"
import { Tool, Toolkit } from "effect/ai"
import { TestClock } from "effect/testing"
import * as Event from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeTesting from "../../src/RealtimeTesting.js"
import * as RealtimeTools from "../../src/RealtimeTools.js"
import { takeFirst } from "../support/queues.js"
import { handlers, recordingSends, WeatherToolkit } from "./toolkit.js"

type ToolOutput = typeof Send.ToolOutput.Type

const call = (name: string, args: string, callId = `call ${name} ${args}`) =>
  Event.FunctionCall.make({ name, callId, arguments: args, itemId: `item_${callId}`, previousItemId: null })

/**
 * A scripted model given the test toolkit. Every event sent through it goes to `sent` too, so a
 * test waits for an output instead of sleeping; `reports` has what the lookup handler reported.
 */
const setup = (options: RealtimeTools.RealtimeToolsOptions = {}) =>
  Effect.gen(function*() {
    const scripted = yield* RealtimeTesting.makeScripted()
    const sent = yield* Queue.unbounded<Send.RealtimeModelSendEvent>()
    const reports = yield* Queue.unbounded<string>()
    const model = yield* RealtimeTools.make(recordingSends(scripted, sent), WeatherToolkit, options).pipe(
      Effect.provide(handlers(reports))
    )
    const nextOutput = takeFirst(sent, (event): event is ToolOutput => event._tag === "ToolOutput")
    const nextReport = Queue.take(reports)
    return { scripted, model, sent, reports, nextOutput, nextReport }
  })

const slow = call("look_up", "{\"key\":\"slow\"}")

/** Connected, with the slow lookup's handler running. */
const slowCallRunning = (options: RealtimeTools.RealtimeToolsOptions = {}) =>
  Effect.gen(function*() {
    const context = yield* setup(options)
    yield* context.model.connect()
    yield* context.scripted.emit(slow)
    expect(yield* context.nextReport).toBe("start slow")
    return context
  })

describe("RealtimeTools", () => {
  it.effect("puts the toolkit's tools into the session at connect, beside the application's own", () =>
    Effect.gen(function*() {
      const { model, scripted } = yield* setup()
      const own = { type: "function" as const, name: "end_call", description: "Hang up" }
      const stale = { type: "function" as const, name: "get_weather", description: "an older schema" }
      yield* model.connect({ initialSettings: { instructions: "Be brief.", tools: [own, stale] } })
      const [connect] = yield* scripted.connects
      expect(connect?.initialSettings?.instructions).toBe("Be brief.")
      expect(connect?.initialSettings?.tools).toEqual([
        own,
        {
          type: "function",
          name: "get_weather",
          description: "The weather in a city, now",
          parameters: {
            type: "object",
            properties: { city: { type: "string", description: "The city's name" } },
            required: ["city"],
            additionalProperties: true
          }
        },
        {
          type: "function",
          name: "look_up",
          description: "A slow lookup in the archive",
          parameters: Tool.getJsonSchema(WeatherToolkit.tools.look_up)
        }
      ])
    }))

  it.effect("keeps the tools in a session update that sets tools, and leaves one that does not alone", () =>
    Effect.gen(function*() {
      const { model, scripted } = yield* setup()
      yield* model.connect()
      yield* model.sendEvent(Send.SessionUpdate.make({ sessionSettings: { tools: [] } }))
      yield* model.sendEvent(Send.SessionUpdate.make({ sessionSettings: { instructions: "Be kind." } }))
      const [withTools, withoutTools] = yield* scripted.sent
      expect(
        withTools?._tag === "SessionUpdate" &&
          withTools.sessionSettings.tools?.map((tool) => "name" in tool ? tool.name : tool.serverLabel)
      ).toEqual(["get_weather", "look_up"])
      expect(withoutTools).toEqual(Send.SessionUpdate.make({ sessionSettings: { instructions: "Be kind." } }))
    }))

  it.effect("answers a call: arguments decoded, the handler run, its success encoded as JSON", () =>
    Effect.gen(function*() {
      const { model, scripted, nextOutput } = yield* setup()
      yield* model.connect()
      const toolCall = call("get_weather", "{\"city\":\"Oslo\"}")
      yield* scripted.emit(toolCall)
      expect(yield* nextOutput).toEqual(Send.ToolOutput.make({ toolCall, output: "{\"celsius\":-4}" }))
    }))

  it.effect("starts the next response only if the application chose so", () =>
    Effect.gen(function*() {
      const { model, scripted, nextOutput } = yield* setup({ startResponse: false })
      yield* model.connect()
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}"))
      expect((yield* nextOutput).startResponse).toBe(false)
    }))

  it.effect("calls answered together get one response: only the last output asks for it", () =>
    Effect.gen(function*() {
      const { scripted, nextOutput } = yield* slowCallRunning()
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}"))
      const fast = yield* nextOutput
      expect([fast.output, fast.startResponse]).toEqual(["{\"celsius\":-4}", false])
      yield* TestClock.adjust("1 second")
      const last = yield* nextOutput
      expect([last.toolCall, last.startResponse]).toEqual([slow, true])
      // a call alone asks for a response again, also after a call was interrupted
      yield* scripted.emit(call("look_up", "{\"key\":\"cut\"}"))
      yield* scripted.emit(Event.AudioInterrupted.make({ itemId: "item_1", contentIndex: 0 }))
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}", "call_after"))
      expect((yield* nextOutput).startResponse).toBe(true)
    }))

  it.effect("answers each failure with an output the model can read, and goes on answering", () =>
    Effect.gen(function*() {
      const { model, scripted, nextOutput } = yield* setup()
      yield* model.connect()
      const outputs: Array<string> = []
      for (
        const args of ["{\"city\":", "{\"town\":\"Oslo\"}", "{\"city\":\"Atlantis\"}", "{\"city\":\"Bergen\"}"]
      ) {
        yield* scripted.emit(call("get_weather", args))
        outputs.push((yield* nextOutput).output)
      }
      const [notJson, notDecoded, typedFailure, defect] = outputs.map((output) => JSON.parse(output))
      expect(notJson.error).toMatch(/^invalid arguments: not JSON \(.+\)$/)
      expect(notDecoded.error).toMatch(/^invalid arguments: Missing key\s+at \["city"\]$/)
      expect(typedFailure).toEqual({ error: { unknownCity: "Atlantis" } })
      expect(defect).toEqual({ error: "the tool failed unexpectedly" })
      expect(outputs.join("\n")).not.toContain("secret internals")
      // the next call is answered as if nothing had happened
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}"))
      expect((yield* nextOutput).output).toBe("{\"celsius\":-4}")
    }))

  it.effect("answers a tool whose failures are returned (failureMode \"return\") the same way", () =>
    Effect.gen(function*() {
      const Divide = Tool.make("divide", {
        parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
        success: Schema.Number,
        failure: Schema.Struct({ divisionByZero: Schema.Boolean }),
        failureMode: "return"
      })
      const Arithmetic = Toolkit.make(Divide)
      const scripted = yield* RealtimeTesting.makeScripted()
      const sent = yield* Queue.unbounded<Send.RealtimeModelSendEvent>()
      const model = yield* RealtimeTools.make(
        recordingSends(scripted, sent),
        Arithmetic
      ).pipe(Effect.provide(Arithmetic.toLayer({
        divide: ({ a, b }) => b === 0 ? Effect.fail({ divisionByZero: true }) : Effect.succeed(a / b)
      })))
      yield* model.connect()
      const outputs: Array<unknown> = []
      for (const args of ["{\"a\":6,\"b\":3}", "{\"a\":6,\"b\":0}", "{\"a\":\"six\",\"b\":3}"]) {
        yield* scripted.emit(call("divide", args))
        const output = yield* takeFirst(sent, (event): event is ToolOutput => event._tag === "ToolOutput")
        outputs.push(JSON.parse(output.output))
      }
      expect(outputs[0]).toBe(2)
      expect(outputs[1]).toEqual({ error: { divisionByZero: true } })
      expect(outputs[2]).toEqual({ error: "invalid arguments: Expected number\n  at [\"a\"]" })
    }))

  it.effect("leaves a call for an unknown tool to the application, or answers it with an error", () =>
    Effect.gen(function*() {
      const left = yield* setup()
      yield* left.model.connect()
      yield* left.scripted.emit(call("book_flight", "{}"))
      const known = call("get_weather", "{\"city\":\"Oslo\"}")
      yield* left.scripted.emit(known)
      expect((yield* left.nextOutput).toolCall).toEqual(known)
      expect((yield* left.scripted.sent).map((sent) => sent._tag)).toEqual(["ToolOutput"])

      const answered = yield* setup({ unknownTools: "answer" })
      yield* answered.model.connect()
      yield* answered.scripted.emit(call("book_flight", "{}"))
      expect(JSON.parse((yield* answered.nextOutput).output)).toEqual({
        error: "no tool named book_flight; the tools are get_weather, look_up"
      })
    }))

  it.effect("runs two calls at once, and no more than the bound", () =>
    Effect.gen(function*() {
      const parallel = yield* setup()
      yield* parallel.model.connect()
      yield* parallel.scripted.emit(call("look_up", "{\"key\":\"a\"}"))
      yield* parallel.scripted.emit(call("look_up", "{\"key\":\"b\"}"))
      expect([yield* parallel.nextReport, yield* parallel.nextReport]).toEqual(["start a", "start b"])
      yield* TestClock.adjust("1 second")
      const outputs = [yield* parallel.nextOutput, yield* parallel.nextOutput].map((output) => output.output)
      expect(outputs.sort()).toEqual(["\"the archive says a\"", "\"the archive says b\""])

      const serial = yield* setup({ concurrency: 1 })
      yield* serial.model.connect()
      yield* serial.scripted.emit(call("look_up", "{\"key\":\"a\"}"))
      yield* serial.scripted.emit(call("look_up", "{\"key\":\"b\"}"))
      const reports = [yield* serial.nextReport]
      yield* TestClock.adjust("1 second")
      reports.push(yield* serial.nextReport, yield* serial.nextReport)
      yield* TestClock.adjust("1 second")
      reports.push(yield* serial.nextReport)
      expect(reports).toEqual(["start a", "end a", "start b", "end b"])
    }))

  it.effect("with a timeout, a handler that takes longer is interrupted and the call answered with an error", () =>
    Effect.gen(function*() {
      const { scripted, nextOutput, nextReport } = yield* slowCallRunning({ timeout: "500 millis" })
      yield* TestClock.adjust("500 millis")
      expect(yield* nextReport).toBe("interrupted slow")
      expect(yield* nextOutput).toEqual(
        Send.ToolOutput.make({ toolCall: slow, output: "{\"error\":\"the tool did not answer within 500ms\"}" })
      )
      // a handler within the limit is answered as usual
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}"))
      expect((yield* nextOutput).output).toBe("{\"celsius\":-4}")
    }))

  it.effect("a barge-in (the model's AudioInterrupted) interrupts a running handler; no output is sent for it", () =>
    Effect.gen(function*() {
      const { scripted, nextOutput, nextReport } = yield* slowCallRunning()
      yield* scripted.emit(Event.AudioInterrupted.make({ itemId: "item_1", contentIndex: 0 }))
      expect(yield* nextReport).toBe("interrupted slow")
      // the lookup would have ended by now; a later call is answered, and it is the only output
      yield* TestClock.adjust("5 seconds")
      const later = call("get_weather", "{\"city\":\"Oslo\"}")
      yield* scripted.emit(later)
      expect((yield* nextOutput).toolCall).toEqual(later)
      expect((yield* scripted.sent).map((sent) => sent._tag)).toEqual(["ToolOutput"])
    }))

  it.effect("the provider cancelling a call (FunctionCallsCancelled) interrupts its handler alone; no output for it", () =>
    Effect.gen(function*() {
      const { scripted, nextOutput, nextReport } = yield* slowCallRunning()
      const other = call("look_up", "{\"key\":\"other\"}")
      yield* scripted.emit(other)
      expect(yield* nextReport).toBe("start other")
      yield* scripted.emit(Event.FunctionCallsCancelled.make({ callIds: [slow.callId, "call_never_made"] }))
      expect(yield* nextReport).toBe("interrupted slow")
      // the other call goes on and is the only one answered
      yield* TestClock.adjust("5 seconds")
      expect((yield* nextOutput).toolCall).toEqual(other)
      expect((yield* scripted.sent).map((sent) => sent._tag)).toEqual(["ToolOutput"])
    }))

  it.effect("the application's Interrupt interrupts running handlers before it is sent", () =>
    Effect.gen(function*() {
      const { model, scripted, reports } = yield* slowCallRunning()
      yield* model.sendEvent(Send.Interrupt.make({}))
      // interrupted by the time the send returns
      expect(yield* Queue.poll(reports)).toEqual(Option.some("interrupted slow"))
      expect((yield* scripted.sent).map((sent) => sent._tag)).toEqual(["Interrupt"])
    }))

  it.effect("with cancelOnBargeIn false, a barge-in leaves the handler running and its output is sent", () =>
    Effect.gen(function*() {
      const { scripted, nextOutput } = yield* slowCallRunning({ cancelOnBargeIn: false })
      yield* scripted.emit(Event.AudioInterrupted.make({ itemId: "item_1", contentIndex: 0 }))
      yield* TestClock.adjust("1 second")
      expect(yield* nextOutput).toEqual(Send.ToolOutput.make({ toolCall: slow, output: "\"the archive says slow\"" }))
    }))

  it.effect("a reconnect leaves handlers running; the connection's end interrupts them", () =>
    Effect.gen(function*() {
      const { model, scripted, nextOutput, nextReport } = yield* setup()
      yield* model.connect()
      yield* scripted.emit(call("look_up", "{\"key\":\"a\"}"))
      expect(yield* nextReport).toBe("start a")
      yield* scripted.emit(Event.ConnectionStatusChanged.make({ status: "reconnecting" }))
      yield* scripted.emit(Event.ConnectionStatusChanged.make({ status: "connected" }))
      yield* TestClock.adjust("1 second")
      expect(yield* nextReport).toBe("end a")
      expect((yield* nextOutput).output).toBe("\"the archive says a\"")

      yield* scripted.emit(call("look_up", "{\"key\":\"b\"}"))
      expect(yield* nextReport).toBe("start b")
      yield* model.close
      expect(yield* nextReport).toBe("interrupted b")
    }))

  it.effect("answers the calls of a second connection after the first has ended", () =>
    Effect.gen(function*() {
      const { model, scripted, nextOutput } = yield* setup()
      yield* model.connect()
      yield* model.close
      yield* model.connect()
      const second = call("get_weather", "{\"city\":\"Oslo\"}")
      yield* scripted.emit(second)
      expect(yield* nextOutput).toEqual(Send.ToolOutput.make({ toolCall: second, output: "{\"celsius\":-4}" }))
      expect((yield* scripted.connects).map((connect) => connect.initialSettings?.tools?.length)).toEqual([2, 2])
    }))

  it.effect("closing the scope interrupts running handlers", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { model, scripted, nextReport } = yield* setup().pipe(Scope.provide(scope))
      yield* model.connect().pipe(Scope.provide(scope))
      yield* scripted.emit(call("look_up", "{\"key\":\"a\"}"))
      yield* scripted.emit(call("look_up", "{\"key\":\"b\"}"))
      expect([yield* nextReport, yield* nextReport]).toEqual(["start a", "start b"])
      yield* Scope.close(scope, Exit.void)
      expect([yield* nextReport, yield* nextReport].sort()).toEqual(["interrupted a", "interrupted b"])
    }))

  it.effect("works with a strict script whose step waits for the output (the README's testing pattern)", () =>
    Effect.gen(function*() {
      const reports = yield* Queue.unbounded<string>()
      const scripted = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{
          expect: (sent) => sent._tag === "ToolOutput" && sent.output === "{\"celsius\":-4}",
          emit: [Event.TurnEnded.make({ responseId: "r1" })]
        }]
      })
      const events = yield* scripted.subscribe
      const model = yield* RealtimeTools.make(scripted, WeatherToolkit).pipe(Effect.provide(handlers(reports)))
      yield* model.connect()
      yield* scripted.emit(call("get_weather", "{\"city\":\"Oslo\"}"))
      yield* Stream.runDrain(Stream.takeUntil(events, (event) => event._tag === "TurnEnded"))
      expect(yield* scripted.remainingSteps).toBe(0)
    }))
})
