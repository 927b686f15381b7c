/**
 * The embedded server's OpenAI Live front-end over real WebSocket on 127.0.0.1, with raw clients:
 * the session's start, a typed turn answered in audio and transcript, the user's audio heard and
 * answered, the model interrupting itself when the user speaks over it, delegation (to the client
 * and to a Responses backend), bad and unknown frames, the session's close and its expiry.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { typedAppends } from "../../src/internal/openaiLive/send.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { audio, heardIn, key, liveClient, ofType, replyEnd, saidIn, started, typed } from "./liveSupport.js"
import { connect, type Frame } from "./wsClient.js"

const asFrame = (event: object): Frame => event as Frame

describe("the embedded OpenAI Live server", () => {
  it.effect("session.start is answered by session.started with an id and expires_at", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { session } = yield* started(server, { instructions: "Be brief." })
      expect(session).toMatchObject({
        model: "gpt-live-1",
        status: "active",
        // the service's limit when the server sets none: an hour from the start (the TestClock's 0)
        expires_at: 3600,
        instructions: "Be brief.",
        audio: { format: { type: "audio/pcm", rate: 24000 }, output: { voice: "marin" } },
        delegation: { type: "client" }
      })
      expect(session.id).toMatch(/^sess_/)
    }).pipe(Effect.scoped))

  it.effect("a typed turn is answered with audio and its transcript, then quiet and the usage", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server)
      yield* client.send(asFrame(typed("Hello there.")))
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 minute")
      const frames = yield* client.until(replyEnd)
      expect(saidIn(frames)).toBe(RealtimeServer.answer("Hello there."))
      expect(ofType(frames, "session.output_audio.delta").length).toBeGreaterThan(10)
    }).pipe(Effect.scoped))

  it.effect("a typed message too long for one append comes in parts, and is one turn answered as a whole", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server)
      const text = Array.from({ length: 300 }, (_, index) => `word${index}`).join(" ")
      const parts = typedAppends(text)
      expect(parts.length).toBeGreaterThan(1)
      for (const content of parts) {
        yield* client.send(asFrame({ type: "session.instructions.append", content, delegation_id: null }))
      }
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 minute")
      const frames = yield* client.until(replyEnd)
      // one reply, to the whole message (an answer to its first part alone would differ)
      expect(saidIn(frames)).toBe(RealtimeServer.answer(text))
    }).pipe(Effect.scoped))

  it.effect("the user's speech is transcribed and answered", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, transcribe: () => "What is the time?" })
      const { client } = yield* started(server)
      yield* client.send(audio(400, true))
      yield* client.send(audio(700, false))
      const heard = yield* client.until("session.output_audio.delta")
      expect(heardIn(heard)).toBe("What is the time?")
      yield* TestClock.adjust("1 minute")
      const frames = yield* client.until(replyEnd)
      expect(saidIn([...heard, ...frames])).toBe(RealtimeServer.answer("What is the time?"))
    }).pipe(Effect.scoped))
})

describe("the embedded OpenAI Live model interrupts itself", () => {
  it.effect("speech over a reply stops it after the word being said; the user's words are answered", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, transcribe: () => "Stop." })
      const { client } = yield* started(server)
      const question = "Tell me about the northern lights."
      yield* client.send(asFrame(typed(question)))
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 second")
      // the user speaks over the reply at 1000 ms on the session's timeline
      yield* client.send(audio(300, true))
      yield* TestClock.adjust("2 seconds")
      yield* client.send(audio(700, false))
      const frames = yield* client.until("session.input_transcript.delta")
      const said = saidIn(frames)
      const full = RealtimeServer.answer(question)
      expect(full.startsWith(said)).toBe(true)
      expect(said.length).toBeGreaterThan(0)
      expect(said.length).toBeLessThan(full.length)
      const words = ofType(frames, "session.output_transcript.delta")
      const last = words[words.length - 1]
      const userStart = ofType(frames, "session.input_transcript.delta")[0]?.start_ms ?? -1
      expect(userStart).toBe(1000)
      // the model's last words end after the user started, and it stopped within a few hundred ms
      expect(last?.end_ms).toBeGreaterThan(userStart)
      expect((last?.start_ms ?? 0) - userStart).toBeLessThanOrEqual(400)
      expect(heardIn(frames)).toBe("Stop.")
      // nothing of the reply after its last words, then the answer to the user's words
      yield* TestClock.adjust("1 minute")
      const answer = yield* client.until(replyEnd)
      expect(saidIn(answer)).toBe(RealtimeServer.answer("Stop."))
    }).pipe(Effect.scoped))
})

const weather = [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]

describe("the embedded OpenAI Live model delegates", () => {
  it.effect("to the client: commentary under the delegation's id is spoken, thinking is kept silent", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, rules: weather })
      const { client } = yield* started(server)
      yield* client.send(asFrame(typed("What's the weather?")))
      const created = ofType(yield* client.until("session.delegation.created"), "session.delegation.created")[0]
      expect(created?.delegation).toMatchObject({ target: "client", type: "delegation" })
      const id = created?.delegation.id ?? ""
      yield* client.send({ type: "session.commentary.append", content: "-4 degrees", delegation_id: id })
      yield* client.until("session.commentary.appended")
      yield* TestClock.adjust("1 minute")
      expect(saidIn(yield* client.until(replyEnd))).toBe("Here is what I found: -4 degrees.")

      // an id no delegation has is refused; a silent answer makes no speech
      yield* client.send({ type: "session.commentary.append", content: "late", delegation_id: id, event_id: "c1" })
      expect((yield* client.until("error")).at(-1)).toMatchObject({
        client_event_id: "c1",
        error: { type: "invalid_request_error", param: "delegation_id" }
      })
      yield* client.send(asFrame(typed("And the weather tomorrow?")))
      const second = ofType(yield* client.until("session.delegation.created"), "session.delegation.created")[0]
      yield* client.send({ type: "session.thinking.append", content: "sunny", delegation_id: second?.delegation.id })
      yield* client.until("session.thinking.appended")
      yield* TestClock.adjust("1 minute")
      yield* client.send({ type: "session.input_audio.mute" })
      const after = yield* client.until("session.input_audio.muted")
      expect(ofType(after, "session.output_audio.delta")).toEqual([])
    }).pipe(Effect.scoped))

  it.effect("to a Responses backend: its function call waits for the output and response.create, then is spoken", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, rules: weather })
      const { client, session } = yield* started(server, {
        delegation: {
          type: "responses",
          responses: { model: "gpt-5.6", tools: [{ type: "function", name: "get_weather" }] }
        }
      })
      expect(session.delegation).toMatchObject({ type: "responses", responses: { model: "gpt-5.6" } })
      yield* client.send(asFrame(typed("What's the weather in Oslo?")))
      const isCall = (frame: Frame) =>
        frame["type"] === "response.event" &&
        (frame["event"] as { type?: string } | undefined)?.type === "response.output_item.done"
      const frames = yield* client.until(isCall)
      const created = ofType(frames, "session.delegation.created")[0]
      expect(created?.delegation).toMatchObject({ target: "responses" })
      const call = ofType(frames, "response.event").at(-1)
      expect(call?.delegation_id).toBe(created?.delegation.id)
      const item = (call?.event as { item: { call_id: string; name: string; arguments: string } } | undefined)?.item ??
        { call_id: "", name: "", arguments: "" }
      expect(item).toMatchObject({ type: "function_call", name: "get_weather", arguments: "{\"city\":\"Oslo\"}" })

      // the backend cannot go on before the call's output
      yield* client.send({ type: "response.create", event_id: "early" })
      expect((yield* client.until("error")).at(-1)).toMatchObject({ client_event_id: "early" })
      yield* client.send({
        type: "response.item.create",
        item: { type: "function_call_output", call_id: item.call_id, output: "{\"celsius\":-4}" }
      })
      yield* client.send({ type: "response.create" })
      const isCompleted = (frame: Frame) =>
        frame["type"] === "response.event" &&
        (frame["event"] as { type?: string } | undefined)?.type === "response.completed"
      const backend = ofType(yield* client.until(isCompleted), "response.event").map((event) => event.event)
      const text = backend.flatMap((event) => event["type"] === "response.output_text.delta" ? [event["delta"]] : [])
      expect(text.join("")).toBe("Here is what I found: {\"celsius\":-4}.")
      expect(backend.at(-1)).toMatchObject({
        response: { status: "completed", usage: { total_tokens: expect.any(Number) } }
      })
      yield* TestClock.adjust("1 minute")
      expect(saidIn(yield* client.until(replyEnd))).toBe("Here is what I found: {\"celsius\":-4}.")
    }).pipe(Effect.scoped))
})

describe("the embedded OpenAI Live server refuses what it cannot read", () => {
  it.effect("bad and unknown frames get an error event, and the session goes on", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const client = yield* liveClient(server)
      yield* client.send({ type: "session.input_audio.mute", event_id: "m0" })
      expect((yield* client.until("error")).at(-1)).toMatchObject({
        client_event_id: "m0",
        error: { code: "session_not_started" }
      })
      yield* client.send({ type: "session.start", session: { model: "gpt-4o" } })
      expect((yield* client.until("error")).at(-1)).toMatchObject({ error: { code: "model_not_found" } })
      expect((yield* client.closed).code).toBe(1008)

      const { client: live } = yield* started(server)
      yield* live.sendText("this is not JSON {")
      expect((yield* live.until("error")).at(-1)).toMatchObject({ error: { code: "invalid_json" } })
      yield* live.send({ type: "session.dance", event_id: "d1" })
      expect((yield* live.until("error")).at(-1)).toMatchObject({
        client_event_id: "d1",
        error: { code: "invalid_value" }
      })
      yield* live.send({ type: "session.input_audio.append", event_id: "a1" })
      expect((yield* live.until("error")).at(-1)).toMatchObject({
        client_event_id: "a1",
        error: { code: "invalid_value" }
      })
      yield* live.send({ type: "session.update", session: { delegation: { type: "responses", responses: {} } } })
      expect((yield* live.until("error")).at(-1)).toMatchObject({ error: { param: "session.delegation.type" } })
      yield* live.send({ type: "decision.create", event_id: "q1" })
      expect((yield* live.until("error")).at(-1)).toMatchObject({
        client_event_id: "q1",
        error: { code: "unsupported_event" }
      })
      yield* live.send({ type: "session.input_audio.mute" })
      yield* live.until("session.input_audio.muted")
      yield* live.send({ type: "session.input_audio.unmute", event_id: "u1" })
      expect((yield* live.until("session.input_audio.unmuted")).at(-1)).toMatchObject({ client_event_id: "u1" })
    }).pipe(Effect.scoped))

  it.effect("a wrong key is refused (401), and so is the fork of an unknown session (404)", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const wrong = yield* Effect.flip(connect(server.liveUrl, "sk-wrong"))
      expect(wrong.status).toBe(401)
      const unknown = yield* Effect.flip(liveClient(server, `${server.liveUrl}/sess_none/fork`))
      expect(unknown.status).toBe(404)
    }).pipe(Effect.scoped))
})

describe("the end of an embedded OpenAI Live session", () => {
  it.effect("session.close: session.closed (close_requested) with the usage, then the close", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client, session } = yield* started(server)
      yield* client.send(audio(500, false))
      yield* client.send({ type: "session.close", event_id: "bye" })
      const closed = ofType(yield* client.until("session.closed"), "session.closed")[0]
      expect(closed).toMatchObject({ reason: "close_requested", session: { id: session.id }, usage: { seconds: 0.5 } })
      expect((yield* client.closed).code).toBe(1000)
    }).pipe(Effect.scoped))

  it.effect("the duration limit: expires_at, then session.closed (expired) on the Clock", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, sessionDurationLimit: "30 seconds" })
      const { client, session } = yield* started(server)
      expect(session.expires_at).toBe(30)
      yield* TestClock.adjust("29 seconds")
      yield* client.send({ type: "session.input_audio.mute" })
      yield* client.until("session.input_audio.muted")
      yield* TestClock.adjust("1 second")
      expect(ofType(yield* client.until("session.closed"), "session.closed")[0]?.reason).toBe("expired")
      expect((yield* client.closed).code).toBe(1000)
    }).pipe(Effect.scoped))

  it.effect("server.live ends every open session with the reason a test chooses", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server)
      expect(yield* server.live.connections).toBe(1)
      expect(yield* server.live.endSessions("content")).toBe(1)
      expect(ofType(yield* client.until("session.closed"), "session.closed")[0]?.reason).toBe("content")
      yield* client.closed
    }).pipe(Effect.scoped))
})

describe("stored OpenAI Live sessions", () => {
  it.effect("a new session's startup history is its conversation", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const question = "Tell me about glaciers."
      const { client } = yield* started(server, {
        delegation: { type: "responses", responses: { model: "gpt-5.6" } },
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: question }] },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "Glaciers are slow rivers." }] }
        ]
      })
      yield* client.send({ type: "response.create" })
      const isCompleted = (frame: Frame) =>
        (frame["event"] as { type?: string } | undefined)?.type === "response.completed"
      const events = ofType(yield* client.until(isCompleted), "response.event").map((event) => event.event)
      const text = events.flatMap((event) => event["type"] === "response.output_text.delta" ? [event["delta"]] : [])
      expect(text.join("")).toBe(RealtimeServer.answer(question))
    }).pipe(Effect.scoped))

  it.effect("a fork continues a stored session's conversation and configuration under a new id", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const delegation = { type: "responses" as const, responses: { model: "gpt-5.6" } }
      const { client, session } = yield* started(server, { store: true, delegation, instructions: "Be brief." })
      const question = "Tell me about volcanoes."
      yield* client.send(asFrame(typed(question)))
      yield* TestClock.adjust("1 minute")
      yield* client.until(replyEnd)
      yield* client.send({ type: "session.close" })
      yield* client.closed

      const fork = yield* liveClient(server, `${server.liveUrl}/${session.id}/fork`)
      yield* fork.send({ type: "session.start", session: {} })
      const forked = ofType(yield* fork.until("session.started"), "session.started")[0]?.session
      expect(forked?.id).not.toBe(session.id)
      expect(forked).toMatchObject({ instructions: "Be brief.", delegation, store: true })
      // the backend answers the conversation it was given: the question asked before the fork
      yield* fork.send({ type: "response.create" })
      const isDelta = (frame: Frame) => (frame["event"] as { type?: string } | undefined)?.type === "response.completed"
      const events = ofType(yield* fork.until(isDelta), "response.event").map((event) => event.event)
      const text = events.flatMap((event) => event["type"] === "response.output_text.delta" ? [event["delta"]] : [])
      expect(text.join("")).toBe(RealtimeServer.answer(question))

      expect(yield* server.live.forgetStored).toBeGreaterThan(0)
      const gone = yield* Effect.flip(liveClient(server, `${server.liveUrl}/${session.id}/fork`))
      expect(gone.status).toBe(404)
    }).pipe(Effect.scoped))
})

describe("the embedded OpenAI Live session's other commands", () => {
  it.effect("an audio fixture plays through the output between playing and played; appends wait for it", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server, { audio: { format: { type: "audio/pcmu", rate: 8000 } } })
      const tone = Buffer.from(Int16Array.from({ length: 24_000 }, (_, i) => (i % 24 < 12 ? 8000 : -8000)).buffer)
      yield* client.send({ type: "session.output_audio.fixture.play", audio: tone.toString("base64"), event_id: "f1" })
      expect((yield* client.until("session.output_audio.fixture.playing")).at(-1)).toMatchObject({
        client_event_id: "f1"
      })
      yield* client.send({ type: "session.thinking.append", content: "quiet", delegation_id: null })
      const refused = yield* client.until("error")
      expect(refused.at(-1)).toMatchObject({ error: { code: "invalid_value" } })
      yield* TestClock.adjust("2 seconds")
      const frames = [...refused, ...(yield* client.until("session.output_audio.fixture.played"))]
      // one second of G.711 at 8 kHz: 8000 bytes, in the session's format
      const bytes = ofType(frames, "session.output_audio.delta").reduce(
        (sum, event) => sum + Buffer.from(event.delta, "base64").byteLength,
        0
      )
      expect(bytes).toBe(8000)
    }).pipe(Effect.scoped))

  it.effect("a muted input is heard as silence: speech sent while muted is no turn", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server)
      yield* client.send({ type: "session.input_audio.mute" })
      yield* client.send(audio(400, true))
      yield* client.send(audio(700, false))
      yield* client.send({ type: "session.input_audio.unmute" })
      const frames = yield* client.until("session.input_audio.unmuted")
      expect(frames.map((frame) => frame["type"])).toEqual(["session.input_audio.muted", "session.input_audio.unmuted"])
      yield* client.send({ type: "session.close" })
      expect(ofType(yield* client.until("session.closed"), "session.closed")[0]?.usage.seconds).toBeCloseTo(1.1)
    }).pipe(Effect.scoped))

  it.effect("session.update changes the backend's settings, never the delegation's type", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { client } = yield* started(server, {
        delegation: { type: "responses", responses: { model: "gpt-5.6", tool_choice: "auto" } }
      })
      yield* client.send({
        type: "session.update",
        event_id: "u1",
        session: { delegation: { type: "responses", responses: { tool_choice: "required" } } }
      })
      const updated = ofType(yield* client.until("session.updated"), "session.updated")[0]
      expect(updated).toMatchObject({
        client_event_id: "u1",
        session: { delegation: { type: "responses", responses: { model: "gpt-5.6", tool_choice: "required" } } }
      })
      yield* client.send({ type: "session.update", session: { delegation: { type: "client" } } })
      expect((yield* client.until("error")).at(-1)).toMatchObject({ error: { param: "session.delegation.type" } })
    }).pipe(Effect.scoped))
})
