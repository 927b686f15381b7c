/**
 * Session settings → Gemini Live's `setup`: every setting Gemini has, mapped to its field; every
 * setting it lacks, refused or ignored with a note; the resumption handle and compression.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import * as Protocol from "../../src/internal/gemini/protocol.js"
import * as Setup from "../../src/internal/gemini/setup.js"
import { defaultOptions } from "../../src/internal/gemini/state.js"
import type { ClientMessage } from "../../src/internal/gemini/wire.js"
import { ServerMessage } from "../../src/internal/gemini/wire.js"
import { RealtimeConnectError } from "../../src/RealtimeError.js"
import { RealtimeSessionSettings } from "../../src/RealtimeSessionSettings.js"
import { framesOf, initial, settings } from "./support.js"

const setupOf = (input: Parameters<typeof settings>[0], options = defaultOptions) =>
  Setup.plan(settings(input), options, null)

describe("Gemini Live setup", () => {
  it("with no settings: the default model, audio out, both transcriptions, resumption and compression on", () => {
    const opened = Protocol.open(initial())
    expect(framesOf(opened)).toEqual([{
      setup: {
        model: "models/gemini-3.8-live",
        generationConfig: { responseModalities: ["AUDIO"] },
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        sessionResumption: {},
        contextWindowCompression: { slidingWindow: {} }
      }
    }])
    expect(opened.restoredBy).toBe("nothing")
    expect(opened.notes).toEqual([])
  })

  it("instructions, a prebuilt voice, function tools with their JSON Schema, max output tokens and temperature", () => {
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
    const { notes, refused, setup } = setupOf({
      modelName: "gemini-3.1-flash-live-preview",
      instructions: "Be brief.",
      voice: "Kore",
      tools: [{ type: "function", name: "get_weather", description: "Weather by city", parameters }, { name: "now" }],
      maxOutputTokens: 256
    }, { ...defaultOptions, temperature: 0.6 })
    expect(refused).toEqual([])
    expect(notes).toEqual([])
    expect(setup.model).toBe("models/gemini-3.1-flash-live-preview")
    expect(setup.systemInstruction).toEqual({ parts: [{ text: "Be brief." }], role: "user" })
    expect(setup.generationConfig).toEqual({
      responseModalities: ["AUDIO"],
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Kore" } } },
      temperature: 0.6,
      maxOutputTokens: 256
    })
    expect(setup.tools).toEqual([{
      functionDeclarations: [
        { name: "get_weather", description: "Weather by city", parametersJsonSchema: parameters },
        { name: "now" }
      ]
    }])
  })

  it("a model given as a resource path is kept; \"inf\" output tokens leave the server's limit", () => {
    const { setup } = setupOf({
      modelName: "projects/p/locations/l/publishers/google/models/m",
      maxOutputTokens: "inf"
    })
    expect(setup.model).toBe("projects/p/locations/l/publishers/google/models/m")
    expect(setup.generationConfig).toEqual({ responseModalities: ["AUDIO"] })
  })

  it("text-only output asks for TEXT; audio (with or without text) for AUDIO", () => {
    expect(setupOf({ outputModalities: ["text"] }).setup.generationConfig?.responseModalities).toEqual(["TEXT"])
    expect(setupOf({ outputModalities: ["text", "audio"] }).setup.generationConfig?.responseModalities).toEqual([
      "AUDIO"
    ])
  })

  it("turn detection off: the client marks activity (automatic activity detection disabled)", () => {
    expect(setupOf({ turnDetection: null }).setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: true }
    })
  })

  it("server VAD: padding and silence carry over, interruptResponse false becomes NO_INTERRUPTION, the threshold is noted", () => {
    const { notes, setup } = setupOf({
      turnDetection: {
        type: "server_vad",
        threshold: 0.7,
        prefixPaddingMs: 200,
        silenceDurationMs: 600,
        interruptResponse: false
      }
    })
    expect(setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: false, prefixPaddingMs: 200, silenceDurationMs: 600 },
      activityHandling: "NO_INTERRUPTION"
    })
    expect(notes).toEqual(["turnDetection.threshold ignored: Gemini Live has no energy threshold"])
  })

  it("semantic VAD: its eagerness is the end-of-speech sensitivity", () => {
    expect(setupOf({ turnDetection: { type: "semantic_vad", eagerness: "high" } }).setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: false, endOfSpeechSensitivity: "END_SENSITIVITY_HIGH" }
    })
    expect(setupOf({ turnDetection: { type: "semantic_vad", eagerness: "low" } }).setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: false, endOfSpeechSensitivity: "END_SENSITIVITY_LOW" }
    })
    expect(setupOf({ turnDetection: { type: "semantic_vad", eagerness: "auto" } }).setup.realtimeInputConfig).toEqual({
      automaticActivityDetection: { disabled: false }
    })
  })

  it("input transcription: off with null, languages and keywords carried, the OpenAI model noted", () => {
    expect(setupOf({ inputAudioTranscription: null }).setup.inputAudioTranscription).toBeUndefined()
    const { notes, setup } = setupOf({
      inputAudioTranscription: { model: "gpt-4o-transcribe", language: "nb", keywords: ["Tromsø"] }
    })
    expect(setup.inputAudioTranscription).toEqual({ languageCodes: ["nb"], customVocabulary: ["Tromsø"] })
    expect(notes).toEqual([
      "inputAudioTranscription: model, prompt and delay ignored (Gemini Live transcribes with its own model)"
    ])
    expect(setupOf({ inputAudioTranscription: { languages: ["en", "de"] } }).setup.inputAudioTranscription).toEqual({
      languageCodes: ["en", "de"]
    })
  })

  it("compression: token counts as the protocol's int64 strings, or none when the option is off", () => {
    expect(
      setupOf({}, { ...defaultOptions, compression: { triggerTokens: 25_600, targetTokens: 12_800 } }).setup
        .contextWindowCompression
    ).toEqual({ triggerTokens: "25600", slidingWindow: { targetTokens: "12800" } })
    expect(setupOf({}, { ...defaultOptions, compression: false }).setup.contextWindowCompression).toBeUndefined()
  })

  it("a handle resumes the session", () => {
    expect(Setup.plan(settings(), defaultOptions, "handle-7").setup.sessionResumption).toEqual({ handle: "handle-7" })
  })

  it("settings Gemini lacks and the application can do without are ignored, each with a note", () => {
    const { notes, refused, setup } = setupOf({
      voice: "marin",
      speed: 1.2,
      inputAudioNoiseReduction: { type: "near_field" },
      parallelToolCalls: false,
      truncation: "auto",
      tracing: "auto",
      reasoning: { effort: "low" },
      inputAudioFormat: "g711_ulaw"
    })
    expect(refused).toEqual([])
    expect(setup.generationConfig).toEqual({ responseModalities: ["AUDIO"] })
    expect(notes).toEqual([
      "speed ignored: Gemini Live has no speech rate",
      "inputAudioNoiseReduction ignored: Gemini Live has no noise reduction setting",
      "parallelToolCalls ignored: Gemini Live decides how many calls it makes",
      "truncation ignored: Gemini Live's equivalent is the provider's context window compression option",
      "tracing ignored: Gemini Live has no tracing",
      "reasoning ignored: Gemini Live models take no reasoning effort",
      "inputAudioFormat g711_ulaw: converted to and from Gemini Live's PCM16 (8000 Hz)",
      "voice \"marin\" is an OpenAI voice: ignored, Gemini Live speaks with its default voice"
    ])
  })

  it("settings whose behaviour the application relies on are refused at init, all named in one InvalidConfig", () => {
    const refusal = Protocol.init(settings({
      prompt: { id: "pmpt_1" },
      toolChoice: "required",
      voice: { id: "voice_1" },
      tools: [{ type: "mcp", serverLabel: "docs", serverUrl: "https://example.com/mcp" }],
      turnDetection: { type: "server_vad", createResponse: false, idleTimeoutMs: 5000 }
    }))
    expect(refusal).toBeInstanceOf(RealtimeConnectError)
    if (!(refusal instanceof RealtimeConnectError)) return
    expect(refusal.reason).toBe("InvalidConfig")
    for (const setting of ["prompt", "toolChoice", "voice", "tools", "createResponse", "idleTimeoutMs"]) {
      expect(refusal.message).toContain(setting)
    }
  })
})

describe("the Gemini Live note (SETTINGS.md)", () => {
  const note = readFileSync(new URL("../../src/internal/gemini/SETTINGS.md", import.meta.url), "utf8")

  it("names every session setting", () => {
    const missing = Object.keys(RealtimeSessionSettings.fields).filter((key) => !note.includes(`\`${key}`))
    expect(missing).toEqual([])
  })

  it("names every server message and every client message", () => {
    const clientKeys = ["setup", "clientContent", "realtimeInput", "toolResponse", "contextUpdate"] as const
    // every key of the package's client message is in the list
    const everyClientKey: [Exclude<keyof ClientMessage, typeof clientKeys[number]>] extends [never] ? true : false =
      true
    expect(everyClientKey).toBe(true)
    const missing = [...Object.keys(ServerMessage.fields), ...clientKeys].filter((key) => !note.includes(`\`${key}`))
    expect(missing).toEqual([])
  })
})
