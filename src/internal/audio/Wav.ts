/**
 * WAV (RIFF/WAVE) files: read every common encoding and write 16-bit PCM mono.
 *
 * Reading accepts integer PCM of 8, 16, 24 or 32 bits, 32-bit IEEE float, G.711 mu-law and A-law
 * (also inside WAVE_FORMAT_EXTENSIBLE), at any sample rate, with any number of channels; the
 * channels are mixed down to mono 16-bit samples, which is what a speech model takes.
 */
import { Result, Schema } from "effect"
import * as G711 from "./G711.js"
import * as Pcm16 from "./Pcm16.js"

/** Bytes that could not be read as a supported WAV file; `message` says what is wrong. */
export class WavDecodeError extends Schema.TaggedError<WavDecodeError>()("WavDecodeError", {
  message: Schema.String
}) {}

/** Decoded WAV audio: mono 16-bit samples at the file's own rate, and how many channels it had. */
export interface WavAudio {
  readonly sampleRate: number
  readonly channels: number
  readonly samples: Int16Array
}

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_ALAW = 6
const FORMAT_MULAW = 7
const FORMAT_EXTENSIBLE = 0xfffe

interface FormatChunk {
  readonly formatTag: number
  readonly channels: number
  readonly sampleRate: number
  readonly bitsPerSample: number
}

const ascii = (view: DataView, offset: number): string =>
  String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3)
  )

const fail = (message: string) => Result.fail(new WavDecodeError({ message }))

const readFormat = (view: DataView, offset: number, size: number): Result.Result<FormatChunk, WavDecodeError> => {
  if (size < 16) return fail(`the fmt chunk is ${size} bytes long; at least 16 are needed`)
  const declared = view.getUint16(offset, true)
  const formatTag = declared === FORMAT_EXTENSIBLE && size >= 26 ? view.getUint16(offset + 24, true) : declared
  return Result.succeed({
    formatTag,
    channels: view.getUint16(offset + 2, true),
    sampleRate: view.getUint32(offset + 4, true),
    bitsPerSample: view.getUint16(offset + 14, true)
  })
}

/** One sample decoder per supported encoding: reads the sample at a byte offset as a float in [-1, 1]. */
const sampleReader = (
  format: FormatChunk
): Result.Result<(view: DataView, offset: number) => number, WavDecodeError> => {
  const { bitsPerSample, formatTag } = format
  if (formatTag === FORMAT_PCM) {
    switch (bitsPerSample) {
      case 8:
        return Result.succeed((view, offset) => (view.getUint8(offset) - 128) / 128)
      case 16:
        return Result.succeed((view, offset) => view.getInt16(offset, true) / 32768)
      case 24:
        return Result.succeed((view, offset) =>
          ((view.getInt8(offset + 2) << 16) | (view.getUint8(offset + 1) << 8) | view.getUint8(offset)) / 8388608
        )
      case 32:
        return Result.succeed((view, offset) => view.getInt32(offset, true) / 2147483648)
    }
  }
  if (formatTag === FORMAT_FLOAT && bitsPerSample === 32) {
    return Result.succeed((view, offset) => view.getFloat32(offset, true))
  }
  if (formatTag === FORMAT_MULAW && bitsPerSample === 8) {
    return Result.succeed((view, offset) => G711.decodeMuLawSample(view.getUint8(offset)) / 32768)
  }
  if (formatTag === FORMAT_ALAW && bitsPerSample === 8) {
    return Result.succeed((view, offset) => G711.decodeALawSample(view.getUint8(offset)) / 32768)
  }
  return fail(
    `unsupported WAV encoding (format tag ${formatTag}, ${bitsPerSample} bits): expected integer PCM of 8/16/24/32 bits, ` +
      `32-bit float, mu-law or A-law`
  )
}

/** Reads a WAV file into mono 16-bit samples. */
export const decode = (bytes: Uint8Array): Result.Result<WavAudio, WavDecodeError> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < 12 || ascii(view, 0) !== "RIFF" || ascii(view, 8) !== "WAVE") {
    return fail("not a WAV file: it does not start with a RIFF/WAVE header")
  }
  let format: FormatChunk | undefined
  let offset = 12
  while (offset + 8 <= bytes.byteLength) {
    const id = ascii(view, offset)
    const size = view.getUint32(offset + 4, true)
    const body = offset + 8
    if (id === "fmt ") {
      const parsed = readFormat(view, body, Math.min(size, bytes.byteLength - body))
      if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
      format = parsed.success
    } else if (id === "data") {
      if (format === undefined) return fail("the data chunk comes before any fmt chunk")
      return decodeData(view, format, body, Math.min(size, bytes.byteLength - body))
    }
    offset = body + size + (size % 2)
  }
  return fail("the WAV file has no data chunk")
}

const decodeData = (
  view: DataView,
  format: FormatChunk,
  offset: number,
  size: number
): Result.Result<WavAudio, WavDecodeError> => {
  if (format.channels < 1) return fail("the WAV file declares zero channels")
  if (format.sampleRate < 1) return fail("the WAV file declares a sample rate of zero")
  return Result.map(sampleReader(format), (read) => {
    const bytesPerSample = format.bitsPerSample / 8
    const frameBytes = bytesPerSample * format.channels
    const frames = Math.floor(size / frameBytes)
    const samples = Int16Array.from({ length: frames }, (_, frame) => {
      let sum = 0
      for (let channel = 0; channel < format.channels; channel++) {
        sum += read(view, offset + frame * frameBytes + channel * bytesPerSample)
      }
      return Pcm16.floatToSample(sum / format.channels)
    })
    return { sampleRate: format.sampleRate, channels: format.channels, samples }
  })
}

/** Writes mono 16-bit samples as a PCM WAV file at `sampleRate` Hz. */
export const encode = (samples: Int16Array, sampleRate: number): Uint8Array => {
  const dataBytes = samples.length * 2
  const bytes = new Uint8Array(44 + dataBytes)
  const view = new DataView(bytes.buffer)
  const writeAscii = (offset: number, text: string) =>
    Array.from(text).forEach((char, index) => view.setUint8(offset + index, char.charCodeAt(0)))
  writeAscii(0, "RIFF")
  view.setUint32(4, 36 + dataBytes, true)
  writeAscii(8, "WAVE")
  writeAscii(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, FORMAT_PCM, true)
  view.setUint16(22, 1, true)
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * 2, true)
  view.setUint16(32, 2, true)
  view.setUint16(34, 16, true)
  writeAscii(36, "data")
  view.setUint32(40, dataBytes, true)
  bytes.set(Pcm16.toBytes(samples), 44)
  return bytes
}
