/**
 * `GeminiLive` over real WebSocket against the embedded server's Gemini front-end on 127.0.0.1: a
 * whole conversation through the contract (a tool call, a barge-in), a drop resumed by handle, a
 * `goAway` handled before the server closes, an expired handle, bad frames, refused settings and
 * keys.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Queue, Redacted, Schedule } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import * as GeminiAuthTokens from "../../src/GeminiAuthTokens.js"
import * as GeminiLive from "../../src/GeminiLive.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import type { RealtimeSessionSettingsInput } from "../../src/RealtimeSessionSettings.js"
import * as Loopback from "../support/loopbackServer.js"
import { connectedTo } from "../support/model.js"

const key = "gemini-test-key"
const weather = { match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }

const connected = (
  server: RealtimeServer.RealtimeServer,
  options: GeminiLive.GeminiLiveOptions = {},
  initialSettings: RealtimeSessionSettingsInput = {}
) => connectedTo(GeminiLive.make({ apiKey: key, ...options }), server.geminiUrl, initialSettings)

const say = (text: string) => Send.UserInput.make({ userInput: text })
const is = (tag: RealtimeModelEvent["_tag"]) => (event: RealtimeModelEvent) => event._tag === tag
const transcript = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.map((event) => event._tag === "TranscriptDelta" ? event.delta : "").join("")
const reconnected = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.find((event): event is Extract<RealtimeModelEvent, { _tag: "Reconnected" }> => event._tag === "Reconnected")

/** The setups the server received, parsed. */
const setups = (server: RealtimeServer.RealtimeServer) =>
  Effect.map(server.received, (texts) =>
    texts.flatMap((text) => {
      const frame = JSON.parse(text) as { setup?: { sessionResumption?: { handle?: string } } }
      return frame.setup === undefined ? [] : [frame.setup]
    }))

/** A loud square tone of `ms` in the contract's PCM16 (24 kHz): speech to voice activity detection. */
const loud = (ms: number) => {
  const samples = new Int16Array(Math.round(ms * 24))
  for (let index = 0; index < samples.length; index++) samples[index] = index % 24 < 12 ? 12000 : -12000
  return new Uint8Array(samples.buffer)
}

const reconnect = { schedule: Schedule.recurs(3) }

/** A call that reconnects, after one turn, once the handle that holds it arrived (it comes after the turn). */
const afterOneTurn = Effect.gen(function*() {
  const server = yield* RealtimeServer.make({ speed: 100, rules: [{ match: "Ada", reply: "Hello Ada." }] })
  const { model, until } = yield* connected(server, { reconnect })
  yield* model.sendEvent(say("My name is Ada."))
  yield* until(is("TurnEnded"))
  yield* until(resumable)
  return { model, server, until }
})

/** The server's update saying the session can be resumed with a new handle, as listeners see it. */
const resumable = (event: RealtimeModelEvent) =>
  event._tag === "Other" && typeof event.data === "object" && event.data !== null &&
  "sessionResumptionUpdate" in event.data &&
  (event.data.sessionResumptionUpdate as { resumable?: boolean }).resumable === true

describe("GeminiLive against the embedded Gemini server", () => {
  it.live("a conversation through the contract: a text turn answered with audio and its transcript, usage", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 100, rules: [{ match: "Ada", reply: "Hello Ada." }] })
      const { model, until } = yield* connected(server, {}, { instructions: "Be brief.", voice: "Puck" })
      yield* model.sendEvent(say("My name is Ada."))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe("Hello Ada.")
      const audio = turn.filter((event) => event._tag === "Audio")
      expect(audio.length).toBeGreaterThan(0)
      expect(turn.find(is("TurnStarted"))).toMatchObject({ _tag: "TurnStarted" })
      const [setup] = yield* setups(server)
      expect(setup).toMatchObject({
        model: "models/gemini-3.8-live",
        systemInstruction: { parts: [{ text: "Be brief." }] },
        generationConfig: { speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } } } }
      })
      expect(yield* model.status).toBe("connected")
    }).pipe(Effect.scoped))

  it.live("a tool call answered through ToolOutput continues the turn with the output", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 100, rules: [weather] })
      const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]
      const { model, until } = yield* connected(server, {}, { tools })
      yield* model.sendEvent(say("What's the weather in Oslo?"))
      const call = (yield* until(is("FunctionCall"))).find(is("FunctionCall"))
      expect(call).toMatchObject({ name: "get_weather", arguments: "{\"city\":\"Oslo\"}" })
      if (call?._tag !== "FunctionCall") return
      yield* model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: "{\"celsius\":-4}" }))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe("Here is what I found: {\"celsius\":-4}.")
    }).pipe(Effect.scoped))

  it.live("barge-in: the user's speech over the model's reply interrupts its audio", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 1, chunkMs: 100 })
      const { model, until } = yield* connected(server)
      yield* model.sendEvent(say("Tell me about the northern lights."))
      const first = (yield* until(is("Audio"))).find(is("Audio"))
      yield* model.sendEvent(Send.SendAudio.make({ audio: loud(300), commit: false }))
      const interrupted = (yield* until(is("AudioInterrupted"))).find(is("AudioInterrupted"))
      expect(interrupted).toMatchObject({ itemId: first?._tag === "Audio" ? first.itemId : "?" })
    }).pipe(Effect.scoped))

  it.live("a drop is resumed by handle: nothing replayed, the conversation goes on where it was", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* afterOneTurn
      expect(yield* server.faults.dropAll).toBe(1)
      const back = yield* until(is("Reconnected"))
      expect(reconnected(back)).toMatchObject({ cause: "dropped", restored: { items: 0 }, lost: { items: 0 } })
      yield* model.sendEvent(say("What is my name?"))
      const answer = yield* until(is("UsageUpdated"))
      expect(transcript(answer)).toBe(RealtimeServer.answer("What is my name?"))
      const usage = answer.find(is("UsageUpdated"))
      const context = "My name is Ada.".length + "Hello Ada.".length + "What is my name?".length
      expect(usage).toMatchObject({ usage: { inputTokens: Math.ceil(context / 4) } })
      // the second setup resumed with the handle; no conversation was sent again: two turns, two clientContent
      const [, resumed] = yield* setups(server)
      expect(resumed?.sessionResumption?.handle).toEqual(expect.any(String))
      const texts = (yield* server.received).filter((text) => text.includes("clientContent"))
      expect(texts.length).toBe(2)
    }).pipe(Effect.scoped))
})

