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
  type: Schema.optional(Schema.Literal("function")),
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
  /** Several expected languages (ISO-639-1), instead of one `language`. */
  languages: Schema.optional(Schema.NonEmptyArray(Schema.String)),
  /** Words and names the transcriber should expect. */
  keywords: Schema.optional(Schema.Array(Schema.String)),
  prompt: Schema.optional(Schema.String),
  /** How long the transcriber may wait for context, trading latency for accuracy. */
  delay: Schema.optional(Schema.Literals(["minimal", "low", "medium", "high", "xhigh"]))
})

/**
 * The transcription models the protocol names (any other model name is accepted too).
 *
 * @since 0.2.0
 * @category schemas
 */
export const KnownTranscriptionModel = Schema.Literals([
  "whisper-1",
  "gpt-transcribe",
  "gpt-live-transcribe",
  "gpt-4o-mini-transcribe",
  "gpt-4o-mini-transcribe-2025-12-15",
  "gpt-4o-transcribe",
  "gpt-4o-transcribe-diarize",
  "gpt-realtime-whisper"
])

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
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("mcp"),
    serverLabel: Schema.String,
    name: Schema.optional(Schema.NullOr(Schema.String))
  })
])

const CacheBreakpoint = Schema.Struct({ mode: Schema.Literal("explicit") })

/**
 * The value of a stored prompt's variable: text, or an input text, image or file.
 *
 * @since 0.2.0
 * @category schemas
 */
export const PromptVariable = Schema.Union([
  Schema.String,
  Schema.Struct({
    type: Schema.Literal("input_text"),
    text: Schema.String,
    promptCacheBreakpoint: Schema.optional(CacheBreakpoint)
  }),
  Schema.Struct({
    type: Schema.Literal("input_image"),
    imageUrl: Schema.optional(Schema.NullOr(Schema.String)),
    fileId: Schema.optional(Schema.NullOr(Schema.String)),
    detail: Schema.Literals(["low", "high", "auto", "original"]),
    promptCacheBreakpoint: Schema.optional(CacheBreakpoint)
  }),
  Schema.Struct({
    type: Schema.Literal("input_file"),
    fileId: Schema.optional(Schema.NullOr(Schema.String)),
    filename: Schema.optional(Schema.String),
    fileData: Schema.optional(Schema.String),
    fileUrl: Schema.optional(Schema.String),
    detail: Schema.optional(Schema.Literals(["auto", "low", "high"])),
    promptCacheBreakpoint: Schema.optional(CacheBreakpoint)
  })
])
/**
 * @since 0.2.0
 * @category models
 */
export type PromptVariable = typeof PromptVariable.Type

/**
 * A stored prompt to use, with its variables.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Prompt = Schema.Struct({
  id: Schema.String,
  version: Schema.optional(Schema.NullOr(Schema.String)),
  variables: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, PromptVariable)))
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
  effort: Schema.optional(Schema.Literals(["minimal", "low", "medium", "high", "xhigh"]))
})

/**
 * Which MCP tools a filter selects: by name, or the read-only ones.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolFilter = Schema.Struct({
  toolNames: Schema.optional(Schema.Array(Schema.String)),
  readOnly: Schema.optional(Schema.Boolean)
})

/**
 * Which MCP tool calls need the application's approval: all, none, or per filter.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpRequireApproval = Schema.Union([
  Schema.Literals(["always", "never"]),
  Schema.Struct({ always: Schema.optional(McpToolFilter), never: Schema.optional(McpToolFilter) })
])

/**
 * The connectors OpenAI hosts as MCP servers.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpConnectorId = Schema.Literals([
  "connector_dropbox",
  "connector_gmail",
  "connector_googlecalendar",
  "connector_googledrive",
  "connector_microsoftteams",
  "connector_outlookcalendar",
  "connector_outlookemail",
  "connector_sharepoint"
])

/**
 * A remote MCP server (by URL, connector or tunnel) whose tools the model may call. The
 * `authorization` token stays `Redacted` until it is written to the wire.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpTool = Schema.Struct({
  type: Schema.Literal("mcp"),
  serverLabel: Schema.String,
  serverUrl: Schema.optional(Schema.String),
  connectorId: Schema.optional(McpConnectorId),
  tunnelId: Schema.optional(Schema.String.check(Schema.isPattern(/^tunnel_[a-z0-9]{32}$/))),
  authorization: Schema.optional(Schema.Redacted(Schema.String)),
  serverDescription: Schema.optional(Schema.String),
  headers: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String))),
  allowedTools: Schema.optional(Schema.NullOr(Schema.Union([Schema.Array(Schema.String), McpToolFilter]))),
  allowedCallers: Schema.optional(Schema.NullOr(Schema.NonEmptyArray(Schema.Literals(["direct", "programmatic"])))),
  requireApproval: Schema.optional(Schema.NullOr(McpRequireApproval)),
  deferLoading: Schema.optional(Schema.Boolean)
})
/**
 * @since 0.2.0
 * @category models
 */
