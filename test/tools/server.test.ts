/**
 * RealtimeTools over a real WebSocket, with OpenAIRealtime and the embedded server on 127.0.0.1:
 * the session's tools are the toolkit's (and valid client frames of the protocol corpus), a call
 * is answered and the reply speaks its output, and the application's interrupt stops a slow
 * handler with nothing sent for it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Queue, Stream } from "effect"
import { Tool } from "effect/ai"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import * as RealtimeTools from "../../src/RealtimeTools.js"
import { clientFrameErrors } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"
import { GetWeather, handlers, LookUp, WeatherToolkit } from "./toolkit.js"

const rules: ReadonlyArray<RealtimeServer.ReplyRule> = [
  { match: "Oslo", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } },
  { match: "Atlantis", functionCall: { name: "get_weather", arguments: "{\"city\":\"Atlantis\"}" } },
  { match: "archive", functionCall: { name: "look_up", arguments: "{\"key\":\"slow\"}" } }
]

/** The production model with the test toolkit, connected to a fresh embedded server. */
const connected = Effect.gen(function*() {
  const server = yield* RealtimeServer.make({ rules, speed: 20 })
  const reports = yield* Queue.unbounded<string>()
  const base = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
  const model = yield* RealtimeTools.make(base, WeatherToolkit).pipe(Effect.provide(handlers(reports)))
  const events = yield* Queue.unbounded<RealtimeModelEvent>()
  yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
  yield* Effect.orDie(model.connect({ url: server.url, initialSettings: { turnDetection: null } }))

  /** Says `text` and returns the transcript of the spoken reply (a tool call's turn comes first). */
  const ask = (text: string) =>
    Effect.gen(function*() {
      yield* Effect.orDie(model.sendEvent(Send.UserInput.make({ userInput: text })))
      let transcript = ""
      yield* takeUntil(events, (event) => {
        if (event._tag === "TranscriptDelta") transcript += event.delta
        return event._tag === "TurnEnded" && transcript.length > 0
      })
      return transcript
    })

  /** The client frames the server has received, parsed, of one type. */
  const frames = (type: string) =>
    Effect.map(
      server.received,
      (texts) =>
        texts.map((text): Record<string, unknown> => JSON.parse(text)).filter((frame) => frame["type"] === type)
    )
  return { model, events, reports, ask, frames }
})

describe("RealtimeTools with the embedded server", () => {
  it.live(
    "puts the toolkit's tools into the session as the corpus's session.update allows",
    () =>
      Effect.gen(function*() {
        const { ask, frames } = yield* connected
        // one exchange, so the session.update has surely arrived
        yield* ask("Hello")
        const [update] = yield* frames("session.update")
        expect(update).toBeDefined()
        expect(clientFrameErrors(update!)).toEqual([])
        const session = update!["session"] as Record<string, unknown>
        expect(session["tools"]).toEqual([
          {
            type: "function",
            name: "get_weather",
            description: "The weather in a city, now",
            parameters: Tool.getJsonSchema(GetWeather)
          },
          {
            type: "function",
            name: "look_up",
            description: "A slow lookup in the archive",
            parameters: Tool.getJsonSchema(LookUp)
          }
        ])
      }),
    30_000
  )

  it.live(
    "answers the model's call, and the model speaks the tool's output; a typed failure too",
    () =>
      Effect.gen(function*() {
        const { ask, frames } = yield* connected
        expect(yield* ask("What's the weather in Oslo?")).toBe("Here is what I found: {\"celsius\":-4}.")
        expect(yield* ask("And in Atlantis?")).toBe(
          "Here is what I found: {\"error\":{\"unknownCity\":\"Atlantis\"}}."
        )
        const creates = yield* frames("conversation.item.create")
        const outputs = creates.map((frame) => frame["item"] as Record<string, unknown>)
          .filter((item) => item["type"] === "function_call_output")
        expect(outputs.map((item) => item["output"])).toEqual([
          "{\"celsius\":-4}",
          "{\"error\":{\"unknownCity\":\"Atlantis\"}}"
        ])
        for (const frame of creates) expect(clientFrameErrors(frame)).toEqual([])
      }),
    30_000
  )

  it.live(
    "the application's interrupt stops a slow handler, and no output is sent for its call",
    () =>
      Effect.gen(function*() {
        const { model, events, reports, ask, frames } = yield* connected
        yield* Effect.orDie(model.sendEvent(Send.UserInput.make({ userInput: "Look it up in the archive" })))
        yield* takeUntil(events, (event) => event._tag === "FunctionCall")
        expect(yield* Queue.take(reports)).toBe("start slow")
        yield* Effect.orDie(model.sendEvent(Send.Interrupt.make({})))
        expect(yield* Queue.poll(reports)).toEqual(Option.some("interrupted slow"))
        // the conversation goes on; the server has everything sent before this exchange
        expect(yield* ask("Hello again")).not.toBe("")
        const outputs = (yield* frames("conversation.item.create"))
          .filter((frame) => (frame["item"] as Record<string, unknown>)["type"] === "function_call_output")
        expect(outputs).toEqual([])
      }),
    30_000
  )
})
