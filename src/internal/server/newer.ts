/**
 * The newer server events of the embedded server's simulation: streaming input transcription
 * (deltas, diarized segments, then the completed transcript), DTMF digits of SIP calls, and the
 * rate limits the service reports after each response.
 */
import { type Json, record } from "./objects.js"

/** A control a test sends to one connection from outside. */
export type Control = { readonly _tag: "Dtmf"; readonly digits: string }

/** The keys of a telephone keypad. */
export const dtmfDigits = /^[0-9*#A-D]+$/

/** One `input_audio_buffer.dtmf_event_received` per digit, stamped in Unix seconds. */
export const dtmfEvents = (digits: string, nowMs: number): ReadonlyArray<Json> =>
  Array.from(digits).map((digit) => ({
    type: "input_audio_buffer.dtmf_event_received",
    event: digit,
    received_at: Math.floor(nowMs / 1000)
  }))

/** The transcription model of a session, or undefined when input is not transcribed. */
const transcriptionModel = (session: Json): string | undefined => {
  const model = record(record(record(session["audio"])["input"])["transcription"])["model"]
  return typeof model === "string" ? model : undefined
}

/**
 * The events that transcribe one committed user audio item: the transcript in deltas (one per
 * word), a segment spanning the audio when the model diarizes, then the completed transcript.
 */
export const transcriptionEvents = (
  session: Json,
  itemId: string,
  transcript: string,
  ms: number
): ReadonlyArray<Json> => {
  const at = { item_id: itemId, content_index: 0 }
  const deltas = transcript.split(/(?<= )/).filter((word) => word.length > 0).map((delta) => ({
    type: "conversation.item.input_audio_transcription.delta",
    ...at,
    delta
  }))
  const segments = transcriptionModel(session)?.includes("diarize") === true
    ? [{
      type: "conversation.item.input_audio_transcription.segment",
      ...at,
      id: `seg_${itemId}`,
      speaker: "A",
      text: transcript,
      start: 0,
      end: Math.round(ms) / 1000
    }]
    : []
  return [
    ...deltas,
    ...segments,
    {
      type: "conversation.item.input_audio_transcription.completed",
      ...at,
      transcript,
      usage: { type: "duration", seconds: Math.round(ms / 100) / 10 }
    }
  ]
}

/** The limits the simulation reports: requests and tokens per minute. */
export const limits = { requests: 1000, tokens: 50_000, resetSeconds: 60 }

/** What a connection has used so far. */
export interface Used {
  readonly requests: number
  readonly tokens: number
}

/** Nothing used yet. */
export const unused: Used = { requests: 0, tokens: 0 }

/** What was used once a response with this usage (null when it reported none) is done. */
export const afterResponse = (used: Used, usage: Json | null): Used => ({
  requests: used.requests + 1,
  tokens: used.tokens + Number(record(usage)["total_tokens"] ?? 0)
})

/** The `rate_limits.updated` event for what was used. */
export const rateLimitsEvent = (used: Used): Json => ({
  type: "rate_limits.updated",
  rate_limits: [
    {
      name: "requests",
      limit: limits.requests,
      remaining: Math.max(0, limits.requests - used.requests),
      reset_seconds: limits.resetSeconds
    },
    {
      name: "tokens",
      limit: limits.tokens,
      remaining: Math.max(0, limits.tokens - used.tokens),
      reset_seconds: limits.resetSeconds
    }
  ]
})