export type McpTool = typeof McpTool.Type

/**
 * A tool the model may use: a function the application runs, or an MCP server.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Tool = Schema.Union([FunctionTool, McpTool])
/**
 * @since 0.2.0
 * @category models
 */
export type Tool = typeof Tool.Type

/**
 * How the server truncates a long conversation: automatically, never (`disabled`), or keeping a
 * share of it (`retentionRatio`, optionally with a token budget after the instructions).
 *
 * @since 0.2.0
 * @category schemas
 */
export const Truncation = Schema.Union([
  Schema.Literals(["auto", "disabled"]),
  Schema.Struct({
    type: Schema.Literal("retention_ratio"),
    retentionRatio: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
    tokenLimits: Schema.optional(Schema.Struct({ postInstructions: Schema.optional(NonNegativeInt) }))
  })
])

/**
 * A voice: one of the built-in names (see {@link KnownVoice}) or a custom voice by its id.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Voice = Schema.Union([Schema.String, Schema.Struct({ id: Schema.String })])

/**
 * The built-in voices the protocol names.
 *
 * @since 0.2.0
 * @category schemas
 */
export const KnownVoice = Schema.Literals([
  "alloy",
  "ash",
  "ballad",
  "coral",
  "echo",
  "sage",
  "shimmer",
  "verse",
  "marin",
  "cedar"
])

/**
 * The realtime models the protocol names (any other model name is accepted too).
 *
 * @since 0.2.0
 * @category schemas
 */
export const KnownModelName = Schema.Literals([
  "gpt-realtime",
  "gpt-realtime-1.5",
  "gpt-realtime-2",
  "gpt-realtime-2.1",
  "gpt-realtime-2.1-mini",
  "gpt-realtime-2025-08-28",
  "gpt-4o-realtime-preview",
  "gpt-4o-realtime-preview-2024-10-01",
  "gpt-4o-realtime-preview-2024-12-17",
  "gpt-4o-realtime-preview-2025-06-03",
  "gpt-4o-mini-realtime-preview",
  "gpt-4o-mini-realtime-preview-2024-12-17",
  "gpt-realtime-mini",
  "gpt-realtime-mini-2025-10-06",
  "gpt-realtime-mini-2025-12-15",
  "gpt-audio-1.5",
  "gpt-audio-mini",
  "gpt-audio-mini-2025-10-06",
  "gpt-audio-mini-2025-12-15"
])

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
  voice: Schema.optional(Voice),
  speed: Schema.optional(Schema.Finite.check(Schema.isBetween({ minimum: 0.25, maximum: 1.5 }))),
  inputAudioFormat: Schema.optional(AudioFormatInput),
  outputAudioFormat: Schema.optional(AudioFormatInput),
  inputAudioTranscription: Schema.optional(Schema.NullOr(InputAudioTranscription)),
  inputAudioNoiseReduction: Schema.optional(Schema.NullOr(NoiseReduction)),
  turnDetection: Schema.optional(Schema.NullOr(TurnDetection)),
  tools: Schema.optional(Schema.Array(Tool)),
  toolChoice: Schema.optional(ToolChoice),
  parallelToolCalls: Schema.optional(Schema.Boolean),
  include: Schema.optional(Schema.Array(Schema.Literals(["item.input_audio_transcription.logprobs"]))),
  truncation: Schema.optional(Truncation),
  tracing: Schema.optional(Schema.NullOr(Tracing)),
  maxOutputTokens: Schema.optional(
    Schema.Union([Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 4096 })), Schema.Literal("inf")])
  ),
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
 * The model used when the settings name none: the reference SDKs' default (openai-agents-python's
 * `DEFAULT_REALTIME_MODEL`, `@openai/agents-realtime`'s `DEFAULT_OPENAI_REALTIME_MODEL`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultModelName = "gpt-realtime-2.1"
