/**
 * Owns the mapping of the newer server events to typed model events: streaming input transcription
 * (deltas and segments), DTMF digits from SIP calls, the MCP call lifecycle and tool listing, and
 * rate limits. Every other event gives `undefined` (the inbound mapper keeps it as `Other`).
 */
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { ServerEvent } from "../protocol/serverEvents.js"

const nullable = <A>(value: A | null | undefined): A | null => value ?? null

/**
 * The typed model event of a decoded server event, if it is one of the newer events.
 *
 * @category from the wire
 */
export const fromFrame = (event: ServerEvent): RealtimeModelEvent | undefined => {
  switch (event.type) {
    case "conversation.item.input_audio_transcription.delta":
      return {
        _tag: "InputAudioTranscriptionDelta",
        itemId: event.item_id,
        contentIndex: nullable(event.content_index),
        delta: event.delta ?? "",
        logprobs: nullable(event.logprobs)
      }
    case "conversation.item.input_audio_transcription.segment":
      return {
        _tag: "InputAudioTranscriptionSegment",
        itemId: event.item_id,
        contentIndex: event.content_index,
        segmentId: event.id,
        text: event.text,
        speaker: event.speaker,
        start: event.start,
        end: event.end
      }
    case "input_audio_buffer.dtmf_event_received":
      return { _tag: "DtmfReceived", digit: event.event, receivedAt: event.received_at }
    case "rate_limits.updated":
      return {
        _tag: "RateLimitsUpdated",
        rateLimits: event.rate_limits.map((limit) => ({
          name: limit.name,
          limit: nullable(limit.limit),
          remaining: nullable(limit.remaining),
          resetSeconds: nullable(limit.reset_seconds)
        }))
      }
    case "response.mcp_call.in_progress":
      return {
        _tag: "McpCallStatus",
        itemId: event.item_id,
        outputIndex: nullable(event.output_index),
        status: "in_progress"
      }
    case "response.mcp_call.completed":
      return {
        _tag: "McpCallStatus",
        itemId: event.item_id,
        outputIndex: nullable(event.output_index),
        status: "completed"
      }
    case "response.mcp_call.failed":
      return {
        _tag: "McpCallStatus",
        itemId: event.item_id,
        outputIndex: nullable(event.output_index),
        status: "failed"
      }
    case "response.mcp_call_arguments.delta":
      return {
        _tag: "McpCallArgumentsDelta",
        responseId: event.response_id,
        itemId: event.item_id,
        outputIndex: nullable(event.output_index),
        delta: event.delta
      }
    case "response.mcp_call_arguments.done":
      return {
        _tag: "McpCallArgumentsDone",
        responseId: event.response_id,
        itemId: event.item_id,
        outputIndex: nullable(event.output_index),
        arguments: event.arguments
      }
    case "mcp_list_tools.in_progress":
      return { _tag: "McpListToolsStatus", itemId: event.item_id, status: "in_progress" }
    case "mcp_list_tools.completed":
      return { _tag: "McpListToolsStatus", itemId: event.item_id, status: "completed" }
    case "mcp_list_tools.failed":
      return { _tag: "McpListToolsStatus", itemId: event.item_id, status: "failed" }
    default:
      return undefined
  }
}
