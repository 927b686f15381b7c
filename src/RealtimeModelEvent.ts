/**
 * Everything a realtime model emits to its listeners, as one tagged union. Match on `_tag`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { RealtimeConnectError, RealtimeConnectionLost, RealtimeProtocolError } from "./RealtimeError.js"
import { RealtimeItem } from "./RealtimeItem.js"
import {
  DtmfReceived,
  InputAudioTranscriptionDelta,
  InputAudioTranscriptionSegment,
  McpCallArgumentsDelta,
  McpCallArgumentsDone,
  McpCallStatus,
  McpListToolsStatus,
  RateLimitsUpdated,
  Reconnected
} from "./RealtimeModelExtendedEvent.js"

/**
 * The events of the protocol's newer server events (streaming input transcription, DTMF, MCP,
 * rate limits), with their `McpStatus` and `RateLimit` schemas, are declared in their own module
 * and re-exported here, so they are used like every other event: `RealtimeModelEvent.DtmfReceived`.
 *
 * @since 0.2.0
 * @category schemas
 */
export * from "./RealtimeModelExtendedEvent.js"

const Nullish = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * An error the server reported (the `error` payload of its `error` event), in the server's own
 * spelling: `type` (e.g. `invalid_request_error`), `code` (e.g. `item_truncate_invalid_item_id`),
 * `message`, the offending `param`, and the `event_id` of the client event it answers.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServerError = Schema.Struct({
  type: Schema.String,
  code: Nullish(Schema.String),
  message: Schema.String,
  param: Nullish(Schema.String),
  event_id: Nullish(Schema.String)
})
/**
 * @since 0.2.0
 * @category models
 */
export type ServerError = typeof ServerError.Type

/**
 * An error reported by the server (a {@link ServerError}); the connection lost (a
 * `RealtimeConnectionLost`, just before the status turns `disconnected`, or `reconnecting`); or a
 * reconnect that failed for good (the `RealtimeConnectError` of its last attempt, before
 * `disconnected`). Tell them apart with `instanceof`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorEvent = Schema.TaggedStruct("ErrorEvent", {
  error: Schema.Union([ServerError, RealtimeConnectionLost, RealtimeConnectError])
})

/**
 * The model asked for a function call; answer with a `ToolOutput` send event.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FunctionCall = Schema.TaggedStruct("FunctionCall", {
  name: Schema.String,
  callId: Schema.String,
  arguments: Schema.String,
  itemId: Schema.NullOr(Schema.String),
  previousItemId: Schema.NullOr(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type FunctionCall = typeof FunctionCall.Type

/**
 * The model no longer wants the results of these function calls (their ids are the `callId`s of
 * earlier `FunctionCall` events): the user interrupted the turn they belonged to, and the provider
 * cancelled them itself (Gemini Live's `toolCallCancellation`). An output sent for one of them is
 * ignored by the model; stop the work if you can.
 *
 * @since 0.4.0
 * @category schemas
 */
export const FunctionCallsCancelled = Schema.TaggedStruct("FunctionCallsCancelled", {
  callIds: Schema.Array(Schema.String)
})

/**
 * @since 0.4.0
 * @category models
 */
export type FunctionCallsCancelled = typeof FunctionCallsCancelled.Type