describe("GeminiLive: long calls and bad input", () => {
  it.live("goAway: the next session is dialled at once and takes over at the turn boundary, before the server closes", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* afterOneTurn
      expect(yield* server.gemini.goAway("1 minute")).toBe(1)
      const moved = reconnected(yield* until(is("Reconnected")))
      expect(moved).toMatchObject({ cause: "rollover", restored: { items: 0 }, lost: { responseId: null, items: 0 } })
      // the old connection was closed by the client, long before the minute the server gave
      expect(yield* server.gemini.connections).toBe(1)
      expect(yield* server.connectionsAccepted).toBe(2)
      yield* model.sendEvent(say("What is my name?"))
      const answer = yield* until(is("UsageUpdated"))
      const context = "My name is Ada.".length + "Hello Ada.".length + "What is my name?".length
      expect(answer.find(is("UsageUpdated"))).toMatchObject({ usage: { inputTokens: Math.ceil(context / 4) } })
      const [, next] = yield* setups(server)
      expect(next?.sessionResumption?.handle).toEqual(expect.any(String))
    }).pipe(Effect.scoped))

  it.live("an expired handle: the resume is refused, and a new session starts with the conversation as context", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* afterOneTurn
      expect(yield* server.gemini.forgetHandles).toBeGreaterThan(0)
      yield* server.faults.dropAll
      // the first reconnect resumes with the forgotten handle and is refused (1008), the second starts afresh
      const refused = yield* until((event) =>
        event._tag === "ErrorEvent" && "_tag" in event.error && event.error._tag === "RealtimeConnectionLost" &&
        event.error.code === 1008
      )
      // that connection's session was never set up: listeners were not told it reconnected
      expect(refused.filter(is("Reconnected")).length).toBe(0)
      const fresh = reconnected(yield* until(is("Reconnected")))
      expect(fresh).toMatchObject({ cause: "dropped", restored: { items: 2 } })
      yield* model.sendEvent(say("What is my name?"))
      const answer = yield* until(is("UsageUpdated"))
      expect(transcript(answer)).toBe(RealtimeServer.answer("What is my name?"))
      const sent = yield* setups(server)
      expect(sent.map((setup) => setup.sessionResumption?.handle === undefined)).toEqual([true, false, true])
      // the context went as client content that asked for no reply, before the question
      const contents = (yield* server.received).filter((text) => text.includes("clientContent")).map((text) =>
        JSON.parse(text) as { clientContent: { turns: Array<{ role: string; parts: Array<{ text: string }> }> } }
      )
      expect(contents[1]?.clientContent.turns.map((turn) => [turn.role, turn.parts[0]?.text])).toEqual([
        ["user", "My name is Ada."],
        ["model", "Hello Ada."]
      ])
      expect(yield* model.status).toBe("connected")
    }).pipe(Effect.scoped))

  it.live("a frame that is not JSON, and an unknown one: an error event and Other, the call goes on", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 100, faults: { nonJsonAfterEvents: 1 } })
      const { model, until } = yield* connected(server)
      const bad = (yield* until(is("Exception"))).find(is("Exception"))
      expect(bad).toMatchObject({ cause: { _tag: "RealtimeProtocolError" } })
      yield* model.sendEvent(say("Still there?"))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe(RealtimeServer.answer("Still there?"))
      expect(yield* model.status).toBe("connected")
    }).pipe(Effect.scoped))

  it.live("settings Gemini cannot honour fail the connect with InvalidConfig, naming them; nothing is dialled", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make()
      const model = yield* GeminiLive.make({ apiKey: key }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({
        url: server.geminiUrl,
        initialSettings: { prompt: { id: "pmpt_1" }, toolChoice: "required" }
      }))
      expect(error).toMatchObject({ _tag: "RealtimeConnectError", reason: "InvalidConfig" })
      expect(error.message).toContain("prompt")
      expect(error.message).toContain("toolChoice")
      expect(yield* server.connectionAttempts).toBe(0)
    }).pipe(Effect.scoped))

  it.live("keys: none for Google's host is MissingApiKey before dialling; a wrong one fails the connect, Unauthorized", () =>
    Effect.gen(function*() {
      const model = yield* GeminiLive.make({ apiKey: "" }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const missing = yield* Effect.flip(model.connect())
      expect(missing).toMatchObject({ reason: "MissingApiKey" })
      expect(missing.message).toContain("GEMINI_API_KEY")

      const server = yield* RealtimeServer.make({ apiKey: key })
      const wrong = yield* GeminiLive.make({ apiKey: "wrong", reconnect }).pipe(
        Effect.provide(NodeRealtimeWebSocket.layer)
      )
      // the server takes the upgrade and closes at the setup (1007): the connect fails there, for good
      const refused = yield* Effect.flip(wrong.connect({ url: server.geminiUrl }))
      expect(refused).toMatchObject({ _tag: "RealtimeConnectError", reason: "Unauthorized" })
      expect(refused.message).toContain("API key not valid")
      expect(yield* wrong.status).toBe("disconnected")
      expect(yield* server.connectionAttempts).toBe(1)
    }).pipe(Effect.scoped))
})

