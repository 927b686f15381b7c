/**
 * Conversation items as the application sees them: messages from the user, the assistant and the
 * system, and tool calls with their output.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Text the user typed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputText = Schema.TaggedStruct("InputText", {
  text: Schema.NullOr(Schema.String)
})

/**
 * Audio the user spoke (base64 when the server returns it) and its transcript once known.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputAudio = Schema.TaggedStruct("InputAudio", {
  audio: Schema.NullOr(Schema.String),
  transcript: Schema.NullOr(Schema.String)
})

/**
 * An image the user sent, as a data or remote URL.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputImage = Schema.TaggedStruct("InputImage", {
  imageUrl: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.String)
})

/**
 * Text the assistant produced.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputText = Schema.TaggedStruct("OutputText", {
  text: Schema.NullOr(Schema.String)
})

/**
 * Audio the assistant produced and its transcript (cut to what was heard after a truncation).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputAudio = Schema.TaggedStruct("OutputAudio", {
  audio: Schema.NullOr(Schema.String),
  transcript: Schema.NullOr(Schema.String)
})

/**
 * A content part of a user message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserContent = Schema.Union([InputText, InputAudio, InputImage])
/**
 * @since 0.1.0
 * @category models
 */
export type UserContent = typeof UserContent.Type

/**
 * A content part of an assistant message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AssistantContent = Schema.Union([OutputText, OutputAudio])
/**
 * @since 0.1.0
 * @category models
 */
export type AssistantContent = typeof AssistantContent.Type

/**
 * The lifecycle status of an item.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ItemStatus = Schema.Literals(["in_progress", "completed", "incomplete"])
/**
 * @since 0.1.0
 * @category models
 */
export type ItemStatus = typeof ItemStatus.Type

const itemIdentity = {
  itemId: Schema.String,
  previousItemId: Schema.NullOr(Schema.String)
}

/**
 * A message from the user.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserMessage = Schema.TaggedStruct("UserMessage", {
  ...itemIdentity,
  status: Schema.NullOr(ItemStatus),
  content: Schema.Array(UserContent)
})
/**
 * @since 0.1.0
 * @category models
 */
export type UserMessage = typeof UserMessage.Type

/**
 * A message from the assistant.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AssistantMessage = Schema.TaggedStruct("AssistantMessage", {
  ...itemIdentity,
  status: Schema.NullOr(ItemStatus),
  content: Schema.Array(AssistantContent)
})
/**
 * @since 0.1.0
 * @category models
 */
export type AssistantMessage = typeof AssistantMessage.Type

/**
 * A system message (instructions inserted into the conversation).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SystemMessage = Schema.TaggedStruct("SystemMessage", {
  ...itemIdentity,
  status: Schema.NullOr(ItemStatus),
  content: Schema.Array(InputText)
})
/**
 * @since 0.1.0
 * @category models
 */
export type SystemMessage = typeof SystemMessage.Type

/**
 * A function call made by the model. `output` is filled in once the application answered it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCall = Schema.TaggedStruct("ToolCall", {
  ...itemIdentity,
  callId: Schema.NullOr(Schema.String),
  name: Schema.String,
  arguments: Schema.String,
  status: Schema.Literals(["in_progress", "completed"]),
  output: Schema.NullOr(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type ToolCall = typeof ToolCall.Type

/**
 * Any conversation item.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RealtimeItem = Schema.Union([UserMessage, AssistantMessage, SystemMessage, ToolCall])
/**
 * @since 0.1.0
 * @category models
 */
export type RealtimeItem = typeof RealtimeItem.Type
