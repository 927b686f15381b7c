/**
 * Conversions between the library's domain values and the GA wire format.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as RealtimeItem from "../../RealtimeItem.js"
import type { FunctionCall, Usage } from "../../RealtimeModelEvent.js"
import type { UserInputMessage } from "../../RealtimeModelSendEvent.js"
import * as Wire from "../protocol/wire.js"

/**
 * The conversion of session settings to the wire lives in `internal/protocol/session.ts`.
 *
 * @since 0.1.0
 * @category to the wire
 */
export { defaults, sessionToWire, turnDetectionToWire } from "../protocol/session.js"

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

const isMessage = Schema.is(Wire.MessageItem)
const isFunctionCall = Schema.is(Wire.FunctionCallItem)

const messageFromWire = (
  item: typeof Wire.MessageItem.Type,
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
  item: Wire.Item,
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
export const usageFromWire = (usage: Wire.Usage): Usage => ({
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
export const userMessageToWire = (input: string | UserInputMessage): Record<string, unknown> => ({
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
export const toolOutputToWire = (call: FunctionCall, output: string): Record<string, unknown> => ({
  type: "function_call_output",
  call_id: call.callId,
  output
})
