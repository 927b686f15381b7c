/**
 * The OpenAI Realtime GA wire protocol as Effect Schemas: the session (its audio, turn detection,
 * transcription, tools and prompt) as it travels as JSON, and the combinators the wire schemas
 * share. Conversation items and responses are in `items.ts`. Decoding is lenient the way real
 * servers are: optional fields accept `null`, unknown fields are ignored.
 */
import { Schema } from "effect"
import { WireAudioFormat } from "./audioFormat.js"

/**
 * An optional field that a server may also send as `null`. The key may be absent; a present key
 * holds a value or `null` (JSON has no `undefined`), which keeps the compiled frame checks to one
 * union per field.
 *
 * @category combinators
 */
export const opt = <S extends Schema.Constraint>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

/**
 * The rest of an open JSON object (for `Schema.StructWithRest`): its other keys, kept as they are.
 *
 * @category combinators
 */
export const rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/**
 * Server voice activity detection: turns end after a silence.
 *
 * @category session
 */
export const ServerVad = Schema.Struct({
  type: Schema.Literal("server_vad"),
  threshold: opt(Schema.Number),
  prefix_padding_ms: opt(Schema.Number),
  silence_duration_ms: opt(Schema.Number),
  idle_timeout_ms: opt(Schema.Number),
  create_response: opt(Schema.Boolean),
  interrupt_response: opt(Schema.Boolean)
})

/**
 * Semantic voice activity detection: turns end when the user seems done.
 *
 * @category session
 */
export const SemanticVad = Schema.Struct({
  type: Schema.Literal("semantic_vad"),
  eagerness: opt(Schema.Literals(["low", "medium", "high", "auto"])),
  create_response: opt(Schema.Boolean),
  interrupt_response: opt(Schema.Boolean)
})

/**
 * Either kind of turn detection.
 *
 * @category session
 */
export const TurnDetection = Schema.Union([ServerVad, SemanticVad])
/**
 * Turn detection as decoded.
 *
 * @category session
 */
export type TurnDetection = typeof TurnDetection.Type

/**
 * Input audio transcription settings.
 *
 * @category session
 */
export const Transcription = Schema.Struct({
  model: opt(Schema.String),
  language: opt(Schema.String),
  languages: opt(Schema.Array(Schema.String)),
  keywords: opt(Schema.Array(Schema.String)),
  prompt: opt(Schema.String),
  delay: opt(Schema.Literals(["minimal", "low", "medium", "high", "xhigh"]))
})

/**
 * A function the model may call.
 *
 * @category session
 */
export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: opt(Schema.String),
  parameters: opt(Schema.Record(Schema.String, Schema.Unknown))
})

const ToolFilter = Schema.Struct({ tool_names: opt(Schema.Array(Schema.String)), read_only: opt(Schema.Boolean) })

/**
 * An MCP server's tools.
 *
 * @category session
 */
export const McpTool = Schema.Struct({
  type: Schema.Literal("mcp"),
  server_label: Schema.String,
  server_url: opt(Schema.String),
  connector_id: opt(Schema.String),
  tunnel_id: opt(Schema.String),
  authorization: opt(Schema.String),
  server_description: opt(Schema.String),
  headers: opt(Schema.Record(Schema.String, Schema.String)),
  allowed_tools: opt(Schema.Union([Schema.Array(Schema.String), ToolFilter])),
  allowed_callers: opt(Schema.Array(Schema.Literals(["direct", "programmatic"]))),
  require_approval: opt(Schema.Union([
    Schema.Literals(["always", "never"]),
    Schema.Struct({ always: opt(ToolFilter), never: opt(ToolFilter) })
  ])),
  defer_loading: opt(Schema.Boolean)
})

/**
 * A tool: a function, an MCP server, or another kind passed through untouched.
 *
 * @category session
 */
export const Tool = Schema.Union([
  FunctionTool,
  McpTool,
  Schema.StructWithRest(Schema.Struct({ type: Schema.String }), rest)
])

