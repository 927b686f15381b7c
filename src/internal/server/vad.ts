/**
 * Energy-based voice activity detection, as the embedded server's `server_vad`: 20 ms frames whose
 * RMS reaches a fifth of the threshold are speech; speech starts at the first such frame (minus the
 * prefix padding) and stops after `silence_duration_ms` of quiet frames. A pure state machine: the
 * session applies the transitions it returns.
 */
import * as Energy from "../audio/Energy.js"
import { type Json, vadDefaults } from "./objects.js"

/** The `server_vad` settings in effect. */
export interface Settings {
  readonly threshold: number
  readonly prefixPaddingMs: number
  readonly silenceDurationMs: number
  readonly createResponse: boolean
  readonly interruptResponse: boolean
}

/** The settings of a session's turn detection, or null when it is not `server_vad`. */
export const settingsOf = (turnDetection: Json | null): Settings | null => {
  if (turnDetection === null || turnDetection["type"] !== "server_vad") return null
  const merged = { ...vadDefaults, ...turnDetection }
  return {
    threshold: Number(merged.threshold),
    prefixPaddingMs: Number(merged.prefix_padding_ms),
    silenceDurationMs: Number(merged.silence_duration_ms),
    createResponse: merged.create_response === true,
    interruptResponse: merged.interrupt_response === true
  }
}

/** Where detection stands: whether the user is speaking, and how much audio was heard so far. */
export interface State {
  readonly speaking: boolean
  readonly silenceMs: number
  /** Milliseconds of input audio received on the connection, speech or not. */
  readonly heardMs: number
}

/** No audio heard yet. */
export const initial: State = { speaking: false, silenceMs: 0, heardMs: 0 }

/**
 * A change of speech state within a chunk. `cut` is the index of the first sample after the
 * speech, so that the samples before it are committed with it.
 */
export type Transition =
  | { readonly _tag: "SpeechStarted"; readonly audioStartMs: number }
  | { readonly _tag: "SpeechStopped"; readonly audioEndMs: number; readonly cut: number }

const frameMs = 20

/** Runs detection over one chunk of samples; with `settings` null, only the heard time advances. */
export const advance = (
  state: State,
  samples: Int16Array,
  rate: number,
  settings: Settings | null
): readonly [State, ReadonlyArray<Transition>] => {
  const startOfChunk = state.heardMs
  const heardMs = startOfChunk + (samples.length * 1000) / rate
  if (settings === null) return [{ ...state, heardMs }, []]
  const transitions: Array<Transition> = []
  const frame = Math.max(1, Math.round((rate * frameMs) / 1000))
  const energies = Energy.frameRms(samples, frame)
  let speaking = state.speaking
  let silenceMs = state.silenceMs
  for (let index = 0; index < energies.length; index++) {
    const speech = (energies[index] ?? 0) >= settings.threshold * 0.2
    if (speech && !speaking) {
      speaking = true
      silenceMs = 0
      const at = startOfChunk + (index * frame * 1000) / rate
      transitions.push({ _tag: "SpeechStarted", audioStartMs: Math.max(0, Math.round(at - settings.prefixPaddingMs)) })
    } else if (speaking) {
      silenceMs = speech ? 0 : silenceMs + frameMs
      if (silenceMs >= settings.silenceDurationMs) {
        speaking = false
        const cut = Math.min(samples.length, (index + 1) * frame)
        transitions.push({ _tag: "SpeechStopped", audioEndMs: Math.round(startOfChunk + (cut * 1000) / rate), cut })
      }
    }
  }
  return [{ speaking, silenceMs, heardMs }, transitions]
}
