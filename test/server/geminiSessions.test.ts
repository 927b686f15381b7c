/**
 * The embedded Gemini Live server's sessions: the setup is checked as Google checks it (first
 * message, model, key), each refusal closing with the code and reason the client's classification
 * reads as Google's; `goAway` on request, then the close once its time has passed; resumption by
 * handle restoring the conversation; a forgotten handle refused as an expired one; the server's
 * counters and frame faults apply to Gemini connections too.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Close from "../../src/internal/gemini/close.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { initial } from "../gemini/support.js"
import { content, has, key, liveClient, setUp, setup, transcriptOf, userTurn } from "./geminiSupport.js"
import type { Frame } from "./wsClient.js"

/** How the client's protocol classifies a close, on a first connection or on a resuming one. */
const classified = (close: { readonly code: number; readonly reason: string }, resuming = false) =>
  Close.classify({ ...initial(), resuming, accepted: resuming }, close)._tag

const handleOf = (frames: ReadonlyArray<Frame>): string | undefined =>
  [...frames].reverse().map((frame) => frame["sessionResumptionUpdate"] as { newHandle?: string } | undefined)
    .find((update) => update?.newHandle !== undefined)?.newHandle

const promptTokensOf = (frames: ReadonlyArray<Frame>): number | undefined =>
  (frames.find(has("usageMetadata"))?.["usageMetadata"] as { promptTokenCount?: number } | undefined)
    ?.promptTokenCount

