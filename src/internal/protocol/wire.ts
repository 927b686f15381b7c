/**
 * The OpenAI Realtime GA wire protocol as Effect Schemas: the session, conversation items and
 * responses as they travel as JSON. Decoding is lenient the way real servers are: optional fields
 * accept `null`, unknown fields are ignored.
 */
import { Schema } from "effect"

/** An optional field that a server may also send as `null`. */
export const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** An audio format object: `{ type: "audio/pcm", rate: 24000 }`, `{ type: "audio/pcmu" }`, `{ type: "audio/pcma" }`. */
export const WireAudioFormat = Schema.Struct({
  type: Schema.Literal("audio/pcm", "audio/pcmu", "audio/pcma"),
  rate: opt(Schema.Number)
})

export const ServerVad = Schema.Struct({
  type: Schema.Literal("server_vad"),
  threshold: opt(Schema.Number),
  prefix_padding_ms: opt(Schema.Number),
  silence_duration_ms: opt(Schema.Number),
  idle_timeout_ms: opt(Schema.Number),
  create_response: opt(Schema.Boolean),
  interrupt_response: opt(Schema.Boolean)
})

export const SemanticVad = Schema.Struct({
  type: Schema.Literal("semantic_vad"),
  eagerness: opt(Schema.Literal("low", "medium", "high", "auto")),
  create_response: opt(Schema.Boolean),
  interrupt_response: opt(Schema.Boolean)
})

export const TurnDetection = Schema.Union(ServerVad, SemanticVad)
export type TurnDetection = typeof TurnDetection.Type

export const Transcription = Schema.Struct({
  model: opt(Schema.String),
  language: opt(Schema.String),
  prompt: opt(Schema.String)
})

export const FunctionTool = Schema.Struct({
  type: Schema.Literal("function"),
  name: Schema.String,
  description: opt(Schema.String),
  parameters: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/** Tools of other kinds (MCP, …) pass through untouched. */
export const Tool = Schema.Union(FunctionTool, Schema.Struct({ type: Schema.String }, { key: Schema.String, value: Schema.Unknown }))

export const Session = Schema.Struct({
  type: opt(Schema.Literal("realtime", "transcription")),
  id: opt(Schema.String),
  object: opt(Schema.String),
  model: opt(Schema.String),
  output_modalities: opt(Schema.Array(Schema.Literal("text", "audio"))),
  instructions: opt(Schema.String),
  audio: opt(Schema.Struct({
    input: opt(Schema.Struct({
      format: opt(WireAudioFormat),
      transcription: opt(Transcription),
      noise_reduction: opt(Schema.Struct({ type: Schema.Literal("near_field", "far_field") })),
      turn_detection: opt(TurnDetection)
    })),
    output: opt(Schema.Struct({
      format: opt(WireAudioFormat),
      voice: opt(Schema.Union(Schema.String, Schema.Struct({ id: Schema.String }))),
      speed: opt(Schema.Number)
    }))
  })),
  tools: opt(Schema.Array(Tool)),
  tool_choice: opt(Schema.Union(
    Schema.String,
    Schema.Struct({ type: Schema.String, name: opt(Schema.String) }, { key: Schema.String, value: Schema.Unknown })
  )),
  tracing: opt(Schema.Union(
    Schema.Literal("auto"),
    Schema.Struct({ workflow_name: opt(Schema.String), group_id: opt(Schema.String), metadata: opt(Schema.Unknown) })
  )),
  max_output_tokens: opt(Schema.Union(Schema.Number, Schema.Literal("inf"))),
  prompt: opt(Schema.Struct({ id: Schema.String, version: opt(Schema.String), variables: opt(Schema.Unknown) })),
  reasoning: opt(Schema.Struct({ effort: opt(Schema.String) })),
  include: opt(Schema.Array(Schema.String)),
  truncation: opt(Schema.Unknown),
  expires_at: opt(Schema.Number)
})
export type Session = typeof Session.Type

const ContentPart = Schema.Struct({
  type: Schema.Literal("input_text", "input_audio", "input_image", "output_text", "output_audio", "text", "audio"),
  text: opt(Schema.String),
  audio: opt(Schema.String),
  transcript: opt(Schema.String),
  image_url: opt(Schema.String),
  detail: opt(Schema.String)
})
export type ContentPart = typeof ContentPart.Type

const itemStatus = opt(Schema.Literal("completed", "incomplete", "in_progress"))

export const MessageItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("message"),
  status: itemStatus,
  role: Schema.Literal("system", "user", "assistant"),
  content: Schema.Array(ContentPart)
})

export const FunctionCallItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("function_call"),
  status: itemStatus,
  call_id: opt(Schema.String),
  name: Schema.String,
  arguments: Schema.String
})

export const FunctionCallOutputItem = Schema.Struct({
  id: opt(Schema.String),
  object: opt(Schema.String),
  type: Schema.Literal("function_call_output"),
  status: itemStatus,
  call_id: Schema.String,
  output: Schema.String
})

/** MCP and other item kinds: only their type and id are read. */
export const OtherItem = Schema.Struct({
  id: opt(Schema.String),
  type: Schema.String.pipe(Schema.filter((type) => type !== "message" && type !== "function_call" && type !== "function_call_output"))
}, { key: Schema.String, value: Schema.Unknown })

export const Item = Schema.Union(MessageItem, FunctionCallItem, FunctionCallOutputItem, OtherItem)
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

export const Usage = Schema.Struct({
  total_tokens: opt(Schema.Number),
  input_tokens: opt(Schema.Number),
  output_tokens: opt(Schema.Number),
  input_token_details: opt(TokenDetails),
  output_token_details: opt(TokenDetails)
})
export type Usage = typeof Usage.Type

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

export const ServerError = Schema.Struct({
  type: Schema.String,
  code: opt(Schema.String),
  message: Schema.String,
  param: opt(Schema.String),
  event_id: opt(Schema.String)
})
