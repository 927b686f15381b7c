/**
 * Session settings → Gemini Live's `setup` message, and the verdict on every setting Gemini does
 * not have: refused (the application relies on a behaviour the model would not have) or ignored
 * with a note (the engine logs it at Debug). `SETTINGS.md`, next to this file, is the table of
 * what happens to each setting. The default model is named once, here.
 */
import type * as Genai from "@google/genai"
import * as AudioFormats from "../../AudioFormat.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import { KnownVoice } from "../../RealtimeSessionSettings.js"
import type { ProtocolOptions } from "./state.js"
import * as Wire from "./wire.js"
import { defined } from "./wire.js"

/** The Live model used when the settings name none: Google's default stable Live model. */
export const defaultModel = "gemini-3.8-live"

/** A setting Gemini Live cannot honour, and why. */
export interface Refusal {
  readonly setting: string
  readonly message: string
}

/** The outcome of reading the settings: the setup, the refused settings, the notes on the ignored ones. */
export interface SetupPlan {
  readonly setup: Wire.Setup
  readonly refused: ReadonlyArray<Refusal>
  readonly notes: ReadonlyArray<string>
}

/** The model's resource name: `models/<name>` unless the name is already a resource path. */
export const modelResource = (name: string): string =>
  name.startsWith("models/") || name.startsWith("projects/") || name.startsWith("tunedModels/")
    ? name
    : `models/${name}`

const openAIVoices: ReadonlySet<string> = new Set(KnownVoice.literals)

/** The function tools as Gemini function declarations (`parametersJsonSchema`, the JSON Schema as given). */
export const toolsToWire = (
  tools: RealtimeSessionSettings["tools"],
  refused: Array<Refusal>
): Array<Wire.Tool> | undefined => {
  if (tools === undefined) return undefined
  const declarations: Array<Wire.FunctionDeclaration> = []
  for (const tool of tools) {
    if (tool.type === "mcp") {
      refused.push({ setting: "tools", message: `MCP tools (${tool.serverLabel}) are not available on Gemini Live` })
    } else {
      declarations.push(defined<Wire.FunctionDeclaration>({
        name: tool.name,
        description: tool.description,
        parametersJsonSchema: tool.parameters
      }))
    }
  }
  return declarations.length === 0 ? [] : [{ functionDeclarations: declarations }]
}

/** The instructions as a system instruction: one text part, in the user's role (as Google's client writes it). */
export const instructionsToWire = (instructions: string): Wire.WireContent => ({
  parts: [{ text: instructions }],
  role: "user"
})

const realtimeInput = (
  turn: RealtimeSessionSettings["turnDetection"],
  refused: Array<Refusal>,
  notes: Array<string>
): Wire.RealtimeInputConfig | undefined => {
  if (turn === undefined) return undefined
  if (turn === null) return { automaticActivityDetection: { disabled: true } }
  if (turn.createResponse === false) {
    refused.push({
      setting: "turnDetection.createResponse",
      message: "Gemini Live answers every turn its activity detection ends; createResponse: false has no equivalent"
    })
  }
  const activityHandling = turn.interruptResponse === false
    ? Wire.enumValue<Wire.ActivityHandling>("NO_INTERRUPTION")
    : undefined
  if (turn.type === "server_vad") {
    if (turn.threshold !== undefined) notes.push("turnDetection.threshold ignored: Gemini Live has no energy threshold")
    if (turn.idleTimeoutMs !== undefined && turn.idleTimeoutMs !== null) {
      refused.push({ setting: "turnDetection.idleTimeoutMs", message: "Gemini Live has no idle timeout" })
    }
    return defined<Wire.RealtimeInputConfig>({
      automaticActivityDetection: defined<Genai.AutomaticActivityDetection>({
        disabled: false,
        prefixPaddingMs: turn.prefixPaddingMs,
        silenceDurationMs: turn.silenceDurationMs
      }),
      activityHandling
    })
  }
  // semantic eagerness: how soon the user's turn is taken as over, Gemini's end-of-speech sensitivity
  const endOfSpeechSensitivity = turn.eagerness === "high"
    ? Wire.enumValue<Wire.EndSensitivity>("END_SENSITIVITY_HIGH")
    : turn.eagerness === "low"
    ? Wire.enumValue<Wire.EndSensitivity>("END_SENSITIVITY_LOW")
    : undefined
  return defined<Wire.RealtimeInputConfig>({
    automaticActivityDetection: defined<Genai.AutomaticActivityDetection>({ disabled: false, endOfSpeechSensitivity }),
    activityHandling
  })
}

