/**
 * Workload (f): the audio burst of (a) as Gemini Live sends it, and its two consumers: the floor
 * of those frames (`ws` + `JSON.parse` + base64 decode of `serverContent.modelTurn` audio) and
 * `GeminiLive` with one listener. The loopback server answers the client's `setup` with
 * `setupComplete`, then replays the burst as `serverContent` frames (an output transcription
 * every other audio frame, `generationComplete`, `turnComplete` and `usageMetadata` at the end).
 */
import { Effect, Redacted, Stream } from "effect"
import * as GeminiLive from "../../src/GeminiLive.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import { BenchError } from "./BenchError.js"
import { endpointUrl, textOf } from "./Consumer.js"
import type { Consumer } from "./Consumer.js"
import { openSocket } from "./consumers/Floor.js"
import * as Script from "./Script.js"

/** The model's turn as Gemini Live streams it, one `serverContent` message per frame. */
function* renderGemini(turns: ReadonlyArray<Script.Turn>, audio: string): Generator<Script.ScriptFrame> {
  let clock = 0
  const at = (atMs: number, message: Record<string, unknown>): Script.ScriptFrame => ({
    atMs,
    isAudio: false,
    render: () => JSON.stringify(message)
  })
  const audioFrame =
    `{"serverContent":{"modelTurn":{"role":"model","parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":"${audio}"}}]}}}`
  for (const turn of turns) {
    const sent = turn.response.audioDeltas
    const words = Script.transcriptOf(sent)
    for (let i = 0; i < sent; i++) {
      if (i % 2 === 0) yield at(clock, { serverContent: { outputTranscription: { text: words[i / 2]! } } })
      yield { atMs: clock, isAudio: true, render: () => audioFrame }
      clock += Script.AUDIO_DELTA_MS
    }
    yield at(clock, { serverContent: { generationComplete: true } })
    yield at(clock, { serverContent: { turnComplete: true } })
    yield at(clock, {
      usageMetadata: {
        promptTokenCount: 132,
        responseTokenCount: 121,
        totalTokenCount: 253,
        responseTokensDetails: [{ modality: "AUDIO", tokenCount: 121 }]
      }
    })
    clock += 500
  }
}

/** The audio burst of (a) in Gemini Live's messages. */
export const audioBurst = (deltas: number): Script.Script =>
  Script.fromTurns(
    "Gemini audio burst",
    [{ userSpeechMs: null, response: { audioDeltas: deltas, interruptAfter: null } }],
    renderGemini,
    { frame: () => JSON.stringify({ setupComplete: { sessionId: "bench" } }), answersClient: true }
  )

interface GeminiFrame {
  readonly serverContent?: {
    readonly modelTurn?: { readonly parts?: ReadonlyArray<{ readonly inlineData?: { readonly data?: string } }> }
  }
}

/** The floor of Gemini's frames: a minimal `setup`, then every audio part parsed and decoded. */
export const floor: Consumer = {
  name: "floor (ws + JSON.parse + base64)",
  listeners: 1,
  connect: (endpoint, receivers) =>
    Effect.gen(function*() {
      const socket = yield* openSocket(endpointUrl(endpoint))
      socket.on("message", (data) => {
        const frame = JSON.parse(textOf(data)) as GeminiFrame
        for (const part of frame.serverContent?.modelTurn?.parts ?? []) {
          if (part.inlineData?.data === undefined) continue
          const pcm = Buffer.from(part.inlineData.data, "base64")
          for (const receiver of receivers) receiver.onAudio(pcm.byteLength)
        }
      })
      socket.send(JSON.stringify({ setup: { model: `models/${GeminiLive.defaultModel}` } }))
    })
}

/** `GeminiLive` with one listener (a Stream subscription drained by its own fiber). */
export const geminiLive: Consumer = {
  name: "effect-realtime GeminiLive (1 listener)",
  listeners: 1,
  connect: (endpoint, receivers) =>
    Effect.gen(function*() {
      const model = yield* GeminiLive.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      for (const receiver of receivers) {
        const events = yield* model.subscribe
        yield* Effect.forkScoped(
          Stream.runForEach(events, (event) =>
            event._tag === "Audio" ? Effect.sync(() => receiver.onAudio(event.data.byteLength)) : Effect.void)
        )
      }
      yield* model.connect({
        apiKey: Redacted.make("bench"),
        url: endpointUrl(endpoint),
        initialSettings: { outputAudioFormat: "pcm16" }
      }).pipe(
        Effect.mapError((cause) =>
          new BenchError({ message: `GeminiLive could not connect: ${cause.message}`, cause })
        )
      )
    })
}
