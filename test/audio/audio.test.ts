import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Codec from "../../src/internal/audio/Codec.js"
import * as Energy from "../../src/internal/audio/Energy.js"
import * as G711 from "../../src/internal/audio/G711.js"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Resample from "../../src/internal/audio/Resample.js"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as Wav from "../../src/internal/audio/Wav.js"

const ramp = Int16Array.from({ length: 2000 }, (_, i) => Math.round(-32000 + i * 32))

describe("audio helpers", () => {
  it("G.711 mu-law and A-law round trip within the quantisation step", () => {
    for (
      const [encode, decode] of [[G711.encodeMuLaw, G711.decodeMuLaw], [G711.encodeALaw, G711.decodeALaw]] as const
    ) {
      const back = decode(encode(ramp))
      ramp.forEach((sample, i) => {
        // the step grows with the magnitude: 1/16 of it bounds the error, plus a small floor near zero
        expect(Math.abs((back[i] ?? 0) - sample)).toBeLessThanOrEqual(Math.abs(sample) / 16 + 16)
      })
    }
    expect(G711.decodeMuLawSample(G711.encodeMuLawSample(0))).toBe(0)
  })

  it("codec decodes and encodes each session format", () => {
    expect(Codec.decode("pcm16", Codec.encode("pcm16", ramp))).toEqual(ramp)
    expect(Codec.encode("g711_ulaw", ramp).byteLength).toBe(ramp.length)
    expect(Codec.encode("g711_alaw", ramp).byteLength).toBe(ramp.length)
  })

  it("PCM16 bytes round trip little-endian", () => {
    const bytes = Pcm16.toBytes(Int16Array.from([1, -2, 32767, -32768]))
    expect([...bytes]).toEqual([1, 0, 254, 255, 255, 127, 0, 128])
    expect([...Pcm16.fromBytes(bytes)]).toEqual([1, -2, 32767, -32768])
  })

  it("WAV write then read gives the same samples and rate", () => {
    const decoded = Wav.decode(Wav.encode(ramp, 16_000))
    expect(Result.isSuccess(decoded)).toBe(true)
    if (Result.isSuccess(decoded)) {
      expect(decoded.success.sampleRate).toBe(16_000)
      expect(decoded.success.channels).toBe(1)
      expect(decoded.success.samples).toEqual(ramp)
    }
  })

  it("WAV read refuses what is not WAV, with a message", () => {
    const decoded = Wav.decode(new TextEncoder().encode("definitely not a RIFF file"))
    expect(Result.isFailure(decoded)).toBe(true)
    if (Result.isFailure(decoded)) expect(decoded.failure.message).toContain("RIFF")
  })

  it("resampling scales the length by the rate ratio", () => {
    expect(Resample.resample(new Int16Array(16_000), 16_000, 24_000).length).toBe(24_000)
    expect(Resample.resample(new Int16Array(48_000), 48_000, 24_000).length).toBe(24_000)
    expect(Resample.resample(ramp, 8_000, 8_000)).toEqual(ramp)
  })

  it("tones last as long as their text, and are voiced only on letters", () => {
    const samples = Tone.synthesize("ab c", { sampleRate: 24_000, msPerChar: 50 })
    expect(samples.length).toBe(4 * 50 * 24)
    expect(Energy.rms(samples, 0, 1200)).toBeGreaterThan(0.1)
    expect(Energy.rms(samples, 2 * 1200, 3 * 1200)).toBe(0)
    expect(Energy.frameRms(samples, 1200)).toHaveLength(4)
  })
})
