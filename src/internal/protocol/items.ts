/**
 * The OpenAI Realtime GA wire protocol, continued: conversation items, responses and their token
 * usage, and the payload of the `error` event, as they travel as JSON. Lenient like the session
 * schemas in `wire.ts`: optional fields accept `null`, unknown fields are ignored.
 */
import { Schema } from "effect"
import { opt, rest } from "./wire.js"

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
 * @category items
 */
export type ContentPart = typeof ContentPart.Type

const itemStatus = opt(Schema.Literals(["completed", "incomplete", "in_progress"]))

/**
 * A message: system, user or assistant content parts.
 *
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
 * @category items
 */
export const Item = Schema.Union([MessageItem, FunctionCallItem, FunctionCallOutputItem, OtherItem])
/**
 * A conversation item as decoded.
 *
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
 * @category responses
 */
export type Usage = typeof Usage.Type

/**
 * A response object of `response.created` and `response.done`.
 *
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
 * @category errors
 */
export const ServerError = Schema.Struct({
  type: Schema.String,
  code: opt(Schema.String),
  message: Schema.String,
  param: opt(Schema.String),
  event_id: opt(Schema.String)
})
