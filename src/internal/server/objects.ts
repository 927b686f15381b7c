/**
 * The JSON objects the embedded server keeps and sends: the session (its GA defaults and how a
 * `session.update` merges into it), response objects and token usage. Client frames reach the
 * server already checked by Schema (`decodeClientFrame`); what is kept here is the session as the
 * wire shows it, since the server echoes it back in `session.updated`.
 */
import { Option } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import { audioFormatToWire } from "../protocol/audioFormat.js"

/** A JSON object as it travels on the wire. */
export type Json = Record<string, unknown>

/** The object a value is, or an empty one. */
export const record = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : {}

/** The server VAD settings the real service applies when a session does not set them. */
export const vadDefaults = {
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
  create_response: true,
  interrupt_response: true
}

/** A new session as the GA service announces it in `session.created`. */
export const defaultSession = (id: string, model: string): Json => ({
  type: "realtime",
  object: "realtime.session",
  id,
  model,
  output_modalities: ["audio"],
  instructions: "You are a helpful assistant.",
  tools: [],
  tool_choice: "auto",
  max_output_tokens: "inf",
  expires_at: 0,
  audio: {
    input: {
      format: audioFormatToWire("pcm16"),
      turn_detection: { type: "server_vad", idle_timeout_ms: null, ...vadDefaults }
    },
    output: { format: audioFormatToWire("pcm16"), voice: "marin", speed: 1 }
  }
})

/** Drops the keys set to null: the session reports a disabled feature by leaving it out. */
const withoutNulls = (value: Json): Json =>
  Object.fromEntries(Object.entries(value).filter(([name, field]) => field !== null || name === "turn_detection"))

/** The session after a `session.update`: top-level fields replace, audio input/output merge. */
export const mergeSession = (current: Json, update: Json): Json => {
  const audio = record(current["audio"])
  const updateAudio = record(update["audio"])
  return withoutNulls({
    ...current,
    ...update,
    type: "realtime",
    audio: {
      input: withoutNulls({ ...record(audio["input"]), ...record(updateAudio["input"]) }),
      output: withoutNulls({ ...record(audio["output"]), ...record(updateAudio["output"]) })
    }
  })
}

/**
 * The session as `session.created`/`session.updated` report it: the service's session object names
 * a voice by a string, so a custom voice (`{ id }`) is reported by its id.
 */
export const reported = (session: Json): Json => {
  const audio = record(session["audio"])
  const output = record(audio["output"])
  const voice = output["voice"]
  if (typeof voice !== "object" || voice === null) return session
  return { ...session, audio: { ...audio, output: { ...output, voice: String(record(voice)["id"]) } } }
}

/** The audio format of one side of the session (pcm16 when unset or unknown). */
export const formatOf = (session: Json, side: "input" | "output"): AudioFormat.AudioFormat =>
  Option.getOrElse(
    AudioFormat.normalize(record(record(record(session["audio"])[side])["format"])),
    () => "pcm16" as const
  )

/** The session's turn detection, or null when it is off. */
export const turnDetectionOf = (session: Json): Json | null => {
  const turn = record(record(session["audio"])["input"])["turn_detection"]
  return turn === null || turn === undefined ? null : record(turn)
}

/** Whether committed user audio is transcribed. */
export const transcribes = (session: Json): boolean => {
  const transcription = record(record(session["audio"])["input"])["transcription"]
  return transcription !== null && transcription !== undefined
}

/** Whether replies carry audio (the default) rather than text only. */
export const repliesWithAudio = (session: Json): boolean => {
  const modalities = session["output_modalities"]
  return Array.isArray(modalities) ? modalities.includes("audio") : true
}

/** The tokens the server counts: 4 characters of text, or 50 ms of audio, make a token; the input is at least one. */
export const tokens = (
  inputChars: number,
  outputChars: number,
  audioMs: number
): { readonly input: number; readonly text: number; readonly audio: number } => ({
  input: Math.max(1, Math.ceil(inputChars / 4)),
  text: Math.ceil(outputChars / 4),
  audio: Math.ceil(audioMs / 50)
})

/** Token usage of a response, estimated from the characters and milliseconds it involved. */
export const usage = (inputChars: number, outputChars: number, audioMs: number): Json => {
  const { audio, input, text } = tokens(inputChars, outputChars, audioMs)
  return {
    total_tokens: input + text + audio,
    input_tokens: input,
    output_tokens: text + audio,
    input_token_details: {
      text_tokens: input,
      audio_tokens: 0,
      image_tokens: 0,
      cached_tokens: 0,
      cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 }
    },
    output_token_details: { text_tokens: text, audio_tokens: audio }
  }
}

/** A `realtime.response` object; a cancelled one says the client cancelled it. */
export const responseObject = (
  session: Json,
  id: string,
  status: "in_progress" | "completed" | "cancelled",
  output: ReadonlyArray<Json>,
  usageValue: Json | null
): Json => ({
  object: "realtime.response",
  id,
  status,
  ...(status === "cancelled" ? { status_details: { type: "cancelled", reason: "client_cancelled" } } : {}),
  output,
  conversation_id: "conv_0001",
  output_modalities: session["output_modalities"] ?? ["audio"],
  max_output_tokens: "inf",
  audio: {
    output: {
      format: record(record(session["audio"])["output"])["format"] ?? audioFormatToWire("pcm16"),
      voice: "marin"
    }
  },
  ...(usageValue !== null ? { usage: usageValue } : {})
})
