/**
 * Conversions between the library's domain values and the GA wire format. What the model writes
 * is built as the encoded client event types of `internal/protocol/clientEvents.ts`, so a frame
 * with a misspelt field or a value the protocol does not allow does not compile.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as RealtimeItem from "../../RealtimeItem.js"
import type { FunctionCall, Usage } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent, UserInputMessage } from "../../RealtimeModelSendEvent.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import * as WireItems from "../protocol/items.js"
import { sessionUpdate } from "../protocol/session.js"
import type * as Wire from "../protocol/wire.js"
import * as Base64 from "./base64.js"

/**
 * The conversion of session settings to the wire, and the one function that builds a
 * `session.update` frame, live in `internal/protocol/session.ts`.
 *
 * @since 0.1.0
 * @category to the wire
 */
export { sessionUpdate } from "../protocol/session.js"

/**
 * The output format a server session says it uses, if it says.
 *
 * @since 0.1.0
 * @category from the wire
 */
export const outputFormatOf = (session: Wire.Session): Option.Option<AudioFormat.AudioFormat> =>
  session.audio?.output?.format == null ? Option.none() : AudioFormat.normalize(session.audio.output.format)

/**
 * Whether the session's turn detection cancels responses by itself when the user speaks.
 *
 * @since 0.1.0
 * @category from the wire
 */
export const autoCancels = (session: Wire.Session | null): boolean =>
  session?.audio?.input?.turn_detection?.interrupt_response === true

const nullable = <A>(value: A | null | undefined): A | null => value ?? null

const isMessage = Schema.is(WireItems.MessageItem)
const isFunctionCall = Schema.is(WireItems.FunctionCallItem)

const messageFromWire = (
  item: typeof WireItems.MessageItem.Type,
  previousItemId: string | null
): RealtimeItem.RealtimeItem => {
  const itemId = item.id ?? ""
  const status = nullable(item.status)
  switch (item.role) {
    case "assistant":
      return RealtimeItem.AssistantMessage.make({
        itemId,
        previousItemId,
        status,
        content: item.content.map((part) =>
          part.type === "output_audio" || part.type === "audio"
            ? RealtimeItem.OutputAudio.make({ audio: nullable(part.audio), transcript: nullable(part.transcript) })
            : RealtimeItem.OutputText.make({ text: nullable(part.text) })
        )
      })
    case "system":
      return RealtimeItem.SystemMessage.make({
        itemId,
        previousItemId,
        status,
        content: item.content.map((part) => RealtimeItem.InputText.make({ text: nullable(part.text) }))
      })
    case "user":
      return RealtimeItem.UserMessage.make({
        itemId,
        previousItemId,
        status,
        content: item.content.map((part) =>
          part.type === "input_audio"
            ? RealtimeItem.InputAudio.make({ audio: nullable(part.audio), transcript: nullable(part.transcript) })
            : part.type === "input_image"
            ? RealtimeItem.InputImage.make({ imageUrl: nullable(part.image_url), detail: nullable(part.detail) })
            : RealtimeItem.InputText.make({ text: nullable(part.text) })
        )
      })
  }
}

/**
 * A wire conversation item as a `RealtimeItem`; `None` for item kinds the library does not model.
 *
 * @since 0.1.0
 * @category from the wire
 */
export const itemFromWire = (
  item: WireItems.Item,
  previousItemId: string | null
): Option.Option<RealtimeItem.RealtimeItem> => {
  if (isMessage(item)) return Option.some(messageFromWire(item, previousItemId))
  if (isFunctionCall(item)) {
    return Option.some(RealtimeItem.ToolCall.make({
      itemId: item.id ?? "",
      previousItemId,
      callId: nullable(item.call_id),
      name: item.name,
      arguments: item.arguments,
      status: item.status === "completed" ? "completed" : "in_progress",
      output: null
    }))
  }
  return Option.none()
}

/**
 * Token usage from a `response.done`.
 *
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.2.0
 * @category to the wire
 */
export type FramedSendEvent = Extract<
  RealtimeModelSendEvent,
  { readonly _tag: "UserInput" | "SendAudio" | "ToolOutput" | "SessionUpdate" }
>

/**
 * The client frames a send event writes, in order, and whether it then asks for a response.
 *
 * @since 0.2.0
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