describe("GeminiLive with an ephemeral token", () => {
  it.live("a token minted by GeminiAuthTokens opens a constrained session as the key: a turn is answered", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 100 })
      const tokens = yield* Effect.provide(
        Effect.gen(function*() {
          const service = yield* GeminiAuthTokens.GeminiAuthTokens
          return yield* service.create()
        }),
        GeminiAuthTokens.layer({ apiKey: Redacted.make(key), apiUrl: server.geminiApiUrl }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      )
      const token = Redacted.value(tokens.name)
      expect(token.startsWith("auth_tokens/")).toBe(true)
      const { model, until } = yield* connectedTo(GeminiLive.make({ apiKey: tokens.name }), server.geminiUrl)
      yield* model.sendEvent(say("Hello there."))
      const turn = yield* until(is("TurnEnded"))
      expect(transcript(turn)).toBe(RealtimeServer.answer("Hello there."))
    }).pipe(Effect.scoped))
})

describe("GeminiLive: connect waits for the session's setup", () => {
  it.effect("a server that takes the setup and says nothing: the connect fails with Timeout at the connect timeout", () =>
    Effect.gen(function*() {
      const silent = yield* Loopback.make()
      const model = yield* GeminiLive.make({ apiKey: key, connectTimeout: "5 seconds" }).pipe(
        Effect.provide(NodeRealtimeWebSocket.layer)
      )
      const connecting = yield* Effect.forkChild(Effect.flip(model.connect({ url: silent.url })), {
        startImmediately: true
      })
      const connection = yield* Queue.take(silent.connections)
      const setup = yield* Queue.take(connection.frames)
      expect(Object.keys(setup)).toEqual(["setup"])
      expect(yield* model.status).toBe("connecting")
      yield* TestClock.adjust("4999 millis")
      expect(connecting.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 milli")
      const error = yield* Fiber.join(connecting)
      expect(error).toMatchObject({ _tag: "RealtimeConnectError", reason: "Timeout" })
      expect(yield* model.status).toBe("disconnected")
    }).pipe(Effect.scoped))

  it.effect("sends before the setup is acknowledged fail NotConnected; the connect ends with setupComplete", () =>
    Effect.gen(function*() {
      const slow = yield* Loopback.make()
      const model = yield* GeminiLive.make({ apiKey: key }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const connecting = yield* Effect.forkChild(model.connect({ url: slow.url }), { startImmediately: true })
      const connection = yield* Queue.take(slow.connections)
      yield* Queue.take(connection.frames)
      const early = yield* Effect.flip(model.sendEvent(say("too soon")))
      expect(early).toMatchObject({ _tag: "RealtimeSendError", reason: "NotConnected" })
      yield* connection.send({ setupComplete: {} })
      yield* Fiber.join(connecting)
      expect(yield* model.status).toBe("connected")
      yield* model.sendEvent(say("now"))
      const sent = yield* Queue.take(connection.frames)
      expect(sent).toMatchObject({ clientContent: { turns: [{ role: "user", parts: [{ text: "now" }] }] } })
    }).pipe(Effect.scoped))
})
