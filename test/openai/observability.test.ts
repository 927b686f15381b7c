import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted, Tracer } from "effect"
import type { Exit } from "effect"
import { defaultModelName } from "../../src/RealtimeSessionSettings.js"
import { connectHarness } from "./harness.js"

interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly parent: string | null
  ended: boolean
}

/** A tracer that records every span it is asked for. */
const recordingTracer = (spans: Array<RecordedSpan>): Tracer.Tracer =>
  Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      const recorded: RecordedSpan = {
        name: options.name,
        attributes: span.attributes,
        parent: Option.match(options.parent, { onNone: () => null, onSome: (parent) => parent.spanId }),
        ended: false
      }
      spans.push(recorded)
      const end = span.end.bind(span)
      span.end = (endTime: bigint, exit: Exit.Exit<unknown, unknown>) => {
        recorded.ended = true
        end(endTime, exit)
      }
      return span
    }
  })

describe("OpenAIRealtime observability", () => {
  it.effect("a span per connection and per response, with model and ids, never the key", () =>
    Effect.gen(function*() {
      const spans: Array<RecordedSpan> = []
      yield* Effect.gen(function*() {
        const { model, next, server } = yield* connectHarness({ apiKey: Redacted.make("sk-span-secret") })
        yield* server.send({
          type: "session.created",
          event_id: "e",
          session: { type: "realtime", id: "sess_42", model: "gpt-realtime" }
        })
        yield* server.send({ type: "response.created", event_id: "e", response: { id: "resp_7" } })
        yield* server.send({ type: "response.done", event_id: "e", response: { id: "resp_7", status: "completed" } })
        yield* next("TurnEnded")
        yield* model.close
      }).pipe(Effect.withTracer(recordingTracer(spans)))
      const connection = spans.find((span) => span.name === "OpenAIRealtime.connection")
      expect(connection?.attributes.get("realtime.model")).toBe(defaultModelName)
      expect(String(connection?.attributes.get("realtime.url"))).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/realtime$/)
      expect(connection?.ended).toBe(true)
      const response = spans.find((span) => span.name === "OpenAIRealtime.response")
      expect(response?.attributes.get("realtime.response_id")).toBe("resp_7")
      expect(response?.attributes.get("realtime.session_id")).toBe("sess_42")
      expect(response?.ended).toBe(true)
      const everything = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: [...span.attributes] })))
      expect(everything).not.toContain("sk-span-secret")
    }))
  it.effect("a response span still open when the call closes is ended with the connection", () =>
    Effect.gen(function*() {
      const spans: Array<RecordedSpan> = []
      yield* Effect.gen(function*() {
        const { model, next, server } = yield* connectHarness({})
        yield* server.send({ type: "response.created", event_id: "e", response: { id: "resp_open" } })
        // a frame after it that listeners see: by then the response's span is open
        yield* server.send({ type: "error", event_id: "e", error: { type: "invalid_request_error", message: "x" } })
        yield* next("ErrorEvent")
        yield* model.close
      }).pipe(Effect.withTracer(recordingTracer(spans)))
      const responses = spans.filter((span) => span.name === "OpenAIRealtime.response")
      expect(responses.map((span) => span.attributes.get("realtime.response_id"))).toEqual(["resp_open"])
      expect(responses.map((span) => span.ended)).toEqual([true])
    }))
})
