/**
 * The model events of the protocol's newer server events: streaming input transcription (deltas
 * and diarized segments), DTMF digits from SIP calls, the MCP tool call lifecycle and tool
 * listing, and rate limits. They are members of the `RealtimeModelEvent` union, and that module
 * re-exports them all: import them from there (`RealtimeModelEvent.DtmfReceived.make(...)`).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

/**
 * A piece of the transcript of the user's audio, while it is transcribed (partial user transcript).
 *
 * @since 0.2.0
 * @category schemas
 */
export const InputAudioTranscriptionDelta = Schema.TaggedStruct("InputAudioTranscriptionDelta", {
  itemId: Schema.String,
  contentIndex: Schema.NullOr(Schema.Number),
  delta: Schema.String,
  /** Token log probabilities, when the session's `include` asks for them. */
  logprobs: Schema.NullOr(Schema.Array(Schema.Struct({
    token: Schema.String,
    logprob: Schema.Number,
    bytes: Schema.Array(Schema.Number)
  })))
})

/**
 * A finished segment of the user's transcript, with its speaker and time span in seconds (from
 * diarizing transcription models).
 *
 * @since 0.2.0
 * @category schemas
 */
export const InputAudioTranscriptionSegment = Schema.TaggedStruct("InputAudioTranscriptionSegment", {
  itemId: Schema.String,
  contentIndex: Schema.Number,
  segmentId: Schema.String,
  text: Schema.String,
  speaker: Schema.String,
  start: Schema.Number,
  end: Schema.Number
})

/**
 * A caller pressed a key on a SIP call (DTMF): `digit` is `0`–`9`, `*`, `#` or `A`–`D`;
 * `receivedAt` is the server's Unix time in seconds.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DtmfReceived = Schema.TaggedStruct("DtmfReceived", {
  digit: Schema.String,
  receivedAt: Schema.Number
})

/**
 * Where an MCP tool call or tool listing stands.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpStatus = Schema.Literals(["in_progress", "completed", "failed"])

/**
 * An MCP tool call (the item `itemId`) started, completed or failed.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpCallStatus = Schema.TaggedStruct("McpCallStatus", {
  itemId: Schema.String,
  outputIndex: Schema.NullOr(Schema.Number),
  status: McpStatus
})

/**
 * A piece of the arguments of an MCP tool call, while the model writes them.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpCallArgumentsDelta = Schema.TaggedStruct("McpCallArgumentsDelta", {
  responseId: Schema.String,
  itemId: Schema.String,
  outputIndex: Schema.NullOr(Schema.Number),
  delta: Schema.String
})

/**
 * The complete arguments (JSON text) of an MCP tool call.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpCallArgumentsDone = Schema.TaggedStruct("McpCallArgumentsDone", {
  responseId: Schema.String,
  itemId: Schema.String,
  outputIndex: Schema.NullOr(Schema.Number),
  arguments: Schema.String
})

/**
 * The server is listing an MCP server's tools (the `mcp_list_tools` item `itemId`), or it finished or failed.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpListToolsStatus = Schema.TaggedStruct("McpListToolsStatus", {
  itemId: Schema.String,
  status: McpStatus
})

/**
 * One rate limit as the server reports it (`requests` or `tokens`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const RateLimit = Schema.Struct({
  name: Schema.String,
  limit: Schema.NullOr(Schema.Number),
  remaining: Schema.NullOr(Schema.Number),
  resetSeconds: Schema.NullOr(Schema.Number)
})

/**
 * The server updated the account's rate limits (it sends them after each `response.done`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const RateLimitsUpdated = Schema.TaggedStruct("RateLimitsUpdated", {
  rateLimits: Schema.Array(RateLimit)
})

/**
 * A reconnect happened: the stream goes on over a new connection. `cause` says why
 * (`"dropped"`: the connection was lost; `"rollover"`: the session was renewed before its limit),
 * `attempts` how many dials it took; `restored` what the new session was given; `lost` what could
 * not be carried over.
 *
 * @since 0.3.0
 * @category schemas
 */
export const Reconnected = Schema.TaggedStruct("Reconnected", {
  cause: Schema.Literals(["dropped", "rollover"]),
  attempts: Schema.Number,
  restored: Schema.Struct({
    /** Whether the session settings were sent again (always, on a reconnect). */
    settings: Schema.Boolean,
    /** How many conversation items were replayed. */
    items: Schema.Number,
    /** Whether a response asked for before the drop, and not yet started, was asked for again. */
    responseRequested: Schema.Boolean
  }),
  lost: Schema.Struct({
    /** The response the drop cut off, if one was in flight; its audio so far was heard, the rest is gone. */
    responseId: Schema.NullOr(Schema.String),
    /** Bytes of `SendAudio` dropped during the gap. */
    audioBytes: Schema.Number,
    /** Items that could not be replayed (the user's audio turns without a transcript, …). */
    items: Schema.Number
  })
})

/**
 * @since 0.3.0
 * @category models
 */
export type Reconnected = typeof Reconnected.Type
