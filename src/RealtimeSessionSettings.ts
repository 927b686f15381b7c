/**
 * Session settings: everything an application can configure about a realtime session. Every field
 * is optional; what is left out keeps the server's (or the library's) default.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { AudioFormatInput } from "./AudioFormat.js"

/** A whole number of milliseconds, zero or more. */
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A function the model may call. `parameters` is a JSON Schema object.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FunctionTool = Schema.Struct({
  name: Schema.NonEmptyString,
  description: Schema.optional(Schema.String),
  parameters: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})
/**
 * @since 0.1.0
 * @category models
 */
export type FunctionTool = typeof FunctionTool.Type

/**
 * Server-side voice activity detection by audio energy.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServerVad = Schema.Struct({
  type: Schema.Literal("server_vad"),
  threshold: Schema.optional(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  prefixPaddingMs: Schema.optional(NonNegativeInt),
  silenceDurationMs: Schema.optional(NonNegativeInt),
  idleTimeoutMs: Schema.optional(Schema.NullOr(NonNegativeInt)),
  createResponse: Schema.optional(Schema.Boolean),
  interruptResponse: Schema.optional(Schema.Boolean)
})

/**
 * Semantic voice activity detection (a model decides when the user finished).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SemanticVad = Schema.Struct({
  type: Schema.Literal("semantic_vad"),
  eagerness: Schema.optional(Schema.Literals(["low", "medium", "high", "auto"])),
  createResponse: Schema.optional(Schema.Boolean),
  interruptResponse: Schema.optional(Schema.Boolean)
})

/**
 * How the server detects turns; `null` turns detection off (push-to-talk).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TurnDetection = Schema.Union([ServerVad, SemanticVad])
/**
 * @since 0.1.0
 * @category models
 */
export type TurnDetection = typeof TurnDetection.Type

/**
 * Transcription of the user's audio.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputAudioTranscription = Schema.Struct({
  model: Schema.optional(Schema.String),
  language: Schema.optional(Schema.String),
  prompt: Schema.optional(Schema.String)
})

/**
 * Noise reduction of the user's audio.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NoiseReduction = Schema.Struct({
  type: Schema.Literals(["near_field", "far_field"])
})

/**
 * Which tool the model must use.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = Schema.Union([
  Schema.Literals(["auto", "none", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String })
])

/**
 * A stored prompt to use, with its variables.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Prompt = Schema.Struct({
  id: Schema.String,
  version: Schema.optional(Schema.String),
  variables: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * Tracing of the session on the provider's side.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Tracing = Schema.Union([
  Schema.Literal("auto"),
  Schema.Struct({
    workflowName: Schema.optional(Schema.String),
    groupId: Schema.optional(Schema.String),
    metadata: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
  })
])

/**
 * Reasoning effort for models that reason.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Reasoning = Schema.Struct({
  effort: Schema.optional(Schema.Literals(["minimal", "low", "medium", "high"]))
})

/**
 * The settings of a realtime session. Audio formats accept every spelling (`"pcm16"`,
 * `"audio/pcmu"`, `{ type: "audio/pcm", rate: 24000 }`, …) and decode to the canonical name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RealtimeSessionSettings = Schema.Struct({
  modelName: Schema.optional(Schema.String),
  instructions: Schema.optional(Schema.String),
  prompt: Schema.optional(Prompt),
  outputModalities: Schema.optional(Schema.Array(Schema.Literals(["text", "audio"]))),
  voice: Schema.optional(Schema.String),
  speed: Schema.optional(Schema.Finite.check(Schema.isBetween({ minimum: 0.25, maximum: 1.5 }))),
  inputAudioFormat: Schema.optional(AudioFormatInput),
  outputAudioFormat: Schema.optional(AudioFormatInput),
  inputAudioTranscription: Schema.optional(Schema.NullOr(InputAudioTranscription)),
  inputAudioNoiseReduction: Schema.optional(Schema.NullOr(NoiseReduction)),
  turnDetection: Schema.optional(Schema.NullOr(TurnDetection)),
  tools: Schema.optional(Schema.Array(FunctionTool)),
  toolChoice: Schema.optional(ToolChoice),
  tracing: Schema.optional(Schema.NullOr(Tracing)),
  maxOutputTokens: Schema.optional(Schema.Union([Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 4096 })), Schema.Literal("inf")])),
  reasoning: Schema.optional(Reasoning)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RealtimeSessionSettings = typeof RealtimeSessionSettings.Type

/**
 * The settings as a user may write them (any audio format spelling).
 *
 * @since 0.1.0
 * @category models
 */
export type RealtimeSessionSettingsInput = typeof RealtimeSessionSettings.Encoded

/**
 * The model used when the settings name none.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultModelName = "gpt-realtime"
