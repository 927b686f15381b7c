/**
 * The protocol's frames against Google's own client: `@google/genai` (a dev dependency) connects
 * to a WebSocket server on 127.0.0.1 and sends, for the same settings and inputs, the frames it
 * would send to Google; the protocol's frames must equal them, field for field.
 */
import { describe, expect, it } from "@effect/vitest"
import type { LiveConnectConfig, Session } from "@google/genai"
import { GoogleGenAI, Modality } from "@google/genai"
import { Effect, Queue } from "effect"
import { WebSocketServer } from "ws"
import * as Protocol from "../../src/internal/gemini/protocol.js"
import * as Send from "../../src/internal/gemini/send.js"
import { defaultOptions } from "../../src/internal/gemini/state.js"
import { idle } from "../../src/PlaybackTracker.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import { accepted, base64, feed, framesOf, functionCallOf, initial, last, pcm24 } from "./support.js"

/** A loopback server that answers `setup` with `setupComplete` and hands over every frame it receives. */
const referenceServer = Effect.acquireRelease(
  Effect.callback<{ readonly server: WebSocketServer; readonly port: number }>((resume) => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    server.once("listening", () => {
      const address = server.address()
      resume(Effect.succeed({ server, port: typeof address === "object" && address !== null ? address.port : 0 }))
    })
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      for (const client of server.clients) client.terminate()
      server.close(() => resume(Effect.void))
    })
)

/** Google's client, connected to the loopback server, and the frames the server receives from it. */
const googleClient = (config: LiveConnectConfig) =>
  Effect.gen(function*() {
    const { port, server } = yield* referenceServer
    const frames = yield* Queue.unbounded<unknown>()
    server.on("connection", (socket) => {
      socket.on("message", (data) => {
        const json: unknown = JSON.parse(String(data))
        Queue.offerUnsafe(frames, json)
        if (typeof json === "object" && json !== null && "setup" in json) {
          socket.send(JSON.stringify({ setupComplete: {} }))
        }
      })
    })
    const ai = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl: `http://127.0.0.1:${port}` } })
    const session: Session = yield* Effect.acquireRelease(
      Effect.promise(() =>
        ai.live.connect({ model: "gemini-3.8-live", config, callbacks: { onmessage: () => undefined } })
      ),
      (session) => Effect.sync(() => session.close())
    )
    const next = Queue.take(frames)
    return { session, next }
  })

const parameters = { type: "object", properties: { city: { type: "string" } } }

describe("Gemini Live frames against @google/genai", () => {
  it.effect("setup: the same message the SDK sends for the same configuration", () =>
    Effect.gen(function*() {
      const google = yield* googleClient({
        responseModalities: [Modality.AUDIO],
        systemInstruction: "Be brief.",
        speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } } },
        temperature: 0.5,
        maxOutputTokens: 200,
        tools: [{
          functionDeclarations: [{ name: "get_weather", description: "Weather", parametersJsonSchema: parameters }]
        }],
        realtimeInputConfig: { automaticActivityDetection: { disabled: true } },
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        sessionResumption: { handle: "handle-1" },
        contextWindowCompression: { slidingWindow: {} }
      })
      const theirs = yield* google.next
      const state = initial({
        instructions: "Be brief.",
        voice: "Puck",
        maxOutputTokens: 200,
        tools: [{ name: "get_weather", description: "Weather", parameters }],
        turnDetection: null
      }, { ...defaultOptions, temperature: 0.5 })
      const ours = framesOf(Protocol.open({ ...state, handle: "handle-1" }))
      expect(ours).toEqual([theirs])
    }).pipe(Effect.scoped))

  it.effect("sends: audio, activity, user input, tool response and context update as the SDK writes them", () =>
    Effect.gen(function*() {
      const google = yield* googleClient({ responseModalities: [Modality.AUDIO] })
      yield* google.next // its setup
      let state = last(feed(Protocol.open(initial({ turnDetection: null })).state, { setupComplete: {} })).state
      const ours: Array<unknown> = []
      const send = (event: SendEvent.RealtimeModelSendEvent) => {
        const step = accepted(Send.send(state, event, idle))
        state = step.state
        ours.push(...framesOf(step))
      }

      send(SendEvent.SendAudio.make({ audio: pcm24(3, 600), commit: true }))
      send(SendEvent.UserInput.make({ userInput: "What's the weather in Oslo?" }))
      const steps = feed(state, { toolCall: { functionCalls: [{ id: "fc-1", name: "get_weather", args: {} }] } })
      state = last(steps).state
      send(SendEvent.ToolOutput.make({ toolCall: functionCallOf(steps), output: "{\"celsius\":-4}" }))
      send(SendEvent.SessionUpdate.make({ sessionSettings: { instructions: "Be thorough." } }))

      // the same through Google's client; the audio is the protocol's own 16 kHz conversion
      const audio = ours[1] as { realtimeInput: { audio: { data: string } } }
      expect(audio.realtimeInput.audio.data).toBe(base64(new Uint8Array([0x58, 0x02, 0x58, 0x02])))
      google.session.sendRealtimeInput({ activityStart: {} })
      google.session.sendRealtimeInput({
        audio: { data: audio.realtimeInput.audio.data, mimeType: "audio/pcm;rate=16000" }
      })
      google.session.sendRealtimeInput({ activityEnd: {} })
      google.session.sendClientContent({
        turns: [{ role: "user", parts: [{ text: "What's the weather in Oslo?" }] }],
        turnComplete: true
      })
      google.session.sendToolResponse({
        functionResponses: [{ id: "fc-1", name: "get_weather", response: { output: { celsius: -4 } } }]
      })
      google.session.sendContextUpdate({ systemInstruction: "Be thorough." })
      const theirs: Array<unknown> = []
      for (let index = 0; index < ours.length; index++) theirs.push(yield* google.next)
      expect(ours).toEqual(theirs)
    }).pipe(Effect.scoped))
})
