/**
 * The embedded server's OpenAI Live front-end over real WebSocket on 127.0.0.1, with raw clients:
 * the session's start, a typed turn answered in audio and transcript, the user's audio heard and
 * answered, the model interrupting itself when the user speaks over it, delegation (to the client
 * and to a Responses backend), bad and unknown frames, the session's close and its expiry.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { audio, heardIn, key, ofType, replyEnd, saidIn, started, typed } from "./liveSupport.js"
import type { Frame } from "./wsClient.js"

const asFrame = (event: object): Frame => event as Frame

describe("the embedded OpenAI Live server", () => {
  it.effect("session.start is answered by session.started with an id and expires_at", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const { session } = yield* started(server, { instructions: "Be brief." })
      expect(session).toMatchObject({
        model: "gpt-live-1",
        status: "active",
        expires_at: 0,
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
