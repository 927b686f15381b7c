/**
 * Client events: what a client sends, each a Schema. The client builds them as typed values and
 * sends them as JSON; a server decodes them with {@link decodeClientFrame} to check them.
 */
import { Result, Schema } from "effect"
import { Item } from "./items.js"
import type { FunctionCallItem, FunctionCallOutputItem, MessageItem } from "./items.js"
import { opt, Session } from "./wire.js"

const event = <Type extends string, Fields extends Schema.Struct.Fields>(type: Type, fields: Fields) =>
  Schema.Struct({ type: Schema.Literal(type), event_id: Schema.optional(Schema.String), ...fields })

/**
 * `session.update`: change the session.
 *
 * @category client events
 */
export const SessionUpdate = event("session.update", { session: Session })
/**
 * `session.update` as JSON.
 *
 * @category client events
 */
export type SessionUpdate = typeof SessionUpdate.Encoded
/**
 * `input_audio_buffer.append`: base64 audio for the input buffer.
 *
 * @category client events
 */
export const InputAudioBufferAppend = event("input_audio_buffer.append", { audio: Schema.String })
/**
 * `input_audio_buffer.append` as JSON.
 *
 * @category client events
 */
export type InputAudioBufferAppend = typeof InputAudioBufferAppend.Encoded
/**
 * `input_audio_buffer.commit`: the input buffer becomes a user message.
 *
 * @category client events
 */
export const InputAudioBufferCommit = event("input_audio_buffer.commit", {})
/**
 * `input_audio_buffer.commit` as JSON.
 *
 * @category client events
 */
export type InputAudioBufferCommit = typeof InputAudioBufferCommit.Encoded
/**
 * `input_audio_buffer.clear`: drop the input buffer.
 *
 * @category client events
 */
export const InputAudioBufferClear = event("input_audio_buffer.clear", {})
/**
 * `input_audio_buffer.clear` as JSON.
 *
 * @category client events
 */
export type InputAudioBufferClear = typeof InputAudioBufferClear.Encoded
/**
 * `output_audio_buffer.clear`: stop the output audio (WebRTC/SIP).
 *
 * @category client events
 */
export const OutputAudioBufferClear = event("output_audio_buffer.clear", {})
/**
 * `output_audio_buffer.clear` as JSON.
 *
 * @category client events
 */
export type OutputAudioBufferClear = typeof OutputAudioBufferClear.Encoded
/**
 * `conversation.item.create`: add an item to the conversation.
 *
 * @category client events
 */
export const ConversationItemCreate = event("conversation.item.create", {
  previous_item_id: opt(Schema.String),
  item: Item
})
/**
 * An item a client creates, as JSON: a message, a function call or a function call's output.
 * (The Schema lets items of other kinds through, as a server must.)
 *
 * @category client events
 */
export type ClientItem =
  | typeof MessageItem.Encoded
  | typeof FunctionCallItem.Encoded
  | typeof FunctionCallOutputItem.Encoded
/**
 * `conversation.item.create` as JSON, with an item of a kind a client creates.
 *
 * @category client events
 */
export type ConversationItemCreate = Omit<typeof ConversationItemCreate.Encoded, "item"> & {
  readonly item: ClientItem
}
/**
 * `conversation.item.delete`: remove an item.
 *
 * @category client events
 */
export const ConversationItemDelete = event("conversation.item.delete", { item_id: Schema.String })
/**
 * `conversation.item.delete` as JSON.
 *
 * @category client events
 */
export type ConversationItemDelete = typeof ConversationItemDelete.Encoded
/**
 * `conversation.item.retrieve`: ask for an item as the server has it.
 *
 * @category client events
 */
export const ConversationItemRetrieve = event("conversation.item.retrieve", { item_id: Schema.String })
/**
 * `conversation.item.retrieve` as JSON.
 *
 * @category client events
 */
export type ConversationItemRetrieve = typeof ConversationItemRetrieve.Encoded
/**
 * `conversation.item.truncate`: cut an assistant audio item at what was heard.
 *
 * @category client events
 */
export const ConversationItemTruncate = event("conversation.item.truncate", {
  item_id: Schema.String,
  content_index: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  audio_end_ms: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})
/**
 * `conversation.item.truncate` as JSON.
 *
 * @category client events
 */
export type ConversationItemTruncate = typeof ConversationItemTruncate.Encoded
/**
 * `response.create`: ask for a response.
 *
 * @category client events
 */
export const ResponseCreate = event("response.create", {
  response: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})
/**
 * `response.create` as JSON.
 *
 * @category client events
 */
export type ResponseCreate = typeof ResponseCreate.Encoded
/**
 * `response.cancel`: cancel a response in flight.
 *
 * @category client events
 */
export const ResponseCancel = event("response.cancel", { response_id: Schema.optional(Schema.String) })

/**
 * `response.cancel` as JSON.
 *
 * @category client events
 */
export type ResponseCancel = typeof ResponseCancel.Encoded
/**
 * Every client event, discriminated by `type`.
 *
 * @category client events
 */
export const ClientEvent = Schema.Union([
  SessionUpdate,
  InputAudioBufferAppend,
  InputAudioBufferCommit,
  InputAudioBufferClear,
  OutputAudioBufferClear,
  ConversationItemCreate,
  ConversationItemDelete,
  ConversationItemRetrieve,
  ConversationItemTruncate,
  ResponseCreate,
  ResponseCancel
])
/**
 * A client event as JSON: what a client builds and sends. A value of this type has the fields
 * and values the protocol names, so a misspelt field is a compile error.
 *
 * @category client events
 */
export type ClientEvent =
  | SessionUpdate
  | InputAudioBufferAppend
  | InputAudioBufferCommit
  | InputAudioBufferClear
  | OutputAudioBufferClear
  | ConversationItemCreate
  | ConversationItemDelete
  | ConversationItemRetrieve
  | ConversationItemTruncate
  | ResponseCreate
  | ResponseCancel

/**
 * Why a client frame was refused: what an `invalid_request_error` answer needs.
 *
 * @category decoding
 */
export interface ClientFrameError {
  readonly type: string | undefined
  readonly eventId: string | undefined
  readonly message: string
}

const decodeEvent = Schema.decodeUnknownResult(ClientEvent)
const knownTypes: ReadonlySet<string> = new Set(ClientEvent.members.map((member) => member.fields.type.literal))

/**
 * Parses and checks one client frame. Never throws.
 *
 * @category decoding
 */
export const decodeClientFrame = (text: string): Result.Result<typeof ClientEvent.Type, ClientFrameError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Result.fail({ type: undefined, eventId: undefined, message: "The frame is not valid JSON." })
  }
  const record = typeof json === "object" && json !== null && !Array.isArray(json)
    ? json as Record<string, unknown>
    : {}
  const type = typeof record["type"] === "string" ? record["type"] : undefined
  const eventId = typeof record["event_id"] === "string" ? record["event_id"] : undefined
  if (type === undefined) return Result.fail({ type, eventId, message: "Missing required parameter: 'type'." })
  if (!knownTypes.has(type)) {
    return Result.fail({ type, eventId, message: `Invalid value: '${type}'. Unknown event type.` })
  }
  return Result.mapError(decodeEvent(json), (error) => ({
    type,
    eventId,
    message: `Invalid '${type}' event: ${error.message}`
  }))
}

/**
 * The JSON text of a client event.
 *
 * @category encoding
 */
export const encodeClientEvent = (event: ClientEvent): string => JSON.stringify(event)
