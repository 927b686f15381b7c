/**
 * The events of conversation items for protocols whose server sends no item events of its own
 * (Gemini Live, OpenAI Live): the model's turn and its assistant item, the user's audio item as
 * its transcript arrives, a user message the application sent, a function call's item; the
 * protocol assigns their ids and keeps its state.
 */
import type * as RealtimeItem from "../../RealtimeItem.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"

/** An item, as listeners see it change. */
export const updated = (item: RealtimeItem.RealtimeItem): RealtimeModelEvent => ({ _tag: "ItemUpdated", item })

/** The model's turn opening: `TurnStarted`, then its assistant item, in progress. */
export const modelTurnStarted = (
  responseId: string,
  itemId: string,
  previousItemId: string | null
): ReadonlyArray<RealtimeModelEvent> => [
  { _tag: "TurnStarted", responseId },
  assistantMessage(itemId, previousItemId, "in_progress", [])
]

/** The model's item, as its turn goes on or ends. */
export const assistantMessage = (
  itemId: string,
  previousItemId: string | null,
  status: "in_progress" | "completed" | "incomplete",
  content: ReadonlyArray<RealtimeItem.AssistantContent>
): RealtimeModelEvent => updated({ _tag: "AssistantMessage", itemId, previousItemId, status, content })

/** The user's audio item: in progress while its transcript is `null`, completed with it. */
export const userAudio = (itemId: string, previousItemId: string | null, transcript: string | null) =>
  updated({
    _tag: "UserMessage",
    itemId,
    previousItemId,
    status: transcript === null ? "in_progress" : "completed",
    content: [{ _tag: "InputAudio", audio: null, transcript }]
  })

/** A user message the application sent, completed at once. */
export const userMessage = (
  itemId: string,
  previousItemId: string | null,
  content: ReadonlyArray<RealtimeItem.UserContent>
) => updated({ _tag: "UserMessage", itemId, previousItemId, status: "completed", content })

/** A function call's item, in progress until its output. */
export const toolCall = (itemId: string, previousItemId: string | null, callId: string, name: string, args: string) =>
  updated({
    _tag: "ToolCall",
    itemId,
    previousItemId,
    callId,
    name,
    arguments: args,
    status: "in_progress",
    output: null
  })

/** A piece of the user's transcript. */
export const transcriptionDelta = (itemId: string, delta: string): RealtimeModelEvent => ({
  _tag: "InputAudioTranscriptionDelta",
  itemId,
  contentIndex: 0,
  delta,
  logprobs: null
})

/** The user's transcript, complete. */
export const transcriptionCompleted = (itemId: string, transcript: string): RealtimeModelEvent => ({
  _tag: "InputAudioTranscriptionCompleted",
  itemId,
  transcript
})
