/**
 * The OpenAI Realtime GA wire protocol as Effect Schemas: the session, conversation items and
 * responses as they travel as JSON. Decoding is lenient the way real servers are: optional fields
 * accept `null`, unknown fields are ignored.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * An optional field that a server may also send as `null`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const opt = <S extends Schema.Constraint>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** The other keys of an open JSON object, kept as they are. */
const rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/**
 * An audio format object: `{ type: "audio/pcm", rate: 24000 }`, `{ type: "audio/pcmu" }`, `{ type: "audio/pcma" }`.
 *
 * @since 0.1.0
 * @category session
 */
export const WireAudioFormat = Schema.Struct({
  type: Schema.Literals(["audio/pcm", "audio/pcmu", "audio/pcma"]),
  rate: opt(Schema.Number)
})

/**
 * Server voice activity detection: turns end after a silence.
 *
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
 * @category session
 */
export const TurnDetection = Schema.Union([ServerVad, SemanticVad])
/**
 * Turn detection as decoded.
 *
 * @since 0.1.0
 * @category session
 */
export type TurnDetection = typeof TurnDetection.Type

/**
 * Input audio transcription settings.
 *
 * @since 0.1.0
 * @category session
 */
export const Transcription = Schema.Struct({
  model: opt(Schema.String),
  language: opt(Schema.String),
  prompt: opt(Schema.String)
})

/**
 * A function the model may call.
 *
 * @since 0.1.0
 * @category session
 */
export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: opt(Schema.String),
  parameters: opt(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * Tools of other kinds (MCP, …) pass through untouched.
 *
 * @since 0.1.0
 * @category session
 */
export const Tool = Schema.Union([FunctionTool, Schema.StructWithRest(Schema.Struct({ type: Schema.String }), rest)])

/**
 * The session object of `session.update`, `session.created` and `session.updated`.
 *
 * @since 0.1.0
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
    Schema.String,
    Schema.StructWithRest(Schema.Struct({ type: Schema.String, name: opt(Schema.String) }), rest)
  ])),
  tracing: opt(Schema.Union([
    Schema.Literal("auto"),
    Schema.Struct({ workflow_name: opt(Schema.String), group_id: opt(Schema.String), metadata: opt(Schema.Unknown) })
  ])),
  max_output_tokens: opt(Schema.Union([Schema.Number, Schema.Literal("inf")])),
  prompt: opt(Schema.Struct({ id: Schema.String, version: opt(Schema.String), variables: opt(Schema.Unknown) })),
  reasoning: opt(Schema.Struct({ effort: opt(Schema.String) })),
  include: opt(Schema.Array(Schema.String)),
  truncation: opt(Schema.Unknown),
  expires_at: opt(Schema.Number)
})
/**
 * A session as decoded.
 *
 * @since 0.1.0
 * @category session
 */
export type Session = typeof Session.Type

const ContentPart = Schema.Struct({
  type: Schema.Literals(["input_text", "input_audio", "input_image", "output_text", "output_audio", "text", "audio"]),
  text: opt(Schema.String),
  audio: opt(Schema.String),
  transcript: opt(Schema.String),
  image_url: opt(Schema.String),
  detail: opt(Schema.String)
})
/**
 * A content part as decoded.
 *
 * @since 0.1.0
 * @category items
 */
export type ContentPart = typeof ContentPart.Type

const itemStatus = opt(Schema.Literals(["completed", "incomplete", "in_progress"]))

/**
 * A message: system, user or assistant content parts.
 *
 * @since 0.1.0
 * @category items
 */
export const MessageItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("message"),
  status: itemStatus,
  role: Schema.Literals(["system", "user", "assistant"]),
  content: Schema.Array(ContentPart)
})

/**
 * A function call the model made.
 *
 * @since 0.1.0
 * @category items
 */
export const FunctionCallItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("function_call"),
  status: itemStatus,
  call_id: opt(Schema.String),
  name: Schema.String,
  arguments: Schema.String
})

/**
 * The output of a function call.
 *
 * @since 0.1.0
 * @category items
 */
export const FunctionCallOutputItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("function_call_output"),
  status: itemStatus,
  call_id: Schema.String,
  output: Schema.String
})

/**
 * MCP and other item kinds: only their type and id are read.
 *
 * @since 0.1.0
 * @category items
 */
export const OtherItem = Schema.StructWithRest(
  Schema.Struct({
    id: opt(Schema.String),
    type: Schema.String.check(
      Schema.makeFilter((type) => type !== "message" && type !== "function_call" && type !== "function_call_output")
    )
  }),
  rest
)

/**
 * Any conversation item.
 *
 * @since 0.1.0
 * @category items
 */
export const Item = Schema.Union([MessageItem, FunctionCallItem, FunctionCallOutputItem, OtherItem])
/**
 * A conversation item as decoded.
 *
 * @since 0.1.0
 * @category items
 */
export type Item = typeof Item.Type

const TokenDetails = Schema.Struct({
  text_tokens: opt(Schema.Number),
  audio_tokens: opt(Schema.Number),
  image_tokens: opt(Schema.Number),
  cached_tokens: opt(Schema.Number),
  cached_tokens_details: opt(Schema.Struct({
    text_tokens: opt(Schema.Number),
    audio_tokens: opt(Schema.Number),
    image_tokens: opt(Schema.Number)
  }))
})

/**
 * Token usage of a response.
 *
 * @since 0.1.0
 * @category responses
 */
export const Usage = Schema.Struct({
  total_tokens: opt(Schema.Number),
  input_tokens: opt(Schema.Number),
  output_tokens: opt(Schema.Number),
  input_token_details: opt(TokenDetails),
  output_token_details: opt(TokenDetails)
})
/**
 * Token usage as decoded.
 *
 * @since 0.1.0
 * @category responses
 */
export type Usage = typeof Usage.Type

/**
 * A response object of `response.created` and `response.done`.
 *
 * @since 0.1.0
 * @category responses
 */
export const Response = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  status: opt(Schema.String),
  status_details: opt(Schema.Unknown),
  output: opt(Schema.Array(Schema.Unknown)),
  usage: opt(Usage),
  conversation_id: opt(Schema.String),
  output_modalities: opt(Schema.Array(Schema.String)),
  metadata: opt(Schema.Unknown)
})

/**
 * The payload of an `error` server event.
 *
 * @since 0.1.0
 * @category errors
 */
export const ServerError = Schema.Struct({
  type: Schema.String,
  code: opt(Schema.String),
  message: Schema.String,
  param: opt(Schema.String),
  event_id: opt(Schema.String)
})
