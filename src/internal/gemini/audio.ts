/**
 * Audio between the session's formats and Gemini Live's: the model hears 16 kHz PCM16
 * (`audio/pcm;rate=16000`) and speaks 24 kHz PCM16. The application's input (24 kHz PCM16, or
 * 8 kHz G.711 mu-law / A-law) is decoded and resampled to 16 kHz; the model's audio is passed on
 * as it is for a `pcm16` session, and resampled to 8 kHz and companded for a G.711 one.
 */
import type { AudioFormat } from "../../AudioFormat.js"
import * as AudioFormats from "../../AudioFormat.js"
import * as Codec from "../audio/Codec.js"
import * as Pcm16 from "../audio/Pcm16.js"
import * as Resample from "../audio/Resample.js"

/** The rate of the audio the model hears. */
export const inputRate = 16_000
/** The rate of the audio the model speaks. */
export const outputRate = 24_000
/** The MIME type of the audio the model hears. */
export const inputMimeType = `audio/pcm;rate=${inputRate}`

/** Bytes in the session's input format → 16 kHz PCM16 bytes. */
export const toModel = (format: AudioFormat, bytes: Uint8Array): Uint8Array =>
  Pcm16.toBytes(Resample.resample(Codec.decode(format, bytes), AudioFormats.sampleRate(format), inputRate))

/** The model's 24 kHz PCM16 bytes → bytes in the session's output format. */
export const fromModel = (format: AudioFormat, bytes: Uint8Array): Uint8Array =>
  format === "pcm16"
    ? bytes
    : Codec.encode(format, Resample.resample(Pcm16.fromBytes(bytes), outputRate, AudioFormats.sampleRate(format)))

/** Milliseconds of the model's audio in `bytes` bytes of 24 kHz PCM16. */
export const modelAudioMs = (bytes: number): number => AudioFormats.durationMs("pcm16", bytes)
