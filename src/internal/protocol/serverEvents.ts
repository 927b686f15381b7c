/**
 * Server events: the ones the client reads, each a Schema, and a decoder that dispatches a frame
 * to its schema by `type`. Event types without a schema here are passed on as unknown, never fatal.
 */
import { Result, Schema } from "effect"
import type { SchemaError } from "effect/Schema"
import { parseJsonObject } from "../jsonFrame.js"
import { Item, Response, ServerError } from "./items.js"
import { opt, Session } from "./wire.js"

const event = <Type extends string, Fields extends Schema.Struct.Fields>(type: Type, fields: Fields) =>
  Schema.Struct({ type: Schema.Literal(type), event_id: opt(Schema.String), ...fields })

const delta = {
  response_id: Schema.String,
  item_id: Schema.String,
  output_index: opt(Schema.Number),
  content_index: Schema.Number,
  delta: Schema.String
}
const done = {
  response_id: Schema.String,
  item_id: Schema.String,
  output_index: opt(Schema.Number),
  content_index: Schema.Number
}
const itemEvent = { previous_item_id: opt(Schema.String), item: Item }
const outputItemEvent = { response_id: Schema.String, output_index: opt(Schema.Number), item: Item }

const mcpCall = { item_id: Schema.String, output_index: opt(Schema.Number) }
const mcpArguments = { response_id: Schema.String, item_id: Schema.String, output_index: opt(Schema.Number) }

/** The newer events (streaming input transcription, DTMF, MCP, rate limits); see `realtime/newerEvents.ts`. */
const newerEvents = [
  event("conversation.item.input_audio_transcription.delta", {
    item_id: Schema.String,
    content_index: opt(Schema.Number),
    delta: opt(Schema.String),
    logprobs: opt(
      Schema.Array(Schema.Struct({ token: Schema.String, logprob: Schema.Number, bytes: Schema.Array(Schema.Number) }))
    )
  }),
  event("conversation.item.input_audio_transcription.segment", {
    item_id: Schema.String,
    content_index: Schema.Number,
    id: Schema.String,
    text: Schema.String,
    speaker: Schema.String,
    start: Schema.Number,
    end: Schema.Number
  }),
  event("input_audio_buffer.dtmf_event_received", { event: Schema.String, received_at: Schema.Number }),
  event("rate_limits.updated", {
    rate_limits: Schema.Array(Schema.Struct({
      name: Schema.String,
      limit: opt(Schema.Number),
      remaining: opt(Schema.Number),
      reset_seconds: opt(Schema.Number)
    }))
  }),
  event("response.mcp_call.in_progress", mcpCall),
  event("response.mcp_call.completed", mcpCall),
  event("response.mcp_call.failed", mcpCall),
  event("response.mcp_call_arguments.delta", { ...mcpArguments, delta: Schema.String }),
  event("response.mcp_call_arguments.done", { ...mcpArguments, arguments: Schema.String }),
  event("mcp_list_tools.in_progress", { item_id: Schema.String }),
  event("mcp_list_tools.completed", { item_id: Schema.String }),
  event("mcp_list_tools.failed", { item_id: Schema.String })
] as const

/**
 * The events of the published API the client has nothing to read in: they reach listeners as
 * `Other` (and `RawServerEvent`) like any event without a typed model event, unchecked, and are
 * not unknown.
 */
export const passedOn: ReadonlySet<string> = new Set([
  "conversation.created",
  "conversation.item.input_audio_transcription.failed",
  "output_audio_buffer.started",
  "output_audio_buffer.stopped",
  "output_audio_buffer.cleared",
  "response.content_part.added",
  "response.content_part.done"
])

/**
 * Every server event the client reads, discriminated by `type`.
 *
 * @category server events
 */