/**
 * A chunk of the model's audio, decoded from base64, in the session's output format.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Audio = Schema.TaggedStruct("Audio", {
  data: Schema.Uint8ArrayFromBase64,
  responseId: Schema.String,
  itemId: Schema.String,
  contentIndex: Schema.Number
})

/**
 * Playback of an item was interrupted (barge-in): stop playing its audio.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AudioInterrupted = Schema.TaggedStruct("AudioInterrupted", {
  itemId: Schema.String,
  contentIndex: Schema.Number
})

/**
 * The model finished producing audio for an item content.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AudioDone = Schema.TaggedStruct("AudioDone", {
  itemId: Schema.String,
  contentIndex: Schema.Number
})

/**
 * The user's audio of an item was transcribed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputAudioTranscriptionCompleted = Schema.TaggedStruct("InputAudioTranscriptionCompleted", {
  itemId: Schema.String,
  transcript: Schema.String
})

/**
 * The server's idle timeout fired: the user said nothing for too long.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputAudioTimeoutTriggered = Schema.TaggedStruct("InputAudioTimeoutTriggered", {
  itemId: Schema.String,
  audioStartMs: Schema.Number,
  audioEndMs: Schema.Number
})

/**
 * A piece of the transcript of the model's audio.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TranscriptDelta = Schema.TaggedStruct("TranscriptDelta", {
  itemId: Schema.String,
  delta: Schema.String,
  responseId: Schema.String
})

/**
 * A piece of the model's text output.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputTextDelta = Schema.TaggedStruct("OutputTextDelta", {
  itemId: Schema.String,
  delta: Schema.String,
  responseId: Schema.String
})

/**
 * An item was added or changed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ItemUpdated = Schema.TaggedStruct("ItemUpdated", {
  item: RealtimeItem
})

/**
 * An item was deleted from the conversation.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ItemDeleted = Schema.TaggedStruct("ItemDeleted", {
  itemId: Schema.String
})

/**
 * The state of the connection. `reconnecting`: the connection was lost and a new one is being
 * made (only with `OpenAIRealtime`'s `reconnect` option); listeners stay subscribed meanwhile.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConnectionStatus = Schema.Literals(["connecting", "connected", "reconnecting", "disconnected"])
/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionStatus = typeof ConnectionStatus.Type

/**
 * The connection changed state.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConnectionStatusChanged = Schema.TaggedStruct("ConnectionStatusChanged", {
  status: ConnectionStatus
})

/**
 * The last event a listener sees: the connection is closed and no event follows.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EndOfStream = Schema.TaggedStruct("EndOfStream", {})

/**
 * The model started a response.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TurnStarted = Schema.TaggedStruct("TurnStarted", {
  responseId: Schema.NullOr(Schema.String)
})

/**
 * The model finished (or cancelled) a response.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TurnEnded = Schema.TaggedStruct("TurnEnded", {
  responseId: Schema.NullOr(Schema.String)
})

const TokenCount = Schema.NullOr(Schema.Number)

/**
 * Token counts of one response, with their modality breakdown.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  totalTokens: Schema.Number,
  inputTokenDetails: Schema.NullOr(Schema.Struct({
    textTokens: TokenCount,
    audioTokens: TokenCount,
    imageTokens: TokenCount,
    cachedTokens: TokenCount,
    cachedTokenDetails: Schema.NullOr(Schema.Struct({
      textTokens: TokenCount,
      audioTokens: TokenCount,
      imageTokens: TokenCount
    }))
  })),
  outputTokenDetails: Schema.NullOr(Schema.Struct({
    textTokens: TokenCount,
    audioTokens: TokenCount
  }))
})
/**
 * @since 0.1.0
 * @category models
 */
export type Usage = typeof Usage.Type

/**
 * The token usage of a finished response.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UsageUpdated = Schema.TaggedStruct("UsageUpdated", {
  usage: Usage
})

/**
 * A server event the model does not map to anything more specific.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Other = Schema.TaggedStruct("Other", {
  data: Schema.Unknown
})

/**
 * Something went wrong inside the model (a frame that is not JSON, an event that violates its
 * schema): `cause` is the `RealtimeProtocolError` saying what, `context` says where. The connection keeps running.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Exception = Schema.TaggedStruct("Exception", {
  cause: RealtimeProtocolError,
  context: Schema.NullOr(Schema.String)
})

/**
 * Every server frame as it arrived (parsed JSON), before any mapping.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RawServerEvent = Schema.TaggedStruct("RawServerEvent", {
  data: Schema.Unknown
})

/**
 * Any event a realtime model emits.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RealtimeModelEvent = Schema.Union([
  ErrorEvent,
  FunctionCall,
  FunctionCallsCancelled,
  Audio,
  AudioInterrupted,
  AudioDone,
  InputAudioTranscriptionCompleted,
  InputAudioTimeoutTriggered,
  TranscriptDelta,
  OutputTextDelta,
  ItemUpdated,
  ItemDeleted,
  ConnectionStatusChanged,
  EndOfStream,
  TurnStarted,
  TurnEnded,
  UsageUpdated,
  Other,
  Exception,
  RawServerEvent,
  InputAudioTranscriptionDelta,
  InputAudioTranscriptionSegment,
  DtmfReceived,
  McpCallStatus,
  McpCallArgumentsDelta,
  McpCallArgumentsDone,
  McpListToolsStatus,
  RateLimitsUpdated,
  Reconnected
])

/**
 * @since 0.1.0
 * @category models
 */
export type RealtimeModelEvent = typeof RealtimeModelEvent.Type

/**
 * The `_tag` of every model event.
 *
 * @since 0.1.0
 * @category models
 */
export type RealtimeModelEventTag = RealtimeModelEvent["_tag"]
