/**
 * The user's audio on one embedded-server connection, whatever protocol brought it: the samples
 * buffered since the last commit and the voice activity detection running over them (`vad.ts`).
 * Feeding a chunk runs detection and tells the front-end where speech started and stopped; at a
 * stop the buffer holds the audio up to the end of the speech, for the front-end to take as the
 * user's turn. It belongs to its connection's fiber that reads client frames.
 */
import { Effect } from "effect"
import * as Vad from "./vad.js"

/** What the front-end does at each change of speech state. */
export interface Transitions<E, R> {
  /** Speech started (`audioStartMs` on the connection's audio clock, minus the prefix padding). */
  readonly started: (audioStartMs: number) => Effect.Effect<void, E, R>
  /** Speech stopped: the buffer now holds the audio up to its end. */
  readonly stopped: (audioEndMs: number) => Effect.Effect<void, E, R>
}

/** The user's audio not committed yet, and the detection state. */
export class InputAudio {
  private parts: Array<Int16Array> = []
  /** Milliseconds of audio in the buffer. */
  ms = 0
  vad: Vad.State = Vad.initial

  /** Adds samples at `rate` Hz to the buffer. */
  push(samples: Int16Array, rate: number): void {
    if (samples.length === 0) return
    this.parts.push(samples)
    this.ms += (samples.length * 1000) / rate
  }

  /** Takes the buffer's audio, leaving it empty. */
  take(): { readonly samples: Int16Array; readonly ms: number } {
    const samples = new Int16Array(this.parts.reduce((sum, part) => sum + part.length, 0))
    this.parts.reduce((offset, part) => (samples.set(part, offset), offset + part.length), 0)
    const ms = this.ms
    this.clear()
    return { samples, ms }
  }

  /** Empties the buffer. */
  clear(): void {
    this.parts = []
    this.ms = 0
  }
}

/**
 * Buffers one chunk at `rate` Hz, running detection with `settings` (none: only the heard time
 * advances); `on` sees each transition in order, a stop once the samples before its cut are in
 * the buffer.
 */
export const feed = <E, R>(
  input: InputAudio,
  samples: Int16Array,
  rate: number,
  settings: Vad.Settings | null,
  on: Transitions<E, R>
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const [next, transitions] = Vad.advance(input.vad, samples, rate, settings)
    input.vad = next
    // samples before `buffered` are in the buffer; a stop takes those before its cut
    let buffered = 0
    for (const transition of transitions) {
      if (transition._tag === "SpeechStarted") {
        yield* on.started(transition.audioStartMs)
      } else {
        if (transition.cut > buffered) {
          input.push(samples.subarray(buffered, transition.cut), rate)
          buffered = transition.cut
        }
        yield* on.stopped(transition.audioEndMs)
      }
    }
    if (samples.length > buffered) input.push(samples.subarray(buffered), rate)
  })
