/**
 * The library's own Gemini Live protocol reads what the embedded Gemini server sends as it reads
 * Google's: every frame of a conversation (setup, a text turn in audio, a tool call, a barge-in,
 * resumption updates, goAway) goes through the protocol's `receive`, which must raise no protocol
 * error and must give the events and verdicts the library maps those messages to; the server's
 * frame faults (a frame that is not JSON, a message of an unknown kind) reach it as such.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Receive from "../../src/internal/gemini/receive.js"
import type { GeminiState } from "../../src/internal/gemini/state.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { initial } from "../gemini/support.js"
import { audio, content, has, liveClient, setup, userTurn } from "./geminiSupport.js"
import { reader as readerOf } from "./reads.js"
import type { Frame } from "./wsClient.js"

/** Reads frames as the Gemini provider does, from the state of a new connection. */
const reader = () =>
  readerOf((state: GeminiState, text) => Receive.receive(state, text), { ...initial(), resuming: false })

/** A resumption update with a new handle. */
const handleSent = (frame: Frame): boolean =>
  (frame["sessionResumptionUpdate"] as { readonly resumable?: boolean } | undefined)?.resumable === true

describe("the library's Gemini protocol reads the embedded server", () => {
  it.effect("setup, a turn in audio, a tool call, a barge-in, resumption and goAway give the mapped events", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        rules: [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]
      })
      const read = reader()
      const client = yield* liveClient(server)
      yield* client.send(setup({ sessionResumption: {}, inputAudioTranscription: {}, outputAudioTranscription: {} }))
      const opened = read(yield* client.until(has("sessionResumptionUpdate")))
      expect(opened.verdicts.map((verdict) => verdict._tag)).toContain("SetupComplete")

      yield* client.send(userTurn("Hello there."))
      yield* client.until(content("modelTurn"))
      yield* TestClock.adjust("1 minute")
      const turn = read(yield* client.until(handleSent))
      expect(turn.tags).not.toContain("Exception")
      expect(turn.tags).toEqual(
        expect.arrayContaining(["TurnStarted", "Audio", "TranscriptDelta", "AudioDone", "TurnEnded", "UsageUpdated"])
      )
      expect(turn.events.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")).toBe(
        RealtimeServer.answer("Hello there.")
      )
      expect(turn.verdicts).toContainEqual({ _tag: "TurnBoundary" })

      yield* client.send(userTurn("What's the weather?"))
      const call = read(yield* client.until(has("toolCall")))
      expect(call.events.find((event) => event._tag === "FunctionCall")).toMatchObject({
        name: "get_weather",
        arguments: "{\"city\":\"Oslo\"}"
      })
      yield* client.send(userTurn("Tell me about the northern lights."))
      const cancelled = read(yield* client.until(content("modelTurn")))
      expect(cancelled.tags).toContain("FunctionCallsCancelled")
      yield* client.send(audio(300, true))
      const bargeIn = read(yield* client.until(content("interrupted")))
      expect(bargeIn.tags).toContain("AudioInterrupted")
      expect(bargeIn.verdicts.map((verdict) => verdict._tag)).toContain("PlaybackInterrupted")

      yield* server.gemini.goAway("3 seconds")
      const ending = read(yield* client.until(has("goAway")))
      expect(ending.verdicts).toContainEqual({ _tag: "SessionEnding", timeLeftMs: 3000 })
    }).pipe(Effect.scoped))

  it.live("frame faults on a Gemini connection: a frame that is not JSON is an Exception, an unknown message is Other", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ faults: { nonJsonAfterEvents: 1, unknownEventAfterEvents: 1 } })
      const client = yield* liveClient(server)
      yield* client.send(setup())
      const frames = yield* client.until(has("futureFeature"))
      expect(frames).toEqual([{ setupComplete: {} }, { notJson: "this frame is not JSON {" }, {
        futureFeature: { detail: "unknown to clients" }
      }])
      const read = reader()
      const notJson = Receive.receive({ ...initial(), resuming: false }, "this frame is not JSON {")
      expect(notJson.events.map((event) => event._tag)).toEqual(["Exception"])
      expect(read(frames.slice(2)).tags).toEqual(["Other"])
    }).pipe(Effect.scoped))
})
