import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue, Stream } from "effect"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { serverFrameErrors } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"

interface ServerFrame {
  readonly type: string
  readonly response?: {
    readonly status: string
    readonly usage: {
      readonly output_tokens: number
      readonly output_token_details: { readonly text_tokens: number; readonly audio_tokens: number }
    }
  }
}

const frameOf = (event: RealtimeModelEvent): ServerFrame | undefined =>
  event._tag === "RawServerEvent" ? event.data as ServerFrame : undefined

/** A keyless embedded server and a model connected to it, with every event recorded. */
const connected = (speed: number) =>
  Effect.gen(function*() {
    const server = yield* RealtimeServer.make({ speed })
    const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* model.connect({ url: server.url, initialSettings: { turnDetection: null } })
    const seen: Array<RealtimeModelEvent> = []
    const until = (predicate: (event: RealtimeModelEvent) => boolean) =>
      Effect.tap(takeUntil(events, predicate), (taken) => Effect.sync(() => seen.push(...taken)))
    const untilDone = until((event) => frameOf(event)?.type === "response.done")
    /** Every frame the server sent is valid against the corpus. */
    const checkFrames = Effect.sync(() => {
      for (const event of seen) {
        const frame = frameOf(event)
        if (frame !== undefined) {
          expect({ type: frame.type, errors: serverFrameErrors({ ...frame }) }).toEqual({
            type: frame.type,
            errors: []
          })
        }
      }
    })
    return { model, until, untilDone, checkFrames }
  })

const transcriptOf = (events: ReadonlyArray<RealtimeModelEvent>): string =>
  events.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")

const audioMsOf = (events: ReadonlyArray<RealtimeModelEvent>): number =>
  events.reduce((sum, event) => sum + (event._tag === "Audio" ? event.data.byteLength / 48 : 0), 0)

describe("the embedded server's replies and usage", () => {
  it.live("replies follow the question: deterministic, different for different questions", () =>
    Effect.gen(function*() {
      const ask = (question: string) =>
        Effect.scoped(Effect.gen(function*() {
          const { checkFrames, model, untilDone } = yield* connected(200)
          yield* model.sendEvent(Send.UserInput.make({ userInput: question }))
          const transcript = transcriptOf(yield* untilDone)
          yield* checkFrames
          return transcript
        }))
      const weather = yield* ask("What's the weather like in Bergen?")
      const recipe = yield* ask("How do I bake bread?")
      expect(weather).toContain("What's the weather like in Bergen")
      expect(recipe).toContain("How do I bake bread")
      expect(weather).not.toBe(recipe)
      expect(yield* ask("What's the weather like in Bergen?")).toBe(weather)
      expect(yield* ask("Tell me something about the northern lights.")).toBe(RealtimeServer.defaultReply)
    }))

  it.live("a completed response's usage counts the text and audio it sent", () =>
    Effect.gen(function*() {
      const { checkFrames, model, untilDone } = yield* connected(200)
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hello" }))
      const turn = yield* untilDone
      const done = frameOf(turn.at(-1) as RealtimeModelEvent)
      expect(done?.response?.status).toBe("completed")
      expect(done?.response?.usage.output_token_details).toEqual({
        text_tokens: Math.ceil(transcriptOf(turn).length / 4),
        audio_tokens: Math.ceil(audioMsOf(turn) / 50)
      })
      yield* checkFrames
    }))

  it.live("a cancelled response's usage counts the text and audio it sent before the cancel", () =>
    Effect.gen(function*() {
      const { checkFrames, model, until, untilDone } = yield* connected(1)
      yield* model.sendEvent(Send.UserInput.make({ userInput: "tell me a long story" }))
      // a few chunks of audio, then the cancel
      const before = yield* until((event) => event._tag === "Audio")
      const more = yield* until((event) => event._tag === "Audio")
      yield* model.sendEvent(Send.RawMessage.make({ type: "response.cancel" }))
      const turn = [...before, ...more, ...(yield* untilDone)]
      const done = frameOf(turn.at(-1) as RealtimeModelEvent)
      expect(done?.response?.status).toBe("cancelled")
      const sentAudioMs = audioMsOf(turn)
      expect(sentAudioMs).toBeGreaterThan(0)
      expect(done?.response?.usage.output_token_details).toEqual({
        text_tokens: Math.ceil(transcriptOf(turn).length / 4),
        audio_tokens: Math.ceil(sentAudioMs / 50)
      })
      expect(done?.response?.usage.output_tokens).toBeGreaterThan(0)
      yield* checkFrames
    }))
})
