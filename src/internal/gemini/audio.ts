/**
 * Audio between the session's formats and Gemini Live's: the model hears 16 kHz PCM16
 * (`audio/pcm;rate=16000`) and speaks 24 kHz PCM16. The application's input (24 kHz PCM16, or
 * 8 kHz G.711 mu-law / A-law) is decoded and resampled to 16 kHz; the model's audio is passed on
 * as it is for a `pcm16` session, and resampled to 8 kHz and companded for a G.711 one.
 *
 * Audio arrives in chunks of any length, so each direction is a {@link Stream}: the resampler
 * interpolates across a chunk's edge with the previous chunk's last sample and carries the
 * position of the next output sample over, so a call's audio keeps its exact length and no seam
 * at chunk edges (resampling each chunk on its own would round every chunk's length and repeat
 * its last sample). A PCM16 chunk of odd length keeps its last byte for the next.
 */
import type { AudioFormat } from "../../AudioFormat.js"
import * as AudioFormats from "../../AudioFormat.js"
import * as Codec from "../audio/Codec.js"
import * as Pcm16 from "../audio/Pcm16.js"

/** The rate of the audio the model hears. */
export const inputRate = 16_000
/** The rate of the audio the model speaks. */
export const outputRate = 24_000
/** The MIME type of the audio the model hears. */
export const inputMimeType = `audio/pcm;rate=${inputRate}`

/**
 * One direction's audio, converted chunk by chunk: its format, where the next output sample falls
 * (in input samples from the start of the next chunk; between -1 and 0, it lies between the
 * previous chunk's last sample and the next chunk's first), that last sample, and a byte left over.
 */
export interface Stream {
  readonly format: AudioFormat
  readonly next: number
  readonly previous: number
  readonly leftover: Uint8Array
}

const empty = new Uint8Array(0)

/** A stream in `format`, before its first chunk. */
export const stream = (format: AudioFormat): Stream => ({ format, next: 0, previous: 0, leftover: empty })

/** One chunk resampled by linear interpolation, continuing `stream`'s position. */
export const resampleChunk = (
  samples: Int16Array,
  fromRate: number,
  toRate: number,
  stream: Stream
): { readonly samples: Int16Array; readonly next: number; readonly previous: number } => {
  const length = samples.length
  if (fromRate === toRate || length === 0) {
    return { samples, next: stream.next, previous: length === 0 ? stream.previous : samples[length - 1] ?? 0 }
  }
  const step = fromRate / toRate
  // the output samples whose position is at or before the chunk's last sample: the ones after it
  // need the next chunk's first sample
  const count = stream.next > length - 1 ? 0 : Math.floor((length - 1 - stream.next) / step) + 1
  const out = new Int16Array(count)
  for (let index = 0; index < count; index++) {
    const position = stream.next + index * step
    const left = Math.floor(position)
    const fraction = position - left
    const a = left < 0 ? stream.previous : samples[left] ?? 0
    const b = samples[left + 1] ?? a
    out[index] = Math.round(a + (b - a) * fraction)
  }
  return { samples: out, next: stream.next + count * step - length, previous: samples[length - 1] ?? 0 }
}

/** A chunk in the session's input format → 16 kHz PCM16 bytes, and the stream after it. */
export const toModel = (
  input: Stream,
  bytes: Uint8Array
): { readonly pcm: Uint8Array; readonly stream: Stream } => {
  let whole = bytes
  let leftover = empty
  if (input.format === "pcm16") {
    const joined = input.leftover.byteLength === 0 ? bytes : concat(input.leftover, bytes)
    const even = joined.byteLength - (joined.byteLength % 2)
    whole = joined.subarray(0, even)
    leftover = joined.slice(even)
  }
  const resampled = resampleChunk(
    Codec.decode(input.format, whole),
    AudioFormats.sampleRate(input.format),
    inputRate,
    input
  )
  return {
    pcm: Pcm16.toBytes(resampled.samples),
    stream: { format: input.format, next: resampled.next, previous: resampled.previous, leftover }
  }
}

/** The model's 24 kHz PCM16 bytes → bytes in the session's output format, and the stream after them. */
export const fromModel = (
  output: Stream,
  bytes: Uint8Array
): { readonly bytes: Uint8Array; readonly stream: Stream } => {
  if (output.format === "pcm16") return { bytes, stream: output }
  const resampled = resampleChunk(Pcm16.fromBytes(bytes), outputRate, AudioFormats.sampleRate(output.format), output)
  return {
    bytes: Codec.encode(output.format, resampled.samples),
    stream: { ...output, next: resampled.next, previous: resampled.previous }
  }
}

const concat = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  const joined = new Uint8Array(left.byteLength + right.byteLength)
  joined.set(left, 0)
  joined.set(right, left.byteLength)
  return joined
}

/** Milliseconds of the model's audio in `bytes` bytes of 24 kHz PCM16. */
export const modelAudioMs = (bytes: number): number => AudioFormats.durationMs("pcm16", bytes)
