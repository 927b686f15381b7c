import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import * as Providers from "../../src/internal/cli/providers.js"
import * as VoiceSession from "../../src/internal/cli/VoiceSession.js"
import { RealtimeConnectionLost } from "../../src/RealtimeError.js"
import * as Item from "../../src/RealtimeItem.js"
import * as Event from "../../src/RealtimeModelEvent.js"
import * as RealtimeTesting from "../../src/RealtimeTesting.js"

const chunk = (fill: number) => new Uint8Array(4_800).fill(fill) // 100 ms of pcm16 at 24 kHz
const reply = (responseId: string, itemId: string, chunks: number): ReadonlyArray<Event.RealtimeModelEvent> => [
  Event.TurnStarted.make({ responseId }),
  Event.TranscriptDelta.make({ itemId, delta: "Hello ", responseId }),
  ...Array.from(
    { length: chunks },
    (_, i) => Event.Audio.make({ data: chunk(i), responseId, itemId, contentIndex: 0 })
  ),
  Event.TranscriptDelta.make({ itemId, delta: "there", responseId }),
  Event.UsageUpdated.make({
    usage: { inputTokens: 7, outputTokens: 11, totalTokens: 18, inputTokenDetails: null, outputTokenDetails: null }
  }),
  Event.TurnEnded.make({ responseId })
]

/** Runs the session in a fiber and moves the test clock until it is done. */
const runToEnd = <A, E>(session: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(session)
    for (let step = 0; step < 100 && fiber.pollUnsafe() === undefined; step++) {
      yield* TestClock.adjust("10 millis")
    }
    return yield* Fiber.join(fiber)
  })

