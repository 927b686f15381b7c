/**
 * Gemini Live on the embedded server's side of the wire: the Schema of each client message the
 * server reads (`setup`, `clientContent`, `realtimeInput`, `toolResponse`, `contextUpdate`), the
 * decoder of one client frame, and the server frames, typed with the official `@google/genai`
 * package's `LiveServerMessage` (a type import: nothing of the package is loaded at run time).
 */
import type * as Genai from "@google/genai"
import { Result, Schema } from "effect"
import { parseJsonObject } from "../../jsonFrame.js"

const opt = Schema.optionalKey

const Blob = Schema.Struct({ data: opt(Schema.String), mimeType: opt(Schema.String) })

const Part = Schema.Struct({
  text: opt(Schema.String),
  inlineData: opt(Blob)
})

/** A turn of `clientContent`, or the system instruction: a role and its parts. */
export const Content = Schema.Struct({ role: opt(Schema.String), parts: opt(Schema.Array(Part)) })
export type Content = typeof Content.Type

const FunctionDeclaration = Schema.Struct({ name: Schema.String })

/** `setup`: what the server reads of it (the rest is accepted and not used). */
export const Setup = Schema.Struct({
  model: Schema.String,
  generationConfig: opt(Schema.Struct({
    responseModalities: opt(Schema.Array(Schema.String))
  })),
  systemInstruction: opt(Content),
  tools: opt(Schema.Array(Schema.Struct({ functionDeclarations: opt(Schema.Array(FunctionDeclaration)) }))),
  realtimeInputConfig: opt(Schema.Struct({
    automaticActivityDetection: opt(Schema.Struct({
      disabled: opt(Schema.Boolean),
      prefixPaddingMs: opt(Schema.Number),
      silenceDurationMs: opt(Schema.Number)
    })),
    activityHandling: opt(Schema.String)
  })),
  inputAudioTranscription: opt(Schema.Record(Schema.String, Schema.Unknown)),
  outputAudioTranscription: opt(Schema.Record(Schema.String, Schema.Unknown)),
  sessionResumption: opt(Schema.Struct({ handle: opt(Schema.String) }))
})
export type Setup = typeof Setup.Type

/** `realtimeInput`: audio (or the older `mediaChunks`), text, activity marks, the end of the audio stream. */
export const RealtimeInput = Schema.Struct({
  audio: opt(Blob),
  mediaChunks: opt(Schema.Array(Blob)),
  text: opt(Schema.String),
  activityStart: opt(Schema.Record(Schema.String, Schema.Unknown)),
  activityEnd: opt(Schema.Record(Schema.String, Schema.Unknown)),
  audioStreamEnd: opt(Schema.Boolean)
})
export type RealtimeInput = typeof RealtimeInput.Type

/** One answer of `toolResponse`. */
export const FunctionResponse = Schema.Struct({
  id: opt(Schema.String),
  name: opt(Schema.String),
  response: opt(Schema.Record(Schema.String, Schema.Unknown))
})
export type FunctionResponse = typeof FunctionResponse.Type

/** A client message: one of its keys set. */
export const ClientMessage = Schema.Struct({
  setup: opt(Setup),
  clientContent: opt(Schema.Struct({ turns: opt(Schema.Array(Content)), turnComplete: opt(Schema.Boolean) })),
  realtimeInput: opt(RealtimeInput),
  toolResponse: opt(Schema.Struct({ functionResponses: opt(Schema.Array(FunctionResponse)) })),
  contextUpdate: opt(Schema.Struct({
    systemInstruction: opt(Content),
    tools: opt(Schema.Array(Schema.Record(Schema.String, Schema.Unknown)))
  }))
})
export type ClientMessage = typeof ClientMessage.Type

const clientKeys: ReadonlyArray<string> = Object.keys(ClientMessage.fields)

const decode = Schema.decodeUnknownResult(ClientMessage)

/**
 * A client frame, read: a message, or why the service would refuse it (Google closes the
 * connection with 1007, "invalid payload", and this text as the reason).
 */
export type ClientFrame =
  | { readonly _tag: "Message"; readonly message: ClientMessage }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Reads one client frame; a key the Live API does not have is refused, as Google refuses it. */
export const decodeClientFrame = (text: string): ClientFrame => {
  const parsed = parseJsonObject(text)
  if (parsed._tag === "NotObject") return { _tag: "Invalid", reason: "Invalid JSON payload received." }
  const unknown = Object.keys(parsed.json).find((key) => !clientKeys.includes(key))
  if (unknown !== undefined) {
    return { _tag: "Invalid", reason: `Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.` }
  }
  const decoded = decode(parsed.json)
  return Result.isSuccess(decoded)
    ? { _tag: "Message", message: decoded.success }
    : { _tag: "Invalid", reason: `Invalid JSON payload received. ${decoded.failure.message}` }
}

/** A frame the server sends: the package's `LiveServerMessage` without its two convenience getters. */
export type ServerFrame = Omit<Genai.LiveServerMessage, "text" | "data">

/** The package's `MediaModality` values the server writes, as their strings. */
export const modality = (value: "TEXT" | "AUDIO"): Genai.MediaModality => value as Genai.MediaModality

/** The MIME type of the reply audio (24 kHz PCM16). */
export const outputMimeType = "audio/pcm;rate=24000"
/** The rate of the reply audio. */
export const outputRate = 24_000
/** The rate of input audio whose MIME type names none. */
export const defaultInputRate = 16_000

/** The sample rate a `audio/pcm;rate=N` MIME type names; the Live API's 16 kHz when it names none. */
export const rateOf = (mimeType: string | undefined): number => {
  const rate = /rate=(\d+)/.exec(mimeType ?? "")?.[1]
  return rate === undefined ? defaultInputRate : Number(rate)
}

/**
 * A close frame's reason, at most 123 bytes (the WebSocket limit); a longer one is cut at a
 * character boundary.
 */
export const closeReason = (reason: string): string => {
  let cut = reason
  while (new TextEncoder().encode(cut).byteLength > 123) cut = cut.slice(0, -1)
  return cut
}