const inputTranscription = (
  transcription: RealtimeSessionSettings["inputAudioTranscription"],
  notes: Array<string>
): Wire.AudioTranscriptionConfig | undefined => {
  if (transcription === null) return undefined
  if (transcription === undefined) return {}
  if (transcription.model !== undefined || transcription.prompt !== undefined || transcription.delay !== undefined) {
    notes.push("inputAudioTranscription: model, prompt and delay ignored (Gemini Live transcribes with its own model)")
  }
  const languages = transcription.languages ??
    (transcription.language === undefined ? undefined : [transcription.language])
  return defined<Wire.AudioTranscriptionConfig>({
    languageCodes: languages === undefined ? undefined : [...languages],
    customVocabulary: transcription.keywords === undefined ? undefined : [...transcription.keywords]
  })
}

const compression = (options: ProtocolOptions): Wire.ContextWindowCompressionConfig | undefined =>
  options.compression === false ? undefined : defined<Wire.ContextWindowCompressionConfig>({
    // int64 fields are strings in the protocol's JSON
    triggerTokens: options.compression.triggerTokens === undefined
      ? undefined
      : String(options.compression.triggerTokens),
    slidingWindow: defined<Genai.SlidingWindow>({
      targetTokens: options.compression.targetTokens === undefined
        ? undefined
        : String(options.compression.targetTokens)
    })
  })

const ignored = (settings: RealtimeSessionSettings, notes: Array<string>, refused: Array<Refusal>): void => {
  if (settings.prompt !== undefined) {
    refused.push({ setting: "prompt", message: "stored prompts are OpenAI's; Gemini Live has none" })
  }
  if (settings.toolChoice !== undefined && settings.toolChoice !== "auto") {
    refused.push({ setting: "toolChoice", message: "Gemini Live has no tool choice: the model always chooses" })
  }
  const dropped: Array<[keyof RealtimeSessionSettings, string]> = [
    ["speed", "Gemini Live has no speech rate"],
    ["inputAudioNoiseReduction", "Gemini Live has no noise reduction setting"],
    ["parallelToolCalls", "Gemini Live decides how many calls it makes"],
    ["include", "Gemini Live has no log probabilities"],
    ["truncation", "Gemini Live's equivalent is the provider's context window compression option"],
    ["tracing", "Gemini Live has no tracing"],
    ["reasoning", "Gemini Live models take no reasoning effort"]
  ]
  for (const [key, why] of dropped) if (settings[key] !== undefined) notes.push(`${key} ignored: ${why}`)
}

const responseModalities = (
  modalities: RealtimeSessionSettings["outputModalities"]
): Array<Wire.Modality> => [
  modalities !== undefined && modalities.length > 0 && !modalities.includes("audio")
    ? Wire.enumValue<Wire.Modality>("TEXT")
    : Wire.enumValue<Wire.Modality>("AUDIO")
]

const speech = (voice: RealtimeSessionSettings["voice"], notes: Array<string>, refused: Array<Refusal>) => {
  if (voice === undefined) return undefined
  if (typeof voice !== "string") {
    refused.push({ setting: "voice", message: "custom voices by id are OpenAI's; give a Gemini prebuilt voice name" })
    return undefined
  }
  if (openAIVoices.has(voice)) {
    notes.push(`voice "${voice}" is an OpenAI voice: ignored, Gemini Live speaks with its default voice`)
    return undefined
  }
  return { voiceConfig: { prebuiltVoiceConfig: { voiceName: voice } } }
}

/**
 * The `setup` for the settings, resuming with `handle` when there is one.
 */
export const plan = (
  settings: RealtimeSessionSettings,
  options: ProtocolOptions,
  handle: string | null
): SetupPlan => {
  const refused: Array<Refusal> = []
  const notes: Array<string> = []
  ignored(settings, notes, refused)
  for (const key of ["inputAudioFormat", "outputAudioFormat"] as const) {
    const format = settings[key]
    if (format !== undefined && format !== "pcm16") {
      notes.push(`${key} ${format}: converted to and from Gemini Live's PCM16 (${AudioFormats.sampleRate(format)} Hz)`)
    }
  }
  const maxOutputTokens = settings.maxOutputTokens === "inf" ? undefined : settings.maxOutputTokens
  const setup = defined<Wire.Setup>({
    model: modelResource(settings.modelName ?? defaultModel),
    generationConfig: defined<Genai.GenerationConfig>({
      responseModalities: responseModalities(settings.outputModalities),
      speechConfig: speech(settings.voice, notes, refused),
      temperature: options.temperature,
      maxOutputTokens
    }),
    systemInstruction: settings.instructions === undefined ? undefined : instructionsToWire(settings.instructions),
    tools: toolsToWire(settings.tools, refused),
    realtimeInputConfig: realtimeInput(settings.turnDetection, refused, notes),
    inputAudioTranscription: inputTranscription(settings.inputAudioTranscription, notes),
    outputAudioTranscription: {},
    sessionResumption: handle === null ? {} : { handle },
    contextWindowCompression: compression(options)
  })
  return { setup, refused, notes }
}

/** Whether the settings turn the server's activity detection off (the client marks activity). */
export const manualActivity = (settings: RealtimeSessionSettings): boolean => settings.turnDetection === null
