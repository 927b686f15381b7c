/**
 * Gemini Live on the wire: the Schema of every server message the protocol reads (the
 * `LiveServerMessage` of the official `@google/genai` package, field for field where the protocol
 * looks), the decoder of one text frame, and the client frame types, which are that package's own
 * (`LiveClientMessage` and its parts) imported as types only: the library never loads the package.
 *
 * A server message is one JSON object with one (or a few) of its known keys set; the protocol
 * checks the keys it reads and keeps the parsed JSON as it arrived, for `Other` and raw events.
 */
import type * as Genai from "@google/genai"
import { Result, Schema } from "effect"
import { parseJsonObject } from "../jsonFrame.js"

const opt = Schema.optionalKey

/**
 * A value of one of the package's string enums, written as its string. The package declares its
 * enums (`Modality`, `StartSensitivity`, …) as TypeScript enums, which an `import type` cannot
 * reach at run time; the string is checked against the enum's values at compile time.
 */
export const enumValue = <E extends string>(value: `${E}`): E => value as E

/** The fields of `T`, where an optional one may be `undefined` (and is then left out). */
export type Fields<T> = { readonly [K in keyof T]: T[K] | ({} extends Pick<T, K> ? undefined : never) }

/** A `T` made of the fields whose value is defined: the wire leaves the others out. */
export const defined = <T extends object>(fields: Fields<T>): T => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out as T
}

const Blob = Schema.Struct({ data: opt(Schema.String), mimeType: opt(Schema.String) })

const Part = Schema.Struct({
  text: opt(Schema.String),
  thought: opt(Schema.Boolean),
  inlineData: opt(Blob)
})

const Content = Schema.Struct({ parts: opt(Schema.Array(Part)), role: opt(Schema.String) })

const Transcription = Schema.Struct({ text: opt(Schema.String), finished: opt(Schema.Boolean) })

/** `serverContent`: the model's turn, its transcripts and the turn's boundaries. */
export const ServerContent = Schema.Struct({
  modelTurn: opt(Content),
  turnComplete: opt(Schema.Boolean),
  interrupted: opt(Schema.Boolean),
  generationComplete: opt(Schema.Boolean),
  inputTranscription: opt(Transcription),
  outputTranscription: opt(Transcription),
  turnCompleteReason: opt(Schema.String),
  waitingForInput: opt(Schema.Boolean)
})
export type ServerContent = typeof ServerContent.Type

/** One function call of a `toolCall`. */
export const FunctionCall = Schema.Struct({
  id: opt(Schema.String),
  name: Schema.String,
  args: opt(Schema.Record(Schema.String, Schema.Unknown))
})
export type FunctionCall = typeof FunctionCall.Type

const ModalityTokenCount = Schema.Struct({ modality: opt(Schema.String), tokenCount: opt(Schema.Number) })
const TokenDetails = opt(Schema.Array(ModalityTokenCount))

/** `usageMetadata`: token counts, with their breakdown by modality. */
export const UsageMetadata = Schema.Struct({
  promptTokenCount: opt(Schema.Number),
  responseTokenCount: opt(Schema.Number),
  totalTokenCount: opt(Schema.Number),
  cachedContentTokenCount: opt(Schema.Number),
  thoughtsTokenCount: opt(Schema.Number),
  toolUsePromptTokenCount: opt(Schema.Number),
  promptTokensDetails: TokenDetails,
  responseTokensDetails: TokenDetails,
  cacheTokensDetails: TokenDetails
})
export type UsageMetadata = typeof UsageMetadata.Type

/** A JSON object whose fields the protocol does not read. */
const Opaque = Schema.Record(Schema.String, Schema.Unknown)

/**
 * A server message: every key of the package's `LiveServerMessage` (see the compile-time check
 * below), each checked where the protocol reads it.
 */
