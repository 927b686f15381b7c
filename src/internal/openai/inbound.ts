/**
 * Owns the mapping of server frames to model events. Each frame is decoded with its Schema, emitted
 * raw first, then mapped; what needs an effect in order (spans, the response sequence, barge-in,
 * the custom tracker's format) comes back as an {@link Action} for the connection's owner to run.
 *
 * Model events are built as plain values of their schema types: their fields come from frames
 * the server event schemas already checked, so they are not validated a second time on every
 * audio chunk.
 */
import type * as AudioFormat from "../../AudioFormat.js"
import { RealtimeProtocolError } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { Interrupt } from "../../RealtimeModelSendEvent.js"
import { passedOn } from "../protocol/serverEvents.js"
import type { ServerEvent } from "../protocol/serverEvents.js"
import * as Base64 from "../realtime/base64.js"
import * as Convert from "./convert.js"
import { decodeFrame } from "./decode.js"
import * as NewerEvents from "./newerEvents.js"
import * as State from "./state.js"

/**
 * Work a frame leaves for the owner, to run after the events before it are published.
 *
 * @category models
 */
export type Action =
  | { readonly _tag: "Session"; readonly format: AudioFormat.AudioFormat | undefined }
  | { readonly _tag: "ResponseCreated"; readonly responseId: string }
  | { readonly _tag: "ResponseDone"; readonly responseId: string | null }
  | {
    readonly _tag: "ServerError"
    readonly code: string | null | undefined
    readonly eventId: string | null | undefined
  }
  | { readonly _tag: "SpeechStarted" }

/**
 * What handling a frame left to do: an action, a debug line, a warning.
 *
 * @category models
 */
export interface Handled {
  readonly action?: Action | undefined
  readonly debug?: string | undefined
  readonly warning?: string | undefined
}

/**
 * The interrupt the server's `input_audio_buffer.speech_started` stands for.
 *
 * @category barge-in
 */
export const bargeIn: Interrupt = {
  _tag: "Interrupt",
  forceResponseCancel: false,
  responseId: null,
  cancelResponseOnly: false,
  playbackOnly: false
}

const nothing: Handled = {}
const speechStarted: Action = { _tag: "SpeechStarted" }

