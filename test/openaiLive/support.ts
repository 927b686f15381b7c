/**
 * Helpers for the OpenAI Live protocol tests: settings decoded as an application writes them, a
 * state whose session started, server events built as the `openai` package types them, and the
 * frames of a step as plain JSON.
 */
import { Schema } from "effect"
import type * as Live from "openai/resources/live/live"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import type { ProtocolOptions } from "../../src/internal/openaiLive/state.js"
import { defaultOptions } from "../../src/internal/openaiLive/state.js"
import type { ClientFrame } from "../../src/internal/openaiLive/wire.js"
import { encodeClientFrame } from "../../src/internal/openaiLive/wire.js"
import { RealtimeConnectError } from "../../src/RealtimeError.js"
import type { FunctionCall, RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import type { RealtimeSessionSettingsInput } from "../../src/RealtimeSessionSettings.js"
import { RealtimeSessionSettings } from "../../src/RealtimeSessionSettings.js"
import { base64, feeder } from "../support/steps.js"

/** Settings as an application writes them (any audio format spelling), decoded. */
export const settings = (input: RealtimeSessionSettingsInput = {}): RealtimeSessionSettings =>
  Schema.decodeUnknownSync(RealtimeSessionSettings)(input)

/** Options with some fields changed. */
export const options = (change: Partial<ProtocolOptions> = {}): ProtocolOptions => ({ ...defaultOptions, ...change })

/** The first state for the settings; fails the test when Live refuses them. */
export const initial = (input: RealtimeSessionSettingsInput = {}, change: Partial<ProtocolOptions> = {}) => {
  const state = Protocol.init(settings(input), options(change))
  if (state instanceof RealtimeConnectError) throw new Error(`settings refused: ${state.message}`)
  return state
}

/** `session.started`, as the package types it. */
export const started = (id = "live_sess_1", expiresAt = 1_800_000_000): Live.SessionStartedEvent => ({
  type: "session.started",
  event_id: "ev_started",
  session: { id, expires_at: expiresAt, model: "gpt-live-1", status: "active" }
})

/** A state whose connection is open and whose session started. */
export const ready = (input: RealtimeSessionSettingsInput = {}, change: Partial<ProtocolOptions> = {}) =>
  Receive.receive(Protocol.open(initial(input, change)).state, JSON.stringify(started())).state

/** Every step of a list of server messages, fed in order from a state. */
export const feed = feeder(Receive.receive)

export { accepted, base64, eventsOf, last, refused } from "../support/steps.js"

/** A frame as it goes on the socket, parsed back to JSON. */
export const json = (frame: ClientFrame): unknown => JSON.parse(encodeClientFrame(frame))

/** The frames of a step as JSON. */
export const framesOf = (step: { readonly frames: ReadonlyArray<ClientFrame> }): Array<unknown> => step.frames.map(json)

/** The tags of the events, in order. */
export const tags = (events: ReadonlyArray<RealtimeModelEvent>): Array<string> => events.map((event) => event._tag)

/** The first function call the events hold, as the application receives it. */
export const functionCallOf = (events: ReadonlyArray<RealtimeModelEvent>): FunctionCall => {
  const call = events.find((event): event is FunctionCall & { readonly _tag: "FunctionCall" } =>
    event._tag === "FunctionCall"
  )
  if (call === undefined) throw new Error("no FunctionCall event")
  return call
}

/** 24 kHz PCM16 audio of `ms` milliseconds, every sample `value` (0: digital silence). */
export const pcm24 = (ms: number, value = 1000): Uint8Array => {
  const samples = Math.round(ms * 24)
  const bytes = new Uint8Array(samples * 2)
  const view = new DataView(bytes.buffer)
  for (let index = 0; index < samples; index++) view.setInt16(index * 2, value, true)
  return bytes
}

/** A chunk of the model's audio (speech unless `value` is 0), as the package types it. */
export const modelAudio = (ms: number, value = 1000): Live.OutputAudioDeltaEvent => ({
  type: "session.output_audio.delta",
  delta: base64(pcm24(ms, value))
})

/** A delta of the model's transcript on the session's timeline. */
export const said = (delta: string, startMs: number, endMs: number): Live.OutputTranscriptDeltaEvent => ({
  type: "session.output_transcript.delta",
  event_id: `ev_out_${startMs}`,
  delta,
  start_ms: startMs,
  end_ms: endMs
})

/** A delta of the user's transcript on the session's timeline. */
export const heard = (delta: string, startMs: number, endMs: number): Live.InputTranscriptDeltaEvent => ({
  type: "session.input_transcript.delta",
  event_id: `ev_in_${startMs}`,
  delta,
  start_ms: startMs,
  end_ms: endMs
})

/** `session.closed` with `reason`. */
export const closed = (reason: Live.SessionClosedEvent["reason"], seconds = 12): Live.SessionClosedEvent => ({
  type: "session.closed",
  event_id: "ev_closed",
  reason,
  session: { id: "live_sess_1", expires_at: 1_800_000_000, model: "gpt-live-1", status: "active" },
  usage: { seconds }
})