export const ServerMessage = Schema.Struct({
  setupComplete: opt(Schema.Struct({ sessionId: opt(Schema.String) })),
  serverContent: opt(ServerContent),
  toolCall: opt(Schema.Struct({ functionCalls: opt(Schema.Array(FunctionCall)) })),
  toolCallCancellation: opt(Schema.Struct({ ids: opt(Schema.Array(Schema.String)) })),
  usageMetadata: opt(UsageMetadata),
  goAway: opt(Schema.Struct({ timeLeft: opt(Schema.String) })),
  sessionResumptionUpdate: opt(Schema.Struct({
    newHandle: opt(Schema.String),
    resumable: opt(Schema.Boolean),
    lastConsumedClientMessageIndex: opt(Schema.String)
  })),
  voiceActivity: opt(Opaque),
  voiceActivityDetectionSignal: opt(Opaque)
})
export type ServerMessage = typeof ServerMessage.Type

/** The keys of a server message this module knows. */
export type ServerMessageKey = keyof ServerMessage

// Every data key of the package's server message is known here (its `text` and `data` are getters
// of the SDK's class, not wire fields): a key added to the package fails this line.
type UnknownKeys = Exclude<keyof Genai.LiveServerMessage, ServerMessageKey | "text" | "data">
const everyServerKeyKnown: [UnknownKeys] extends [never] ? true : UnknownKeys = true
void everyServerKeyKnown

const serverKeys: ReadonlyArray<string> = Object.keys(ServerMessage.fields)

/**
 * A server frame after decoding: a Live message (`known` says whether it holds a key this module
 * reads; a JSON object with none is a message of a kind it does not know), or a frame that is not
 * one, with what rejected it.
 */
export type ServerFrame =
  | {
    readonly _tag: "Message"
    readonly message: ServerMessage
    readonly json: Record<string, unknown>
    readonly known: boolean
  }
  | { readonly _tag: "Malformed"; readonly json: unknown; readonly message: string; readonly cause: unknown }

const isMessage = Schema.is(ServerMessage)
const explain = Schema.decodeUnknownResult(ServerMessage)

/** Parses and checks one text frame. Never throws. */
export const decodeServerFrame = (text: string): ServerFrame => {
  const parsed = parseJsonObject(text)
  if (parsed._tag === "NotObject") return { ...parsed, _tag: "Malformed" }
  const json = parsed.json
  const known = serverKeys.some((key) => json[key] !== undefined)
  if (isMessage(json)) return { _tag: "Message", message: json, json, known }
  const explained = explain(json)
  return Result.isSuccess(explained)
    ? { _tag: "Message", message: explained.success, json, known }
    : {
      _tag: "Malformed",
      json,
      message: `the server sent a Live message that does not match its schema: ${explained.failure.message}`,
      cause: explained.failure
    }
}

/** A client message as the package types it. Every frame the protocol builds has this type. */
export type ClientMessage = Genai.LiveClientMessage
/** The `setup` of a client message. */
export type Setup = Genai.LiveClientSetup
/** One tool of `setup.tools`. */
export type Tool = Genai.Tool
/** One function declaration of a tool. */
export type FunctionDeclaration = Genai.FunctionDeclaration
/** The answer to one function call. */
export type FunctionResponse = Genai.FunctionResponse
/** A message's content: a role and its parts. */
export type WireContent = Genai.Content
/** One part of a content. */
export type WirePart = Genai.Part
/** The realtime input settings of `setup`. */
export type RealtimeInputConfig = Genai.RealtimeInputConfig
/** Transcription settings (input or output). */
export type AudioTranscriptionConfig = Genai.AudioTranscriptionConfig
/** Context window compression settings. */
export type ContextWindowCompressionConfig = Genai.ContextWindowCompressionConfig
/** The enums the protocol writes. */
export type { ActivityHandling, EndSensitivity, FunctionResponseScheduling, Modality } from "@google/genai"

/**
 * A frame to send: a client message the protocol built, or the application's `RawMessage` passed
 * through as it is (one key, its body).
 */
export type ClientFrame =
  | { readonly _tag: "Live"; readonly message: ClientMessage }
  | { readonly _tag: "Raw"; readonly json: Readonly<Record<string, unknown>> }

/** A client message to send. */
export const live = (message: ClientMessage): ClientFrame => ({ _tag: "Live", message })

/** The text of a frame, as it goes on the socket. */
export const encodeClientFrame = (frame: ClientFrame): string =>
  JSON.stringify(frame._tag === "Live" ? frame.message : frame.json)