/** Maps one decoded event, pushing its model events to `out`. */
const mapEvent = (
  state: State.State,
  event: ServerEvent,
  json: Record<string, unknown>,
  now: number,
  out: Array<RealtimeModelEvent>
): Action | undefined => {
  switch (event.type) {
    case "response.output_audio.delta": {
      if (State.isInterrupted(state, event.response_id)) return undefined
      const data = Base64.decode(event.delta)
      State.onAudio(state, event.response_id, event.item_id, event.content_index, data.byteLength, now)
      out.push({
        _tag: "Audio",
        data,
        responseId: event.response_id,
        itemId: event.item_id,
        contentIndex: event.content_index
      })
      return undefined
    }
    case "response.output_audio_transcript.delta":
      State.alive(state, event.response_id, now)
      if (!State.isInterrupted(state, event.response_id)) {
        out.push({ _tag: "TranscriptDelta", itemId: event.item_id, delta: event.delta, responseId: event.response_id })
      }
      return undefined
    case "response.output_text.delta":
      State.alive(state, event.response_id, now)
      out.push({ _tag: "OutputTextDelta", itemId: event.item_id, delta: event.delta, responseId: event.response_id })
      return undefined
    case "response.output_audio.done":
      out.push({ _tag: "AudioDone", itemId: event.item_id, contentIndex: event.content_index })
      return undefined
    case "response.created": {
      const responseId = event.response.id ?? null
      out.push({ _tag: "TurnStarted", responseId })
      return responseId === null ? undefined : { _tag: "ResponseCreated", responseId }
    }
    case "response.done": {
      const responseId = event.response.id ?? null
      out.push({ _tag: "TurnEnded", responseId })
      if (event.response.usage != null) {
        out.push({ _tag: "UsageUpdated", usage: Convert.usageFromWire(event.response.usage) })
      }
      return { _tag: "ResponseDone", responseId }
    }
    case "conversation.item.added":
    case "conversation.item.created":
    case "conversation.item.done":
    case "conversation.item.retrieved":
    case "response.output_item.added":
    case "response.output_item.done": {
      const previous = "previous_item_id" in event ? event.previous_item_id ?? null : null
      const item = Convert.itemFromWire(event.item, previous)
      if (item._tag === "None") return undefined
      out.push({ _tag: "ItemUpdated", item: item.value })
      if (
        event.type === "response.output_item.done" && item.value._tag === "ToolCall" &&
        item.value.status === "completed"
      ) {
        out.push({
          _tag: "FunctionCall",
          name: item.value.name,
          callId: item.value.callId ?? "",
          arguments: item.value.arguments,
          itemId: item.value.itemId,
          previousItemId: item.value.previousItemId
        })
      }
      return undefined
    }
    case "conversation.item.deleted":
      out.push({ _tag: "ItemDeleted", itemId: event.item_id })
      return undefined
    case "conversation.item.input_audio_transcription.completed":
      out.push({ _tag: "InputAudioTranscriptionCompleted", itemId: event.item_id, transcript: event.transcript })
      return undefined
    case "input_audio_buffer.timeout_triggered":
      out.push({
        _tag: "InputAudioTimeoutTriggered",
        itemId: event.item_id,
        audioStartMs: event.audio_start_ms,
        audioEndMs: event.audio_end_ms
      })
      return undefined
    case "input_audio_buffer.speech_started":
      out.push({ _tag: "Other", data: json })
      return speechStarted
    case "session.created":
    case "session.updated":
      out.push({ _tag: "Other", data: json })
      return { _tag: "Session", format: State.setSession(state, event.session) }
    case "error":
      out.push({ _tag: "ErrorEvent", error: event.error })
      return { _tag: "ServerError", code: event.error.code, eventId: event.error.event_id }
    default:
      // the newer events (input transcription deltas, DTMF, MCP calls, rate limits) have their own
      // types; everything else reaches listeners as `Other` (and as the raw event)
      out.push(NewerEvents.fromFrame(event) ?? { _tag: "Other", data: json })
      return undefined
  }
}

const debugLine = (event: ServerEvent): string =>
  event.type === "response.output_audio.delta"
    ? `server event ${event.type} (${event.delta.length} base64 chars elided)`
    : `server event ${event.type}`

/**
 * Decodes one text frame and maps it, pushing its model events to `out` (the raw event first).
 * A frame that is not JSON or violates its schema becomes an `Exception` event, never a failure.
 *
 * @category frames
 */
export const handleFrame = (
  state: State.State,
  text: string,
  now: number,
  debug: boolean,
  out: Array<RealtimeModelEvent>
): Handled => {
  const frame = decodeFrame(text)
  out.push({ _tag: "RawServerEvent", data: frame.json })
  switch (frame._tag) {
    case "Known": {
      const action = mapEvent(state, frame.event, frame.json, now, out)
      if (debug) return { action, debug: debugLine(frame.event) }
      return action === undefined ? nothing : { action }
    }
    case "Unknown":
      out.push({ _tag: "Other", data: frame.json })
      if (!debug) return nothing
      return {
        debug: passedOn.has(frame.type)
          ? `server event ${frame.type} (passed on as Other)`
          : `unknown server event ${frame.type}`
      }
    case "Malformed":
      out.push({
        _tag: "Exception",
        cause: new RealtimeProtocolError({
          ...(frame.type !== undefined ? { eventType: frame.type } : {}),
          message: frame.message,
          ...(frame.cause !== undefined ? { cause: frame.cause } : {})
        }),
        context: frame.type === undefined ? "decoding a server frame" : `decoding a ${frame.type} event`
      })
      return { warning: frame.message }
  }
}