describe("VoiceSession", () => {
  it.effect("plays the whole reply at realtime speed and sums it up", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{ expect: "UserInput", emit: reply("resp_1", "item_a", 5) }]
      })
      const progress = yield* Ref.make<Array<VoiceSession.PlaybackProgress>>([])
      const played = yield* Ref.make(0)
      const summary = yield* runToEnd(Effect.scoped(VoiceSession.run(model, {}, {
        text: "hi",
        onProgress: (p) => Ref.update(progress, (all) => [...all, p]),
        onPlayed: (data) => Ref.update(played, (n) => n + data.byteLength)
      })))
      expect(summary).toEqual({
        turns: 1,
        audioReceivedMs: 500,
        audioPlayedMs: 500,
        tokens: { input: 7, output: 11, total: 18 },
        firstAudioLatencyMs: 0,
        transcript: "Hello there",
        bargeIn: null,
        errors: []
      })
      expect((yield* Ref.get(progress)).map((p) => p.playedMs)).toEqual([100, 200, 300, 400, 500])
      // the total is known once the reply's audio has all arrived
      expect((yield* Ref.get(progress)).at(-1)?.totalMs).toBe(500)
      expect(yield* Ref.get(played)).toBe(5 * 4_800)
      // the clock had to move 500 ms for the reply to be played
      expect(yield* Clock.currentTimeMillis).toBeGreaterThanOrEqual(500)
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("barges in at the exact playback position and reports what the server kept", () =>
    Effect.gen(function*() {
      const truncated = Item.AssistantMessage.make({
        itemId: "item_a",
        previousItemId: null,
        status: "incomplete",
        content: [Item.OutputAudio.make({ audio: null, transcript: "Hel" })]
      })
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [
          { expect: "UserInput", emit: reply("resp_1", "item_a", 10).slice(0, -1) },
          {
            expect: "Interrupt",
            emit: [
              Event.AudioInterrupted.make({ itemId: "item_a", contentIndex: 0 }),
              Event.TurnEnded.make({ responseId: "resp_1" })
            ]
          },
          {
            expect: (event) =>
              event._tag === "RawMessage" && event.type === "conversation.item.retrieve" &&
              event.otherData?.["item_id"] === "item_a",
            emit: [Event.ItemUpdated.make({ item: truncated })]
          }
        ]
      })
      const summary = yield* runToEnd(Effect.scoped(VoiceSession.run(model, {}, { text: "hi", bargeInMs: 250 })))
      expect(summary.audioReceivedMs).toBe(1000)
      expect(summary.audioPlayedMs).toBe(250)
      expect(summary.bargeIn).toEqual({
        itemId: "item_a",
        contentIndex: 0,
        truncatedAtMs: 250,
        heardTranscript: "Hel",
        heardBy: "server"
      })
    }))

  it.effect("sends audio, committed, then asks for a response when there is no text", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [
          { expect: (event) => event._tag === "SendAudio" && event.commit && event.audio.byteLength === 960 },
          {
            expect: (event) => event._tag === "RawMessage" && event.type === "response.create",
            emit: reply("resp_1", "item_b", 1)
          }
        ]
      })
      const summary = yield* runToEnd(Effect.scoped(VoiceSession.run(model, {}, { audio: new Uint8Array(960) })))
      expect(summary.audioPlayedMs).toBe(100)
    }))

  it.effect("plays speed times faster than real time, counting the audio's own milliseconds", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{ expect: "UserInput", emit: reply("resp_1", "item_a", 10).slice(0, -1) }, {
          expect: "Interrupt",
          emit: [Event.TurnEnded.make({ responseId: "resp_1" })]
        }, { expect: (event) => event._tag === "RawMessage" }]
      })
      const fiber = yield* Effect.forkChild(
        Effect.scoped(VoiceSession.run(model, {}, { text: "hi", speed: 4, bargeInMs: 800, truncatedItemTimeout: 0 }))
      )
      // 800 ms of audio at 4x take 200 ms of the clock
      for (let ms = 0; ms < 200 && fiber.pollUnsafe() === undefined; ms += 10) yield* TestClock.adjust("10 millis")
      const summary = yield* Fiber.join(fiber)
      expect(yield* Clock.currentTimeMillis).toBe(200)
      expect(summary.audioPlayedMs).toBe(800)
      expect(summary.bargeIn?.truncatedAtMs).toBe(800)
    }))

  it.effect("says what has happened so far while it runs: latency, tokens, audio", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        // the whole reply and its usage arrive at once; its end (TurnEnded) is left out
        steps: [{ expect: "UserInput", emit: reply("resp_1", "item_a", 10).slice(0, -1) }]
      })
      const session = yield* VoiceSession.make(model, {}, { text: "hi" })
      expect(yield* session.summary).toMatchObject({ turns: 0, tokens: null, firstAudioLatencyMs: null })
      const fiber = yield* Effect.forkChild(session.run)
      for (let step = 0; step < 30; step++) yield* TestClock.adjust("10 millis")
      const so = yield* session.summary
      yield* Fiber.interrupt(fiber)
      // part of the reply has played (how much depends on when the player took its first chunk)
      expect(so.audioPlayedMs).toBeGreaterThanOrEqual(100)
      expect(so.audioPlayedMs).toBeLessThan(1000)
      expect(so).toEqual({
        turns: 1,
        audioReceivedMs: 1000,
        audioPlayedMs: so.audioPlayedMs,
        tokens: { input: 7, output: 11, total: 18 },
        firstAudioLatencyMs: 0,
        transcript: "Hello there",
        bargeIn: null,
        errors: []
      })
    }))

  it.effect("rejects a session with nothing to say or a negative barge-in", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const nothing = yield* Effect.flip(Effect.scoped(VoiceSession.run(model, {}, {})))
      expect(nothing._tag).toBe("InvalidArgumentError")
      const negative = yield* Effect.flip(Effect.scoped(VoiceSession.run(model, {}, { text: "x", bargeInMs: -5 })))
      expect(negative).toMatchObject({ _tag: "InvalidArgumentError", argument: "bargeInMs" })
      expect(yield* model.connects).toEqual([])
    }))

  it.effect("Gemini's moves: the barge-in is speech (audio, not Interrupt), ended by the server's AudioInterrupted", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [
          // the reply never ends with a turn of its own: the server interrupts it
          { expect: "UserInput", emit: reply("resp_1", "item_a", 10).slice(0, -1) },
          {
            expect: (event) => event._tag === "SendAudio" && !event.commit && event.audio.byteLength > 0,
            emit: [Event.AudioInterrupted.make({ itemId: "item_a", contentIndex: 0 })]
          }
        ]
      })
      const summary = yield* runToEnd(Effect.scoped(VoiceSession.run(model, {}, {
        text: "hi",
        bargeInMs: 500,
        moves: Providers.resolve("gemini").moves
      })))
      expect(summary.audioPlayedMs).toBe(500)
      // "Hello there" arrived with 1000 ms of audio; 500 ms were heard: the words within that share
      expect(summary.bargeIn).toEqual({
        itemId: "item_a",
        contentIndex: 0,
        truncatedAtMs: 500,
        heardTranscript: "Hello",
        heardBy: "estimate"
      })
    }))

  it.effect("a loss the call reconnects from is reported, and the reply goes on", () =>
    Effect.gen(function*() {
      const lost = new RealtimeConnectionLost({ reason: "Dropped", message: "the connection dropped" })
      const [start, ...rest] = reply("resp_1", "item_a", 4)
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{
          expect: "UserInput",
          emit: [
            start!,
            Event.ErrorEvent.make({ error: lost }),
            Event.ConnectionStatusChanged.make({ status: "reconnecting" }),
            Event.ConnectionStatusChanged.make({ status: "connected" }),
            ...rest
          ]
        }]
      })
      const summary = yield* runToEnd(Effect.scoped(VoiceSession.run(model, {}, { text: "hi" })))
      expect(summary.audioPlayedMs).toBe(400)
      expect(summary.errors).toEqual([lost])
    }))

  it.effect("a call that ends before the reply fails the session with the last loss", () =>
    Effect.gen(function*() {
      const lost = new RealtimeConnectionLost({ reason: "ServerClosed", code: 1011, message: "the server closed" })
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{
          expect: "UserInput",
          emit: [
            ...reply("resp_1", "item_a", 3).slice(0, 3),
            Event.ErrorEvent.make({ error: lost }),
            Event.EndOfStream.make({})
          ]
        }]
      })
      const error = yield* runToEnd(Effect.flip(Effect.scoped(VoiceSession.run(model, {}, { text: "hi" }))))
      expect(error).toBe(lost)
    }))
})
