/**
 * Audio conversion for Gemini Live, chunk by chunk: the stream's output is the same whatever the
 * chunk sizes, so a call's audio keeps its length and has no seams at chunk edges.
 */
import { describe, expect, it } from "@effect/vitest"
import type { AudioFormat } from "../../src/AudioFormat.js"
import * as G711 from "../../src/internal/audio/G711.js"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Audio from "../../src/internal/gemini/audio.js"

/** A 440 Hz tone of `length` samples at `rate`. */
const tone = (length: number, rate: number): Int16Array =>
  Int16Array.from({ length }, (_, index) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * index) / rate)))

/** Bytes converted to the model's audio in chunks of the given sizes, concatenated. */
const inChunks = (format: AudioFormat, bytes: Uint8Array, sizes: ReadonlyArray<number>): Array<number> => {
  let stream = Audio.stream(format)
  const out: Array<number> = []
  let offset = 0
  for (const size of sizes) {
    const converted = Audio.toModel(stream, bytes.subarray(offset, offset + size))
    stream = converted.stream
    out.push(...Pcm16.fromBytes(converted.pcm))
    offset += size
  }
  return out
}

describe("Gemini Live audio streams", () => {
  it("24 kHz PCM16 → 16 kHz: the same samples whatever the chunking, odd byte counts included", () => {
    const bytes = Pcm16.toBytes(tone(2400, 24_000))
    const whole = inChunks("pcm16", bytes, [bytes.byteLength])
    // 2400 samples at 24 kHz: 1600 at 16 kHz, the last waiting for a next chunk's first sample
    expect(whole).toHaveLength(1600)
    const sizes = [7, 1, 482, 33, 960, 2, 1315, 1, 1, 1998]
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(bytes.byteLength)
    expect(inChunks("pcm16", bytes, sizes)).toEqual(whole)
  })

  it("8 kHz mu-law → 16 kHz: interpolated across chunk edges, the same as in one chunk", () => {
    const bytes = G711.encodeMuLaw(tone(800, 8000))
    const whole = inChunks("g711_ulaw", bytes, [800])
    expect(whole).toHaveLength(1599)
    expect(inChunks("g711_ulaw", bytes, [160, 160, 1, 319, 160])).toEqual(whole)
  })

  it("24 kHz from the model → 8 kHz A-law for a G.711 session, the same whatever the chunking", () => {
    const pcm = Pcm16.toBytes(tone(2400, 24_000))
    const convert = (sizes: ReadonlyArray<number>) => {
      let stream = Audio.stream("g711_alaw")
      const out: Array<number> = []
      let offset = 0
      for (const size of sizes) {
        const converted = Audio.fromModel(stream, pcm.subarray(offset, offset + size))
        stream = converted.stream
        out.push(...converted.bytes)
        offset += size
      }
      return out
    }
    const whole = convert([pcm.byteLength])
    expect(whole).toHaveLength(800)
    expect(convert([960, 962, 958, 1920])).toEqual(whole)
  })

  it("the model's audio in a PCM16 session is passed on untouched", () => {
    const pcm = Pcm16.toBytes(tone(240, 24_000))
    expect(Audio.fromModel(Audio.stream("pcm16"), pcm).bytes).toBe(pcm)
  })
})