/**
 * Which tool the model must use: a mode, a function, or an MCP server's tool.
 *
 * @category session
 */
export const ToolChoice = Schema.Union([
  Schema.Literals(["none", "auto", "required"]),
  Schema.Struct({ type: Schema.Literal("function"), name: Schema.String }),
  Schema.Struct({ type: Schema.Literal("mcp"), server_label: Schema.String, name: opt(Schema.String) })
])

/**
 * How the server truncates a long conversation.
 *
 * @category session
 */
export const Truncation = Schema.Union([
  Schema.Literals(["auto", "disabled"]),
  Schema.Struct({
    type: Schema.Literal("retention_ratio"),
    retention_ratio: Schema.Number,
    token_limits: opt(Schema.Struct({ post_instructions: opt(Schema.Number) }))
  })
])

const breakpoint = opt(Schema.Struct({ mode: Schema.Literal("explicit") }))

/**
 * A variable of a stored prompt: a string, or a text, image or file input.
 *
 * @category session
 */
export const PromptVariable = Schema.Union([
  Schema.String,
  Schema.Struct({ type: Schema.Literal("input_text"), text: Schema.String, prompt_cache_breakpoint: breakpoint }),
  Schema.Struct({
    type: Schema.Literal("input_image"),
    image_url: opt(Schema.String),
    file_id: opt(Schema.String),
    detail: Schema.Literals(["low", "high", "auto", "original"]),
    prompt_cache_breakpoint: breakpoint
  }),
  Schema.Struct({
    type: Schema.Literal("input_file"),
    file_id: opt(Schema.String),
    filename: opt(Schema.String),
    file_data: opt(Schema.String),
    file_url: opt(Schema.String),
    detail: opt(Schema.Literals(["auto", "low", "high"])),
    prompt_cache_breakpoint: breakpoint
  })
])

/**
 * The session object of `session.update`, `session.created` and `session.updated`.
 *
 * @category session
 */
export const Session = Schema.Struct({
  type: opt(Schema.Literals(["realtime", "transcription"])),
  id: opt(Schema.String),
  object: opt(Schema.String),
  model: opt(Schema.String),
  output_modalities: opt(Schema.Array(Schema.Literals(["text", "audio"]))),
  instructions: opt(Schema.String),
  audio: opt(Schema.Struct({
    input: opt(Schema.Struct({
      format: opt(WireAudioFormat),
      transcription: opt(Transcription),
      noise_reduction: opt(Schema.Struct({ type: Schema.Literals(["near_field", "far_field"]) })),
      turn_detection: opt(TurnDetection)
    })),
    output: opt(Schema.Struct({
      format: opt(WireAudioFormat),
      voice: opt(Schema.Union([Schema.String, Schema.Struct({ id: Schema.String })])),
      speed: opt(Schema.Number)
    }))
  })),
  tools: opt(Schema.Array(Tool)),
  tool_choice: opt(Schema.Union([
    ToolChoice,
    Schema.String,
    Schema.StructWithRest(Schema.Struct({ type: Schema.String, name: opt(Schema.String) }), rest)
  ])),
  parallel_tool_calls: opt(Schema.Boolean),
  tracing: opt(Schema.Union([
    Schema.Literal("auto"),
    Schema.Struct({ workflow_name: opt(Schema.String), group_id: opt(Schema.String), metadata: opt(Schema.Unknown) })
  ])),
  max_output_tokens: opt(Schema.Union([Schema.Number, Schema.Literal("inf")])),
  prompt: opt(Schema.Struct({
    id: Schema.String,
    version: opt(Schema.String),
    variables: opt(Schema.Record(Schema.String, Schema.Unknown))
  })),
  reasoning: opt(Schema.Struct({ effort: opt(Schema.String) })),
  include: opt(Schema.Array(Schema.String)),
  truncation: opt(Schema.Unknown),
  expires_at: opt(Schema.Number)
})
/**
 * A session as decoded.
 *
 * @category session
 */
export type Session = typeof Session.Type
