/**
 * What the application sees of its tool calls: a span per call with the tool's name and call id
 * (an interrupted call's span ends too), and logs saying what failed, a defect with its cause.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger, Queue, Tracer } from "effect"
import type { Exit } from "effect"
import * as Event from "../../src/RealtimeModelEvent.js"
import type * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeTesting from "../../src/RealtimeTesting.js"
import * as RealtimeTools from "../../src/RealtimeTools.js"
import { handlers, recordingSends, WeatherToolkit } from "./toolkit.js"

interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  exit?: Exit.Exit<unknown, unknown>
}

/** A tracer that records every span it is asked for, and how it ended. */
const recordingTracer = (spans: Array<RecordedSpan>): Tracer.Tracer =>
  Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      const recorded: RecordedSpan = { name: options.name, attributes: span.attributes }
      spans.push(recorded)
      const end = span.end.bind(span)
      span.end = (endTime, exit) => {
        recorded.exit = exit
        end(endTime, exit)
      }
      return span
    }
  })

interface RecordedLog {
  readonly level: string
  readonly message: string
  readonly cause: string
}

const call = (name: string, callId: string, args: string) =>
  Event.FunctionCall.make({ name, callId, arguments: args, itemId: `item_${callId}`, previousItemId: null })

describe("RealtimeTools observability", () => {
  it.effect("a span per call with tool.name, call_id and its outcome; failures logged, a defect with its cause", () => {
    const spans: Array<RecordedSpan> = []
    const logs: Array<RecordedLog> = []
    const logger = Logger.make(({ cause, logLevel, message }) => {
      logs.push({
        level: logLevel,
        message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
        cause: Cause.pretty(cause)
      })
    })
    return Effect.gen(function*() {
      const scripted = yield* RealtimeTesting.makeScripted()
      const outputs = yield* Queue.unbounded<Send.RealtimeModelSendEvent>()
      const reports = yield* Queue.unbounded<string>()
      const model = yield* RealtimeTools.make(
        recordingSends(scripted, outputs),
        WeatherToolkit
      ).pipe(Effect.provide(handlers(reports)))
      yield* model.connect()
      yield* scripted.emit(call("get_weather", "call_ok", "{\"city\":\"Oslo\"}"))
      yield* scripted.emit(call("get_weather", "call_failure", "{\"city\":\"Atlantis\"}"))
      yield* scripted.emit(call("get_weather", "call_defect", "{\"city\":\"Bergen\"}"))
      for (let answered = 0; answered < 3; answered++) yield* Queue.take(outputs)
      yield* scripted.emit(call("look_up", "call_slow", "{\"key\":\"slow\"}"))
      expect(yield* Queue.take(reports)).toBe("start slow")
      yield* scripted.emit(Event.AudioInterrupted.make({ itemId: "item_1", contentIndex: 0 }))
      expect(yield* Queue.take(reports)).toBe("interrupted slow")
      yield* model.close

      const calls = spans.filter((span) => span.name === "RealtimeTools.call")
      expect(calls.map((span) => [span.attributes.get("tool.name"), span.attributes.get("call_id")])).toEqual([
        ["get_weather", "call_ok"],
        ["get_weather", "call_failure"],
        ["get_weather", "call_defect"],
        ["look_up", "call_slow"]
      ])
      // every span ended: the answered ones with success (a failure is an answer), the slow one interrupted
      expect(calls.map((span) => span.exit?._tag)).toEqual(["Success", "Success", "Success", "Failure"])
      expect(calls.map((span) => span.attributes.get("tool.outcome"))).toEqual([
        "success",
        "failure",
        "defect",
        undefined
      ])

      const failure = logs.find((log) => log.message.includes("tool call failed"))
      expect(failure?.level).toBe("Warn")
      expect(failure?.message).toBe("tool call failed: {\"unknownCity\":\"Atlantis\"}")
      const defect = logs.find((log) => log.level === "Error")
      expect(defect?.message).toBe("the tool failed unexpectedly")
      expect(defect?.cause).toContain("weather service exploded (secret internals) for Bergen")
      expect(logs.some((log) => log.level === "Info" && log.message === "1 tool call(s) interrupted: barge-in"))
        .toBe(true)
    }).pipe(Effect.withTracer(recordingTracer(spans)), Effect.provide(Logger.layer([logger])))
  })
})
