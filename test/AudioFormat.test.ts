import { describe, expect, it } from "@effect/vitest"
import { Option, Result, Schema } from "effect"
import * as AudioFormat from "../src/AudioFormat.js"
import { audioFormatToWire } from "../src/internal/protocol/audioFormat.js"

describe("AudioFormat", () => {
  it.each(
    [
      ["pcm16", "pcm16"],
      ["pcm", "pcm16"],
      ["audio/pcm", "pcm16"],
      [{ type: "audio/pcm", rate: 24000 }, "pcm16"],
      [{ type: "audio/pcm" }, "pcm16"],
      ["g711_ulaw", "g711_ulaw"],
      ["audio/pcmu", "g711_ulaw"],
      [{ type: "audio/pcmu" }, "g711_ulaw"],
      ["g711_alaw", "g711_alaw"],
      ["audio/pcma", "g711_alaw"],
      [{ type: "audio/pcma" }, "g711_alaw"],
      ["  AUDIO/PCMU ", "g711_ulaw"]
    ] as const
  )("normalises %j to %s", (input, expected) => {
    expect(AudioFormat.normalize(input)).toEqual(Option.some(expected))
  })

  it.each(
    [
      ["mp3"],
      [{ type: "audio/pcm", rate: 16000 }],
      [42],
      [null],
      [{ rate: 24000 }],
      ["constructor"],
      [{ type: "__proto__" }]
    ] as const
  )("rejects %j", (input) => {
    expect(AudioFormat.normalize(input)).toEqual(Option.none())
    const decoded = Schema.decodeUnknownResult(AudioFormat.AudioFormatInput)(input)
    expect(Result.isFailure(decoded)).toBe(true)
  })

  it("decodes spellings through the schema and encodes the canonical name", () => {
    expect(Schema.decodeUnknownSync(AudioFormat.AudioFormatInput)({ type: "audio/pcmu" })).toBe("g711_ulaw")
    expect(Schema.encodeSync(AudioFormat.AudioFormatInput)("g711_alaw")).toBe("g711_alaw")
  })

  it("computes durations per format", () => {
    // 24 kHz, 2 bytes per sample: 48 000 bytes a second
    expect(AudioFormat.durationMs("pcm16", 48_000)).toBe(1000)
    expect(AudioFormat.durationMs("pcm16", 4_800)).toBe(100)
    expect(AudioFormat.durationMs("pcm16", 1)).toBeCloseTo(1 / 48, 10)
    // 8 kHz, 1 byte per sample
    expect(AudioFormat.durationMs("g711_ulaw", 8_000)).toBe(1000)
    expect(AudioFormat.durationMs("g711_alaw", 160)).toBe(20)
    expect(AudioFormat.durationMs("g711_ulaw", 0)).toBe(0)
  })

  it("falls back to pcm16 for an absent format", () => {
    expect(AudioFormat.durationMs(null, 48_000)).toBe(1000)
    expect(AudioFormat.durationMs(undefined, 24_000)).toBe(500)
    expect(AudioFormat.durationMs(undefined, 0)).toBe(0)
  })

  it("converts milliseconds back to whole samples", () => {
    expect(AudioFormat.bytesForMs("pcm16", 100)).toBe(4_800)
    expect(AudioFormat.bytesForMs("g711_ulaw", 20)).toBe(160)
    expect(AudioFormat.bytesForMs("pcm16", 0.03)).toBe(0)
  })

  it("gives the GA wire objects (the protocol module spells them)", () => {
    expect(audioFormatToWire("pcm16")).toEqual({ type: "audio/pcm", rate: 24000 })
    expect(audioFormatToWire("g711_ulaw")).toEqual({ type: "audio/pcmu" })
    expect(audioFormatToWire("g711_alaw")).toEqual({ type: "audio/pcma" })
  })
})
