/**
 * Client events: what a client sends, each a Schema. The client builds them as typed values and
 * sends them as JSON; a server decodes them with {@link decodeClientFrame} to check them.
 */
import { Either, ParseResult, Schema } from "effect"
import { Item, opt, Session } from "./wire.js"

const event = <Type extends string, Fields extends Schema.Struct.Fields>(type: Type, fields: Fields) =>
  Schema.Struct({ type: Schema.Literal(type), event_id: Schema.optional(Schema.String), ...fields })

export const SessionUpdate = event("session.update", { session: Session })
export const InputAudioBufferAppend = event("input_audio_buffer.append", { audio: Schema.String })
export const InputAudioBufferCommit = event("input_audio_buffer.commit", {})
export const InputAudioBufferClear = event("input_audio_buffer.clear", {})
export const OutputAudioBufferClear = event("output_audio_buffer.clear", {})
export const ConversationItemCreate = event("conversation.item.create", {
  previous_item_id: opt(Schema.String),
  item: Item
})
export const ConversationItemDelete = event("conversation.item.delete", { item_id: Schema.String })
export const ConversationItemRetrieve = event("conversation.item.retrieve", { item_id: Schema.String })
export const ConversationItemTruncate = event("conversation.item.truncate", {
  item_id: Schema.String,
  content_index: Schema.NonNegativeInt,
  audio_end_ms: Schema.NonNegativeInt
})
export const ResponseCreate = event("response.create", {
  response: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export const ResponseCancel = event("response.cancel", { response_id: Schema.optional(Schema.String) })

export const ClientEvent = Schema.Union(
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
)
export type ClientEvent = typeof ClientEvent.Encoded

/** Why a client frame was refused: what an `invalid_request_error` answer needs. */
export interface ClientFrameError {
  readonly type: string | undefined
  readonly eventId: string | undefined
  readonly message: string
}

const decodeEvent = Schema.decodeUnknownEither(ClientEvent)
const knownTypes: ReadonlySet<string> = new Set(ClientEvent.members.map((member) => member.fields.type.literals[0]))

/** Parses and checks one client frame. Never throws. */
export const decodeClientFrame = (text: string): Either.Either<typeof ClientEvent.Type, ClientFrameError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Either.left({ type: undefined, eventId: undefined, message: "The frame is not valid JSON." })
  }
  const record = typeof json === "object" && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : {}
  const type = typeof record["type"] === "string" ? record["type"] : undefined
  const eventId = typeof record["event_id"] === "string" ? record["event_id"] : undefined
  if (type === undefined) return Either.left({ type, eventId, message: "Missing required parameter: 'type'." })
  if (!knownTypes.has(type)) return Either.left({ type, eventId, message: `Invalid value: '${type}'. Unknown event type.` })
  return Either.mapLeft(decodeEvent(json), (error) => ({
    type,
    eventId,
    message: `Invalid '${type}' event: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
  }))
}

/** The JSON text of a client event. */
export const encodeClientEvent = (event: ClientEvent): string => JSON.stringify(event)