describe("the embedded Gemini Live server: sessions", () => {
  it.live("a first message that is not the setup is refused: close 1007, fatal", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make()
      const client = yield* liveClient(server)
      yield* client.send(userTurn("hello"))
      const closed = yield* client.closed
      expect(closed).toEqual({
        code: 1007,
        reason: "Invalid JSON payload received. The first message must be the setup."
      })
      expect(classified(closed)).toBe("Fatal")
      const other = yield* liveClient(server)
      yield* other.send({ setup: { model: "models/gemini-3.8-live" }, bogus: true })
      expect((yield* other.closed).reason).toBe(
        "Invalid JSON payload received. Unknown name \"bogus\": Cannot find field."
      )
    }).pipe(Effect.scoped))

  it.live("an unknown model is refused: close 1008 naming it as not found, fatal", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make()
      const client = yield* liveClient(server)
      yield* client.send({ setup: { model: "models/gemini-0.1-imaginary" } })
      const closed = yield* client.closed
      expect(closed).toEqual({
        code: 1008,
        reason:
          "models/gemini-0.1-imaginary is not found for API version v1beta, or is not supported for bidiGenerateContent."
      })
      expect(classified(closed)).toBe("Fatal")
      expect(yield* server.connectionsAccepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a wrong or missing key: the upgrade is accepted, then closed 1007 \"API key not valid\", fatal", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      for (const given of ["wrong-key", ""]) {
        const client = yield* liveClient(server, given)
        const closed = yield* client.closed
        expect(closed).toEqual({ code: 1007, reason: "API key not valid. Please pass a valid API key." })
        expect(classified(closed)).toBe("Fatal")
      }
      // the key in the query, as Google's client sends it
      const keyed = yield* liveClient({ ...server, geminiUrl: `${server.geminiUrl}?key=${key}` }, "")
      yield* keyed.send(setup())
      expect((yield* keyed.until(has("setupComplete"))).slice(-1)).toEqual([{ setupComplete: {} }])
      expect(yield* server.gemini.connections).toBe(1)
    }).pipe(Effect.scoped))

  it.effect("goAway on request: every open connection is told the time left, then closed once it passed", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make()
      const first = yield* setUp(server)
      const second = yield* setUp(server)
      expect(yield* server.gemini.goAway("5 seconds")).toBe(2)
      for (const client of [first, second]) {
        expect((yield* client.until(has("goAway"))).slice(-1)).toEqual([{ goAway: { timeLeft: "5s" } }])
      }
      yield* TestClock.adjust("4999 millis")
      // still open: a turn is answered
      yield* first.send({ realtimeInput: { text: "still there?" } })
      yield* first.until(content("modelTurn"))
      yield* TestClock.adjust("1 milli")
      const closed = yield* first.closed
      expect(closed).toEqual({ code: 1011, reason: "Deadline expired before operation could complete." })
      expect(classified(closed)).toBe("Retryable")
      expect(yield* second.closed).toEqual(closed)
    }).pipe(Effect.scoped))

  it.effect("sessionDurationLimit: goAway 10 seconds before the connection's end, then close 1011", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ sessionDurationLimit: "30 seconds" })
      const client = yield* setUp(server)
      yield* TestClock.adjust("19999 millis")
      yield* client.send({ realtimeInput: { text: "anyone?" } })
      const before = yield* client.until(content("modelTurn"))
      expect(before.some(has("goAway"))).toBe(false)
      yield* TestClock.adjust("1 milli")
      expect((yield* client.until(has("goAway"))).slice(-1)).toEqual([{ goAway: { timeLeft: "10s" } }])
      yield* TestClock.adjust("10 seconds")
      expect((yield* client.closed).code).toBe(1011)
    }).pipe(Effect.scoped))

  it.live("resumption: a handle after each completed turn; a setup with it restores the conversation", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 100, rules: [{ match: "Ada", reply: "Hello Ada." }] })
      const first = yield* liveClient(server)
      yield* first.send(setup({ sessionResumption: {}, outputAudioTranscription: {} }))
      const opened = yield* first.until(has("sessionResumptionUpdate"))
      expect(opened[0]).toEqual({ setupComplete: {} })
      yield* first.send(userTurn("My name is Ada."))
      const turn = yield* first.until((frame) => handleOf([frame]) !== undefined)
      // not resumable while the turn is in flight; a new handle once it completed
      expect(turn[0]).toEqual({ sessionResumptionUpdate: { resumable: false } })
      expect(turn.findIndex(content("turnComplete"))).toBeLessThan(turn.length - 1)
      expect(turn[turn.length - 1]).toEqual({
        sessionResumptionUpdate: { newHandle: expect.any(String), resumable: true }
      })
      expect(handleOf(turn)).not.toBe(handleOf(opened))
      const handle = handleOf(turn)

      const resumed = yield* liveClient(server)
      yield* resumed.send(setup({ sessionResumption: { handle }, outputAudioTranscription: {} }))
      yield* resumed.until(has("setupComplete"))
      yield* resumed.send(userTurn("What is it?"))
      const answer = yield* resumed.until(has("usageMetadata"))
      expect(transcriptOf(answer)).toBe(RealtimeServer.answer("What is it?"))
      // the prompt is the whole conversation: both turns of the first connection, and the question
      const context = "My name is Ada.".length + "Hello Ada.".length + "What is it?".length
      expect(promptTokensOf(answer)).toBe(Math.ceil(context / 4))

      // a new session without the handle has only its own question
      const fresh = yield* setUp(server)
      yield* fresh.send(userTurn("What is it?"))
      expect(promptTokensOf(yield* fresh.until(has("usageMetadata")))).toBe(Math.ceil("What is it?".length / 4))
    }).pipe(Effect.scoped))

  it.live("forgotten handles: a setup resuming with one is closed 1008 naming the handle, classified expired", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 100 })
      const first = yield* liveClient(server)
      yield* first.send(setup({ sessionResumption: {} }))
      const handle = handleOf(yield* first.until(has("sessionResumptionUpdate")))
      expect(yield* server.gemini.forgetHandles).toBe(1)
      const again = yield* liveClient(server)
      yield* again.send(setup({ sessionResumption: { handle } }))
      const closed = yield* again.closed
      expect(closed).toEqual({
        code: 1008,
        reason: "Session not found: the resumption handle is unknown or has expired."
      })
      expect(classified(closed, true)).toBe("Expired")
      // never given, likewise
      const unknown = yield* liveClient(server)
      yield* unknown.send(setup({ sessionResumption: { handle: "never-given" } }))
      expect((yield* unknown.closed).code).toBe(1008)
    }).pipe(Effect.scoped))

  it.live("the server's faults reach Gemini connections: refused upgrades, a drop after N frames, counted", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make()
      yield* server.faults.refuseNext(1, 503)
      const refused = yield* Effect.flip(liveClient(server))
      expect(refused.status).toBe(503)
      yield* server.faults.dropAfterEvents(1)
      const dropped = yield* liveClient(server)
      yield* dropped.send(setup())
      expect((yield* dropped.until(has("setupComplete"))).length).toBe(1)
      expect((yield* dropped.closed).code).toBe(1006)
      expect({
        attempts: yield* server.connectionAttempts,
        accepted: yield* server.connectionsAccepted
      }).toEqual({ attempts: 2, accepted: 1 })
    }).pipe(Effect.scoped))
})
