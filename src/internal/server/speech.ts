/**
 * The embedded server's speech, whatever protocol carries it: a reply's text becomes tones as
 * long as the text (`msPerChar` per character), cut into chunks of `chunkMs`, each handed over with
 * its share of the text's words (so the transcript keeps pace with the audio) and followed by a
 * wait of its duration divided by `speed`. An interrupted reply stops between two chunks.
 */
import { Effect } from "effect"
import * as Tone from "../audio/Tone.js"

/** How reply audio is produced and paced. */
export interface Pacing {
  /** How many times faster than real time audio is sent. */
  readonly speed: number
  /** Milliseconds of audio per chunk. */
  readonly chunkMs: number
  /** Milliseconds of audio per character of reply text. */
  readonly msPerChar: number
}

/** One chunk of a spoken reply. */
export interface Chunk {
  /** 16-bit samples at the rate asked for. */
  readonly samples: Int16Array
  /** Its duration. */
  readonly ms: number
  /** The words of the transcript that go with it (each with its trailing space). */
  readonly words: ReadonlyArray<string>
}

/** The words of a text, each keeping the space after it, so that they join back into the text. */
export const wordsOf = (text: string): ReadonlyArray<string> => text.split(/(?<= )/)

/**
 * Speaks `text` at `rate` Hz: `chunk` gets each chunk in turn, then the chunk's time passes (on
 * the Clock, `speed` times faster than real time).
 */
export const speak = <E, R>(
  text: string,
  rate: number,
  pacing: Pacing,
  chunk: (chunk: Chunk) => Effect.Effect<void, E, R>
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const words = wordsOf(text)
    const samples = Tone.synthesize(text, { sampleRate: rate, msPerChar: pacing.msPerChar })
    const perChunk = Math.max(1, Math.round((pacing.chunkMs * rate) / 1000))
    const chunks = Math.max(1, Math.ceil(samples.length / perChunk))
    for (let index = 0; index < chunks; index++) {
      const part = samples.subarray(index * perChunk, (index + 1) * perChunk)
      const ms = (part.length * 1000) / rate
      const from = Math.floor((index * words.length) / chunks)
      const to = Math.floor(((index + 1) * words.length) / chunks)
      yield* chunk({ samples: part, ms, words: words.slice(from, to) })
      yield* Effect.sleep(ms / pacing.speed)
    }
  })
