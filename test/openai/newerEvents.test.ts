import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Queue, Redacted, Stream } from "effect"
import { FetchHttpClient } from "effect/http"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAICalls from "../../src/OpenAICalls.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { takeUntil } from "../support/queues.js"

const key = "sk-newer-events-model"

/** The production model against the embedded server, with every event it emits in a queue. */
const connected = (
  server: RealtimeServer.RealtimeServer,
  config: { readonly url?: string; readonly callId?: string } = {}
) =>
  Effect.gen(function*() {
    const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({
      url: config.url ?? server.url,
      ...(config.callId !== undefined ? { callId: config.callId } : {}),
      apiKey: Redacted.make(key),
      initialSettings: { turnDetection: null, inputAudioTranscription: { model: "gpt-4o-transcribe" } }
    }))
    const until = (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate)
    yield* until((event) => event._tag === "Other" && (event.data as { type?: unknown }).type === "session.updated")
    return { model, until }
  })

const tagsOf = (events: ReadonlyArray<RealtimeModelEvent>) => events.map((event) => event._tag)

describe("OpenAIRealtime: the newer server events reach listeners typed", () => {
  it.live("input transcription deltas, then the completed transcript", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, transcribe: () => "turn on the lights" })
      const { model, until } = yield* connected(server)
      yield* Effect.orDie(model.sendEvent(Send.SendAudio.make({
        audio: Pcm16.toBytes(Tone.sine(440, 300, 24_000, 0.4)),
        commit: true
      })))
      const events = yield* until((event) => event._tag === "InputAudioTranscriptionCompleted")
      const deltas = events.flatMap((event) => event._tag === "InputAudioTranscriptionDelta" ? [event] : [])
      expect(deltas.map((delta) => delta.delta)).toEqual(["turn ", "on ", "the ", "lights"])
      expect(deltas.every((delta) => delta.itemId === deltas[0]?.itemId && delta.contentIndex === 0)).toBe(true)
      expect(events.at(-1)).toMatchObject({ itemId: deltas[0]?.itemId, transcript: "turn on the lights" })
      // typed, and not also passed on as Other
      expect(events.some((event) =>
        event._tag === "Other" && String((event.data as { type?: unknown }).type).includes("transcription.delta")
      )).toBe(false)
    }))

  it.live("rate limits after a response", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 50, rules: [{ match: "hi", reply: "Hello." }] })
      const { model, until } = yield* connected(server)
      yield* Effect.orDie(model.sendEvent(Send.UserInput.make({ userInput: "hi" })))
      const events = yield* until((event) => event._tag === "RateLimitsUpdated")
      expect(tagsOf(events)).toContain("TurnEnded")
      const limits = events.at(-1)
      expect(limits?._tag).toBe("RateLimitsUpdated")
      if (limits?._tag !== "RateLimitsUpdated") return
      const names = limits.rateLimits.map((limit) => limit.name)
      expect(names).toEqual(expect.arrayContaining(["requests", "tokens"]))
      for (const limit of limits.rateLimits) {
        expect(limit.remaining).not.toBeNull()
        expect(limit.limit).not.toBeNull()
        expect(limit.remaining ?? 0).toBeLessThan(limit.limit ?? 0)
      }
    }))

  it.live("DTMF digits pressed on a SIP call", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const callId = yield* server.incomingCall()
      yield* Effect.orDie(Effect.provide(
        Effect.gen(function*() {
          const calls = yield* OpenAICalls.OpenAICalls
          yield* calls.accept(callId)
        }),
        OpenAICalls.layer({ apiKey: Redacted.make(key), apiUrl: server.apiUrl }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      ))
      const { until } = yield* connected(server, { url: server.callUrl(callId), callId })
      yield* Effect.orDie(server.sendDtmf(callId, "42#"))
      const events = yield* until((event) => event._tag === "DtmfReceived" && event.digit === "#")
      const digits = events.flatMap((event) => event._tag === "DtmfReceived" ? [event.digit] : [])
      expect(digits).toEqual(["4", "2", "#"])
    }))
})
