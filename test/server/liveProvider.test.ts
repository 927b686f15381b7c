/**
 * The library's `OpenAILive` provider, through the `RealtimeModel` contract alone, over real
 * WebSocket against the embedded server's Live front-end on 127.0.0.1: a text turn answered in
 * audio and transcript, a tool call delegated to the backend and answered through `ToolOutput`, the
 * model interrupting itself when the user speaks over it, and a drop after which the call forks the
 * stored session and goes on.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { TestClock } from "effect/testing"
import * as OpenAILive from "../../src/OpenAILive.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import type { RealtimeSessionSettingsInput } from "../../src/RealtimeSessionSettings.js"
import { connectedTo } from "../support/model.js"
import { key } from "./liveSupport.js"

const weather = { match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }

/** A call connected to the server's Live URL, its events in a queue. */
const connected = (
  server: RealtimeServer.RealtimeServer,
  options: OpenAILive.OpenAILiveOptions = {},
  initialSettings: RealtimeSessionSettingsInput = {}
) => connectedTo(OpenAILive.make({ apiKey: key, ...options }), server.liveUrl, initialSettings)

const say = (text: string) => Send.UserInput.make({ userInput: text })
const is = (tag: RealtimeModelEvent["_tag"]) => (event: RealtimeModelEvent) => event._tag === tag
const transcript = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.map((event) => event._tag === "TranscriptDelta" ? event.delta : "").join("")

/** `ms` of 24 kHz PCM16: a loud square tone (speech to voice activity detection), or silence. */
const pcm = (ms: number, loud: boolean) => {
  const samples = new Int16Array(Math.round(ms * 24))
  if (loud) { for (let index = 0; index < samples.length; index++) samples[index] = index % 24 < 12 ? 12000 : -12000 }
  return new Uint8Array(samples.buffer)
}

describe("OpenAILive against the embedded Live server", () => {
  it.live("a text turn is answered with audio and its transcript, and the turn ends", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 100 })
      const { model, until } = yield* connected(server)
      yield* model.sendEvent(say("Hello there."))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe(RealtimeServer.answer("Hello there."))
      expect(turn.map((event) => event._tag)).toEqual(
        expect.arrayContaining(["TurnStarted", "Audio", "AudioDone", "TurnEnded"])
      )
    }).pipe(Effect.scoped))

  it.live("a tool call delegated to the backend is answered through ToolOutput, and the model says the result", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 100, rules: [weather] })
      const { model, until } = yield* connected(server, {}, {
        tools: [{ type: "function", name: "get_weather", description: "The weather in a city", parameters: {} }]
      })
      yield* model.sendEvent(say("What's the weather in Oslo?"))
      const call = (yield* until(is("FunctionCall"))).find((event) => event._tag === "FunctionCall")
      expect(call).toMatchObject({ name: "get_weather", arguments: "{\"city\":\"Oslo\"}" })
      if (call?._tag !== "FunctionCall") return
      yield* model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: "{\"celsius\":-4}", startResponse: true }))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe("Here is what I found: {\"celsius\":-4}.")
    }).pipe(Effect.scoped))

  it.live("the user speaking over a reply: the model stops, the turn ends interrupted, the user is answered", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 3, transcribe: () => "Stop." })
      const { model, until } = yield* connected(server)
      yield* model.sendEvent(say("Tell me about the northern lights."))
      const first = yield* until(is("TranscriptDelta"))
      yield* model.sendEvent(Send.SendAudio.make({ audio: pcm(300, true), commit: false }))
      yield* model.sendEvent(Send.SendAudio.make({ audio: pcm(700, false), commit: false }))
      const cut = [...first, ...(yield* until(is("TurnEnded")))]
      expect(cut.map((event) => event._tag)).toContain("AudioInterrupted")
      // what the model said before it stopped: the reply's beginning, not all of it
      const full = RealtimeServer.answer("Tell me about the northern lights.")
      expect(full.startsWith(transcript(cut))).toBe(true)
      expect(transcript(cut).length).toBeLessThan(full.length)
      const answer = yield* until(is("TurnEnded"))
      expect(transcript(answer)).toBe(RealtimeServer.answer("Stop."))
    }).pipe(Effect.scoped))

  it.live("a drop: the call forks the stored session and goes on", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 100 })
      const { model, until } = yield* connected(server, { store: true, reconnect: { schedule: Schedule.recurs(3) } })
      yield* model.sendEvent(say("Hello there."))
      yield* until(is("TurnEnded"))
      expect(yield* server.faults.dropAll).toBe(1)
      yield* until(is("Reconnected"))
      yield* model.sendEvent(say("Tell me about volcanoes."))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe(RealtimeServer.answer("Tell me about volcanoes."))
      // the second connection started a fork: a session.start without a model
      const starts = (yield* server.received).filter((text) => text.includes("\"session.start\""))
      expect(starts).toHaveLength(2)
      expect(JSON.parse(starts[1] ?? "{}")).toEqual({
        type: "session.start",
        session: { audio: { format: { type: "audio/pcm", rate: 24000 } } }
      })
    }).pipe(Effect.scoped))
})

/** The session's start, as listeners see it. */
const started = (event: RealtimeModelEvent) =>
  event._tag === "Other" && typeof event.data === "object" && event.data !== null && "type" in event.data &&
  event.data.type === "session.started"

describe("OpenAILive: a session's announced expiry", () => {
  it.effect("the next session is prepared before the expiry (halfway in a short session), once per session", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, sessionDurationLimit: "4 seconds" })
      const { until } = yield* connected(server, { reconnect: { schedule: Schedule.recurs(2) } })
      yield* until(started)
      expect(yield* server.connectionsAccepted).toBe(1)
      // at 1.999 s nothing is prepared yet: the session has 4 s, and half of it is left
      yield* TestClock.adjust("1999 millis")
      expect(yield* server.connectionsAccepted).toBe(1)
      yield* TestClock.adjust("1 milli")
      const moved = (yield* until(is("Reconnected"))).find(is("Reconnected"))
      expect(moved).toMatchObject({ cause: "rollover" })
      expect(yield* server.connectionsAccepted).toBe(2)
      // the new session is not replaced at once: its own half comes 2 s after its start
      yield* until(started)
      yield* TestClock.adjust("1 second")
      expect(yield* server.connectionsAccepted).toBe(2)
      expect(yield* server.live.connections).toBe(1)
    }).pipe(Effect.scoped))
})