export const ServerEvent = Schema.Union([
  event("error", { error: ServerError }),
  event("session.created", { session: Session }),
  event("session.updated", { session: Session }),
  event("response.created", { response: Response }),
  event("response.done", { response: Response }),
  event("response.output_audio.delta", delta),
  event("response.output_audio.done", done),
  event("response.output_audio_transcript.delta", delta),
  event("response.output_audio_transcript.done", { ...done, transcript: opt(Schema.String) }),
  event("response.output_text.delta", delta),
  event("response.output_text.done", { ...done, text: opt(Schema.String) }),
  event("response.output_item.added", outputItemEvent),
  event("response.output_item.done", outputItemEvent),
  event("response.function_call_arguments.delta", {
    response_id: Schema.String,
    item_id: Schema.String,
    call_id: opt(Schema.String),
    delta: Schema.String
  }),
  event("response.function_call_arguments.done", {
    response_id: Schema.String,
    item_id: Schema.String,
    call_id: opt(Schema.String),
    name: opt(Schema.String),
    arguments: Schema.String
  }),
  event("conversation.item.added", itemEvent),
  event("conversation.item.created", itemEvent),
  event("conversation.item.done", itemEvent),
  event("conversation.item.retrieved", { item: Item }),
  event("conversation.item.deleted", { item_id: Schema.String }),
  event("conversation.item.truncated", {
    item_id: Schema.String,
    content_index: Schema.Number,
    audio_end_ms: Schema.Number
  }),
  event("conversation.item.input_audio_transcription.completed", {
    item_id: Schema.String,
    content_index: opt(Schema.Number),
    transcript: Schema.String
  }),
  event("input_audio_buffer.speech_started", { audio_start_ms: Schema.Number, item_id: Schema.String }),
  event("input_audio_buffer.speech_stopped", { audio_end_ms: Schema.Number, item_id: Schema.String }),
  event("input_audio_buffer.committed", { previous_item_id: opt(Schema.String), item_id: Schema.String }),
  event("input_audio_buffer.cleared", {}),
  event("input_audio_buffer.timeout_triggered", {
    audio_start_ms: Schema.Number,
    audio_end_ms: Schema.Number,
    item_id: Schema.String
  }),
  ...newerEvents
])
/**
 * A decoded server event.
 *
 * @category server events
 */
export type ServerEvent = typeof ServerEvent.Type
/**
 * The `type` of a server event this module decodes.
 *
 * @category server events
 */
export type ServerEventType = ServerEvent["type"]
/**
 * The event of one type.
 *
 * @category server events
 */
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { readonly type: T }>

/**
 * A server frame after decoding. A `Malformed` frame's `cause` is what rejected it: the JSON
 * parser's `SyntaxError`, or the `SchemaError` (with its issue) of the event type's schema; there
 * is none for a JSON frame without a string `type`.
 *
 * @category decoding
 */
export type ServerFrame =
  | { readonly _tag: "Known"; readonly event: ServerEvent; readonly json: Record<string, unknown> }
  | { readonly _tag: "Unknown"; readonly type: string; readonly json: Record<string, unknown> }
  | {
    readonly _tag: "Malformed"
    readonly type: string | undefined
    readonly json: unknown
    readonly message: string
    readonly cause: unknown
  }

/**
 * Per event type: a guard and a decoder. The server event schemas only check (they transform
 * nothing), so a frame that passes the guard already is the decoded event: the hot path allocates
 * nothing more. The decoder runs only on a failing frame, to say what is wrong.
 */
interface Checker {
  readonly is: (json: unknown) => json is ServerEvent
  readonly explain: (json: unknown) => Result.Result<ServerEvent, SchemaError>
}

const decoders: ReadonlyMap<string, Checker> = new Map(
  ServerEvent.members.map((member) => {
    const schema: Schema.Codec<ServerEvent, unknown> = member
    const checker: Checker = { is: Schema.is(schema), explain: Schema.decodeUnknownResult(schema) }
    return [member.fields.type.literal, checker] as const
  })
)

/**
 * The event types this module decodes.
 *
 * @category decoding
 */
export const knownTypes: ReadonlySet<string> = new Set(decoders.keys())

/**
 * Parses and decodes one text frame. Never throws.
 *
 * @category decoding
 */
export const decodeServerFrame = (text: string): ServerFrame => {
  const parsed = parseJsonObject(text)
  if (parsed._tag === "NotObject") return { ...parsed, _tag: "Malformed", type: undefined }
  const json = parsed.json
  if (typeof json["type"] !== "string") {
    return {
      _tag: "Malformed",
      type: undefined,
      json,
      message: "the server sent a JSON frame without a string `type`",
      cause: undefined
    }
  }
  const type = json["type"]
  const checker = decoders.get(type)
  if (checker === undefined) return { _tag: "Unknown", type, json }
  if (checker.is(json)) return { _tag: "Known", event: json, json }
  const explained = checker.explain(json)
  return Result.isSuccess(explained)
    ? { _tag: "Known", event: explained.success, json }
    : {
      _tag: "Malformed",
      type,
      json,
      message: `the server sent a ${type} event that does not match its schema: ${explained.failure.message}`,
      cause: explained.failure
    }
}
