/**
 * Owns the conversions between the library's domain values and the GA wire format. What the model
 * writes is built as the encoded client event types of `internal/protocol/clientEvents.ts`, so a
 * frame with a misspelt field or a value the protocol does not allow does not compile.
 */
import { Option } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import type * as RealtimeItem from "../../RealtimeItem.js"
import type { FunctionCall, Usage } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent, UserInputMessage } from "../../RealtimeModelSendEvent.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import type * as WireItems from "../protocol/items.js"
import { sessionUpdate } from "../protocol/session.js"
import type * as Wire from "../protocol/wire.js"
import * as Base64 from "../realtime/base64.js"

/**
 * The conversion of session settings to the wire, and the one function that builds a
 * `session.update` frame, live in `internal/protocol/session.ts`.
 *
 * @category to the wire
 */
export { sessionUpdate } from "../protocol/session.js"

/**
 * The output format a server session says it uses, if it says.
 *
 * @category from the wire
 */
export const outputFormatOf = (session: Wire.Session): Option.Option<AudioFormat.AudioFormat> =>
  session.audio?.output?.format == null ? Option.none() : AudioFormat.normalize(session.audio.output.format)

/**
 * Whether the session's turn detection cancels responses by itself when the user speaks.
 *
 * @category from the wire
 */
export const autoCancels = (session: Wire.Session | null): boolean =>
  session?.audio?.input?.turn_detection?.interrupt_response === true

const nullable = <A>(value: A | null | undefined): A | null => value ?? null

// Items reach these functions from frames their event schema has already checked (see
// `decode.ts`), so they are told apart by their `type` and built as plain values of the item
// schemas' types: no second validation of the same fields on every item frame.

const outputPart = (part: WireItems.ContentPart): RealtimeItem.AssistantContent =>
  part.type === "output_audio" || part.type === "audio"
    ? { _tag: "OutputAudio", audio: nullable(part.audio), transcript: nullable(part.transcript) }
    : { _tag: "OutputText", text: nullable(part.text) }

const userPart = (part: WireItems.ContentPart): RealtimeItem.UserContent =>
  part.type === "input_audio"
    ? { _tag: "InputAudio", audio: nullable(part.audio), transcript: nullable(part.transcript) }
    : part.type === "input_image"
    ? { _tag: "InputImage", imageUrl: nullable(part.image_url), detail: nullable(part.detail) }
    : { _tag: "InputText", text: nullable(part.text) }

const systemPart = (part: WireItems.ContentPart): typeof RealtimeItem.InputText.Type => ({
  _tag: "InputText",
  text: nullable(part.text)
})

const messageFromWire = (
  item: typeof WireItems.MessageItem.Type,
  previousItemId: string | null
): RealtimeItem.RealtimeItem => {
  const itemId = item.id ?? ""
  const status = nullable(item.status)
  switch (item.role) {
    case "assistant":
      return { _tag: "AssistantMessage", itemId, previousItemId, status, content: item.content.map(outputPart) }
    case "system":
      return { _tag: "SystemMessage", itemId, previousItemId, status, content: item.content.map(systemPart) }
    case "user":
      return { _tag: "UserMessage", itemId, previousItemId, status, content: item.content.map(userPart) }
  }
}

/**
 * A checked wire conversation item (one its frame's schema accepted) as a `RealtimeItem`; `None`
 * for item kinds the library does not model.
 *
 * @category from the wire
 */
export const itemFromWire = (
  item: WireItems.Item,
  previousItemId: string | null
): Option.Option<RealtimeItem.RealtimeItem> => {
  // `OtherItem` excludes these two types, so a checked item of either type is that member
  switch (item.type) {
    case "message":
      return Option.some(messageFromWire(item as typeof WireItems.MessageItem.Type, previousItemId))
    case "function_call": {
      const call = item as typeof WireItems.FunctionCallItem.Type
      return Option.some({
        _tag: "ToolCall",
        itemId: call.id ?? "",
        previousItemId,
        callId: nullable(call.call_id),
        name: call.name,
        arguments: call.arguments,
        status: call.status === "completed" ? "completed" : "in_progress",
        output: null
      })
    }
    default:
      return Option.none()
  }
}

/**
 * Token usage from a `response.done`.
 *
 * @category from the wire
 */
export const usageFromWire = (usage: WireItems.Usage): Usage => ({
  inputTokens: usage.input_tokens ?? 0,
  outputTokens: usage.output_tokens ?? 0,
  totalTokens: usage.total_tokens ?? (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0),
  inputTokenDetails: usage.input_token_details == null ? null : {
    textTokens: nullable(usage.input_token_details.text_tokens),
    audioTokens: nullable(usage.input_token_details.audio_tokens),
    imageTokens: nullable(usage.input_token_details.image_tokens),
    cachedTokens: nullable(usage.input_token_details.cached_tokens),
    cachedTokenDetails: usage.input_token_details.cached_tokens_details == null ? null : {
      textTokens: nullable(usage.input_token_details.cached_tokens_details.text_tokens),
      audioTokens: nullable(usage.input_token_details.cached_tokens_details.audio_tokens),
      imageTokens: nullable(usage.input_token_details.cached_tokens_details.image_tokens)
    }
  },
  outputTokenDetails: usage.output_token_details == null ? null : {
    textTokens: nullable(usage.output_token_details.text_tokens),
    audioTokens: nullable(usage.output_token_details.audio_tokens)
  }
})

/**
 * A user message on the wire.
 *
 * @category to the wire
 */
export const userMessageToWire = (input: string | UserInputMessage): typeof WireItems.MessageItem.Encoded => ({
  type: "message",
  role: "user",
  content: typeof input === "string"
    ? [{ type: "input_text", text: input }]
    : input.content.map((part) =>
      part.type === "input_text"
        ? { type: "input_text", text: part.text }
        : {
          type: "input_image",
          image_url: part.imageUrl,
          ...(part.detail !== undefined ? { detail: part.detail } : {})
        }
    )
})

/**
 * The `function_call_output` item answering a tool call.
 *
 * @category to the wire
 */
export const toolOutputToWire = (
  call: FunctionCall,
  output: string
): typeof WireItems.FunctionCallOutputItem.Encoded => ({
  type: "function_call_output",
  call_id: call.callId,
  output
})

/**
 * The send events that become a fixed list of client frames (a raw message, an interrupt are
 * the connection's own business).
 *
 * @category to the wire
 */
export type FramedSendEvent = Extract<
  RealtimeModelSendEvent,
  { readonly _tag: "UserInput" | "SendAudio" | "ToolOutput" | "SessionUpdate" }
>

/**
 * The client frames a send event writes, in order, and whether it then asks for a response.
 *
 * @category to the wire
 */
export const framesOf = (
  event: FramedSendEvent
): { readonly frames: ReadonlyArray<ClientEvent>; readonly respond: boolean } => {
  switch (event._tag) {
    case "UserInput":
      return {
        frames: [{ type: "conversation.item.create", item: userMessageToWire(event.userInput) }],
        respond: true
      }
    case "SendAudio":
      return {
        frames: [
          { type: "input_audio_buffer.append", audio: Base64.encode(event.audio) },
          ...(event.commit ? [{ type: "input_audio_buffer.commit" } as const] : [])
        ],
        respond: false
      }
    case "ToolOutput":
      return {
        frames: [{ type: "conversation.item.create", item: toolOutputToWire(event.toolCall, event.output) }],
        respond: event.startResponse
      }
    case "SessionUpdate":
      return { frames: [sessionUpdate(event.sessionSettings, false)], respond: false }
  }
}
