import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option } from "effect"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as Base64 from "../../src/internal/realtime/base64.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { serverFrameErrors } from "../support/protocolCorpus.js"
import { connect, type Frame } from "./wsClient.js"

const key = "sk-newer-events"

/** Every frame is valid against its corpus schema. */
const expectValid = (frames: ReadonlyArray<Frame>) => {
  for (const frame of frames) {
    expect({ type: frame["type"], errors: serverFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
  }
}

const typesOf = (frames: ReadonlyArray<Frame>) => frames.map((frame) => frame["type"])

/** Appends 300 ms of tone and commits it by hand (no turn detection). */
const speakAndCommit = (client: Effect.Success<ReturnType<typeof connect>>) =>
  Effect.gen(function*() {
    yield* client.send({
      type: "input_audio_buffer.append",
      audio: Base64.encode(Pcm16.toBytes(Tone.sine(440, 300, 24_000, 0.4)))
    })
    yield* client.send({ type: "input_audio_buffer.commit" })
  })

const transcribing = (model: string) => ({
  type: "session.update",
  session: { type: "realtime", audio: { input: { turn_detection: null, transcription: { model } } } }
})

describe("embedded server: the newer server events", () => {
  it.live("streams the input transcription in deltas before the completed transcript", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        apiKey: key,
        transcribe: (_, ms) => `I spoke for ${Math.round(ms)} ms`
      })
      const client = yield* connect(server.url, key)
      yield* client.send(transcribing("gpt-4o-transcribe"))
      yield* client.until("session.updated")
      yield* speakAndCommit(client)
      const frames = yield* client.until("conversation.item.input_audio_transcription.completed")
      const committed = frames.find((frame) => frame["type"] === "input_audio_buffer.committed")
      const itemId = committed?.["item_id"]
      const deltas = frames.filter((frame) => frame["type"] === "conversation.item.input_audio_transcription.delta")
      expect(deltas.map((frame) => frame["delta"])).toEqual(["I ", "spoke ", "for ", "300 ", "ms"])
      expect(deltas.every((frame) => frame["item_id"] === itemId && frame["content_index"] === 0)).toBe(true)
      expect(frames.at(-1)).toMatchObject({
        item_id: itemId,
        content_index: 0,
        transcript: "I spoke for 300 ms",
        usage: { type: "duration", seconds: 0.3 }
      })
      // the deltas come after the item exists, the completed transcript last
      const types = typesOf(frames)
      expect(types.indexOf("conversation.item.done")).toBeLessThan(
        types.indexOf("conversation.item.input_audio_transcription.delta")
      )
      expect(frames.some((frame) => frame["type"] === "conversation.item.input_audio_transcription.segment")).toBe(
        false
      )
      expectValid(client.seen)
    }))

  it.live("a diarizing transcription model also sends a segment spanning the audio", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, transcribe: () => "hello there" })
      const client = yield* connect(server.url, key)
      yield* client.send(transcribing("gpt-4o-transcribe-diarize"))
      yield* client.until("session.updated")
      yield* speakAndCommit(client)
      const frames = yield* client.until("conversation.item.input_audio_transcription.completed")
      const segments = frames.filter((frame) => frame["type"] === "conversation.item.input_audio_transcription.segment")
      expect(segments).toHaveLength(1)
      expect(segments[0]).toMatchObject({ text: "hello there", content_index: 0, start: 0, end: 0.3, speaker: "A" })
      expect(typesOf(frames).slice(-4)).toEqual([
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.segment",
        "conversation.item.input_audio_transcription.completed"
      ])
      expectValid(client.seen)
    }))

  it.live("without input transcription, committed audio gets no transcription events", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const client = yield* connect(server.url, key)
      yield* client.send({
        type: "session.update",
        session: { type: "realtime", audio: { input: { turn_detection: null } } }
      })
      yield* client.until("session.updated")
      yield* speakAndCommit(client)
      yield* client.until("conversation.item.done")
      // a marker frame: nothing transcription-related came before it
      yield* client.send({ type: "input_audio_buffer.clear" })
      const frames = yield* client.until("input_audio_buffer.cleared")
      expect(typesOf(frames).some((type) => String(type).includes("transcription"))).toBe(false)
    }))

  it.live("reports rate limits after each response, completed or cancelled", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 50, rules: [{ match: "hi", reply: "Hello." }] })
      const client = yield* connect(server.url, key)
      yield* client.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }
      })
      yield* client.send({ type: "response.create" })
      const first = yield* client.until("response.done")
      const firstUsage = (first.at(-1)!["response"] as { usage: { total_tokens: number } }).usage.total_tokens
      const afterFirst = yield* client.until("rate_limits.updated")
      // the very next frame after response.done
      expect(afterFirst).toHaveLength(1)
      expect(afterFirst[0]?.["rate_limits"]).toEqual([
        { name: "requests", limit: 1000, remaining: 999, reset_seconds: 60 },
        { name: "tokens", limit: 50_000, remaining: 50_000 - firstUsage, reset_seconds: 60 }
      ])
      // a second response, cancelled as soon as it starts
      yield* client.send({ type: "response.create" })
      yield* client.until("response.created")
      yield* client.send({ type: "response.cancel" })
      const second = yield* client.until("response.done")
      const secondResponse = second.at(-1)?.["response"] as { status: string; usage: { total_tokens: number } }
      expect(secondResponse.status).toBe("cancelled")
      const afterSecond = yield* client.until("rate_limits.updated")
      expect(afterSecond).toHaveLength(1)
      expect(afterSecond[0]?.["rate_limits"]).toEqual([
        { name: "requests", limit: 1000, remaining: 998, reset_seconds: 60 },
        {
          name: "tokens",
          limit: 50_000,
          remaining: 50_000 - firstUsage - secondResponse.usage.total_tokens,
          reset_seconds: 60
        }
      ])
      expectValid(client.seen)
    }))

  it.live("sends DTMF digits on a call's connection when asked, one event per digit", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const callId = yield* server.incomingCall()
      // no connection yet
      expect((yield* Effect.flip(server.sendDtmf(callId, "1"))).message).toBe(
        `no connection is attached to call ${callId}`
      )
      const accepted = yield* Effect.promise(() =>
        fetch(`${server.apiUrl}/realtime/calls/${callId}/accept`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ type: "realtime", model: "gpt-realtime-2.1" })
        })
      )
      expect(accepted.status).toBe(200)
      expect(Option.map(yield* server.call(callId), (call) => call.status)).toEqual(Option.some("accepted"))
      const client = yield* connect(server.callUrl(callId), key)
      const created = yield* client.until("session.created")
      expect(created.at(-1)?.["session"]).toMatchObject({ model: "gpt-realtime-2.1" })
      expect((yield* Effect.flip(server.sendDtmf(callId, "12x"))).message).toContain("are not DTMF digits")
      const before = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      yield* server.sendDtmf(callId, "9*#")
      const digits = [...(yield* client.until("input_audio_buffer.dtmf_event_received"))]
      digits.push(...(yield* client.until("input_audio_buffer.dtmf_event_received")))
      digits.push(...(yield* client.until("input_audio_buffer.dtmf_event_received")))
      const after = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      expect(digits.map((frame) => frame["event"])).toEqual(["9", "*", "#"])
      for (const frame of digits) {
        expect(frame["received_at"]).toBeGreaterThanOrEqual(before)
        expect(frame["received_at"]).toBeLessThanOrEqual(after)
      }
      expectValid(client.seen)
    }))
})
