/**
 * The embedded server's Gemini Live front-end, conversations: Google's own client (`@google/genai`)
 * has a text turn answered in audio with its transcription; raw clients check tool calls and their
 * answers, a call cancelled by a newer user turn, barge-in, voice activity (automatic and marked by
 * the client) with input transcription, and replies in text.
 */
import { describe, expect, it } from "@effect/vitest"
import type { LiveServerMessage } from "@google/genai"
import { GoogleGenAI, Modality } from "@google/genai"
import { Effect, Queue } from "effect"
import { TestClock } from "effect/testing"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { takeUntil } from "../support/queues.js"
import {
  audio,
  audioOf,
  content,
  functionCallsOf,
  has,
  key,
  pcm16k,
  serverContent,
  setUp,
  transcriptOf,
  userTurn
} from "./geminiSupport.js"

const weather = { match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }

const replyBytes = (text: string) => Tone.sampleCount(text, { sampleRate: 24_000, msPerChar: 65 }) * 2

describe("the embedded Gemini Live server: conversations", () => {
  it.live("Google's client: a text turn gets the reply in 24 kHz audio, its transcription, turnComplete and usage", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 50 })
      const messages = yield* Queue.unbounded<LiveServerMessage>()
      const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: server.geminiApiUrl } })
      const session = yield* Effect.acquireRelease(
        Effect.promise(() =>
          ai.live.connect({
            model: "gemini-3.8-live",
            config: { responseModalities: [Modality.AUDIO], outputAudioTranscription: {} },
            callbacks: { onmessage: (message) => Queue.offerUnsafe(messages, message) }
          })
        ),
        (session) => Effect.sync(() => session.close())
      )
      yield* takeUntil(messages, (message) => message.setupComplete !== undefined)
      session.sendClientContent({ turns: "Tell me about the northern lights.", turnComplete: true })
      const turn = yield* takeUntil(messages, (message) => message.serverContent?.turnComplete === true)
      const frames = turn.map((message) => ({ ...message }))
      expect(transcriptOf(frames)).toBe(RealtimeServer.defaultReply)
      expect(audioOf(frames)).toEqual({
        bytes: replyBytes(RealtimeServer.defaultReply),
        mimeTypes: new Set(["audio/pcm;rate=24000"])
      })
      // generationComplete before turnComplete; the usage after
      expect(turn.findIndex((message) => message.serverContent?.generationComplete === true)).toBe(turn.length - 2)
      const [usage] = yield* takeUntil(messages, (message) => message.usageMetadata !== undefined)
      const audioTokens = Math.ceil((RealtimeServer.defaultReply.length * 65) / 50)
      expect(usage?.usageMetadata).toEqual({
        promptTokenCount: Math.ceil("Tell me about the northern lights.".length / 4),
        responseTokenCount: audioTokens,
        totalTokenCount: Math.ceil("Tell me about the northern lights.".length / 4) + audioTokens,
        promptTokensDetails: [{
          modality: "TEXT",
          tokenCount: Math.ceil("Tell me about the northern lights.".length / 4)
        }],
        responseTokensDetails: [{ modality: "AUDIO", tokenCount: audioTokens }]
      })
      expect(yield* server.received).toContainEqual(expect.stringContaining("\"setup\""))
    }).pipe(Effect.scoped))

  it.live("a tool rule sends toolCall; the toolResponse continues the turn with the tool's output", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ rules: [weather], speed: 100 })
      const client = yield* setUp(server, { outputAudioTranscription: {} })
      yield* client.send(userTurn("What's the weather in Oslo?"))
      const calls = functionCallsOf(yield* client.until(has("toolCall")))
      expect(calls).toEqual([{ id: expect.any(String), name: "get_weather", args: { city: "Oslo" } }])
      yield* client.send({
        toolResponse: {
          functionResponses: [{ id: calls[0]?.id, name: "get_weather", response: { output: { celsius: -4 } } }]
        }
      })
      const turn = yield* client.until(content("turnComplete"))
      expect(transcriptOf(turn)).toBe("Here is what I found: {\"celsius\":-4}.")
    }).pipe(Effect.scoped))

  it.live("a user turn that supersedes a pending call cancels it", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ rules: [weather], speed: 100 })
      const client = yield* setUp(server, { outputAudioTranscription: {} })
      yield* client.send(userTurn("What's the weather?"))
      const id = functionCallsOf(yield* client.until(has("toolCall")))[0]?.id
      yield* client.send(userTurn("Never mind, tell me about the northern lights."))
      const [cancellation] = (yield* client.until(has("toolCallCancellation"))).slice(-1)
      expect(cancellation).toEqual({ toolCallCancellation: { ids: [id] } })
      const turn = yield* client.until(content("turnComplete"))
      expect(transcriptOf(turn)).toBe(RealtimeServer.defaultReply)
    }).pipe(Effect.scoped))

  it.effect("barge-in: speech while the model speaks interrupts its turn; the speech is the next turn", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ transcribe: (_, ms) => `${Math.round(ms)} ms spoken` })
      const client = yield* setUp(server, { inputAudioTranscription: {}, outputAudioTranscription: {} })
      yield* client.send(userTurn("Tell me about the northern lights."))
      // the first chunk is out; the turn waits on the TestClock for its time to pass
      yield* client.until(content("modelTurn"))
      yield* client.send(audio(300, true))
      const interrupted = yield* client.until(content("interrupted"))
      expect(interrupted.some(content("turnComplete"))).toBe(false)
      expect(serverContent(interrupted[interrupted.length - 1] ?? {})).toEqual({ interrupted: true })
      // 500 ms of silence end the speech (300 ms of it and the 500 ms that ended it are the turn), then the answer
      yield* client.send(audio(600, false))
      const [transcription] = (yield* client.until(content("inputTranscription"))).slice(-1)
      expect(serverContent(transcription ?? {})).toEqual({ inputTranscription: { text: "800 ms spoken" } })
      yield* client.until(content("modelTurn"))
      yield* TestClock.adjust("1 minute")
      const turn = yield* client.until(content("turnComplete"))
      expect(transcriptOf(turn).length).toBeGreaterThan(0)
    }).pipe(Effect.scoped))

  it.live("automatic activity detection: the turn is the speech (from its chunk) and the silence that ended it", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        speed: 100,
        transcribe: (_, ms) => `${Math.round(ms)} ms`,
        rules: [{ match: "800 ms", reply: "Heard you." }]
      })
      const client = yield* setUp(server, { inputAudioTranscription: {}, outputAudioTranscription: {} })
      yield* client.send(audio(1000, false))
      // a video frame is not heard
      yield* client.send({ realtimeInput: { mediaChunks: [{ mimeType: "image/jpeg", data: pcm16k(500, true) }] } })
      yield* client.send(audio(300, true))
      yield* client.send(audio(600, false))
      const turn = yield* client.until(content("turnComplete"))
      expect(serverContent(turn[0] ?? {})).toEqual({ inputTranscription: { text: "800 ms" } })
      expect(transcriptOf(turn)).toBe("Heard you.")
    }).pipe(Effect.scoped))

  it.live("activity marked by the client: activityStart, audio, activityEnd make the user's turn", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        speed: 100,
        transcribe: (_, ms) => `${Math.round(ms)} ms`,
        rules: [{ match: "400 ms", reply: "Heard you." }]
      })
      const client = yield* setUp(server, {
        realtimeInputConfig: { automaticActivityDetection: { disabled: true } },
        inputAudioTranscription: {},
        outputAudioTranscription: {}
      })
      yield* client.send({ realtimeInput: { activityStart: {} } })
      yield* client.send(audio(200, true))
      yield* client.send(audio(200, false))
      yield* client.send({ realtimeInput: { activityEnd: {} } })
      const turn = yield* client.until(content("turnComplete"))
      expect(serverContent(turn[0] ?? {})).toEqual({ inputTranscription: { text: "400 ms" } })
      expect(transcriptOf(turn)).toBe("Heard you.")
    }).pipe(Effect.scoped))

  it.live("a session answering in TEXT sends text parts, no audio", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ rules: [{ match: "hi", reply: "Hello there, friend." }] })
      const client = yield* setUp(server, { generationConfig: { responseModalities: ["TEXT"] } })
      yield* client.send(userTurn("hi"))
      const turn = yield* client.until(content("turnComplete"))
      const texts = turn.flatMap((frame) =>
        ((serverContent(frame)["modelTurn"] as { parts: Array<{ text?: string }> } | undefined)?.parts ?? [])
          .map((part) => part.text ?? "")
      )
      expect(texts).toEqual(["Hello ", "there, ", "friend."])
      expect(audioOf(turn).bytes).toBe(0)
    }).pipe(Effect.scoped))
})
