import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import * as AudioFormat from "../src/AudioFormat.js"
import * as DefaultTracker from "../src/internal/realtime/defaultTracker.js"
import * as PlaybackTracker from "../src/PlaybackTracker.js"

describe("PlaybackTracker", () => {
  it.effect("starts idle with all fields null", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      expect(yield* tracker.getState).toEqual({ currentItemId: null, currentItemContentIndex: null, elapsedMs: null })
    }))

  it.effect("adds up milliseconds of the same item content", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.onPlayMs("item_1", 0, 100)
      yield* tracker.onPlayMs("item_1", 0, 250.5)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 350.5 })
    }))

  it.effect("restarts the count for a new item or a new content index", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.onPlayMs("item_1", 0, 400)
      yield* tracker.onPlayMs("item_2", 0, 50)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_2", currentItemContentIndex: 0, elapsedMs: 50 })
      yield* tracker.onPlayMs("item_2", 1, 20)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_2", currentItemContentIndex: 1, elapsedMs: 20 })
      // going back to an earlier item restarts too: the tracker only knows the current one
      yield* tracker.onPlayMs("item_1", 0, 5)
      expect((yield* tracker.getState).elapsedMs).toBe(5)
    }))

  it.effect("converts bytes as pcm16 24 kHz until a format is set", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.onPlayBytes("item_1", 0, new Uint8Array(4_800))
      expect((yield* tracker.getState).elapsedMs).toBe(100)
      yield* tracker.setAudioFormat("g711_ulaw")
      yield* tracker.onPlayBytes("item_1", 0, new Uint8Array(800))
      expect((yield* tracker.getState).elapsedMs).toBe(200)
      yield* tracker.onPlayBytes("item_1", 0, 1_600)
      expect((yield* tracker.getState).elapsedMs).toBe(400)
    }))

  it.effect("becomes idle when interrupted, and counts afresh afterwards", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.onPlayMs("item_1", 0, 300)
      yield* tracker.onInterrupted
      expect(yield* tracker.getState).toEqual(PlaybackTracker.idle)
      yield* tracker.onPlayMs("item_1", 0, 10)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 10 })
    }))

  it.effect("keeps the format across an interrupt", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.setAudioFormat("g711_alaw")
      yield* tracker.onInterrupted
      yield* tracker.onPlayBytes("item_1", 0, 8_000)
      expect((yield* tracker.getState).elapsedMs).toBe(1000)
    }))

  it.effect.each([-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    "rejects %d ms without touching the state",
    (ms) =>
      Effect.gen(function*() {
        const tracker = yield* PlaybackTracker.make
        yield* tracker.onPlayMs("item_1", 0, 100)
        const error = yield* Effect.flip(tracker.onPlayMs("item_1", 0, ms))
        expect(error._tag).toBe("InvalidArgumentError")
        expect(error.argument).toBe("ms")
        expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 100 })
      })
  )

  it.effect("rejects a bad content index, an empty item id and a negative byte count", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      expect((yield* Effect.flip(tracker.onPlayMs("item_1", -1, 10))).argument).toBe("contentIndex")
      expect((yield* Effect.flip(tracker.onPlayMs("item_1", 0.5, 10))).argument).toBe("contentIndex")
      expect((yield* Effect.flip(tracker.onPlayMs("", 0, 10))).argument).toBe("itemId")
      expect((yield* Effect.flip(tracker.onPlayBytes("item_1", 0, -2))).argument).toBe("bytes")
      expect(yield* tracker.getState).toEqual(PlaybackTracker.idle)
    }))

  it.effect("counts every update made concurrently by many fibers", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        () => Effect.andThen(Effect.yieldNow, tracker.onPlayMs("item_1", 0, 1)),
        { concurrency: "unbounded", discard: true }
      )
      expect((yield* tracker.getState).elapsedMs).toBe(1000)
    }))

  it.effect("is available as a service through its layer", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.PlaybackTracker
      yield* tracker.onPlayMs("item_9", 2, 42)
      const exit = yield* Effect.exit(tracker.getState)
      expect(exit).toEqual(Exit.succeed({ currentItemId: "item_9", currentItemContentIndex: 2, elapsedMs: 42 }))
    }).pipe(Effect.provide(PlaybackTracker.layer)))
})

/** Every spelling `AudioFormat.normalize` knows, with the milliseconds 4 800 bytes last in it. */
const spellings: ReadonlyArray<readonly [AudioFormat.AudioFormatSpelling, number]> = [
  ["pcm16", 100],
  ["pcm", 100],
  ["audio/pcm", 100],
  [" Audio/PCM ", 100],
  [{ type: "audio/pcm", rate: 24000 }, 100],
  [{ type: "audio/pcm" }, 100],
  ["g711_ulaw", 600],
  ["ulaw", 600],
  ["pcmu", 600],
  ["audio/pcmu", 600],
  [{ type: "audio/pcmu" }, 600],
  ["g711_alaw", 600],
  ["alaw", 600],
  ["pcma", 600],
  ["audio/pcma", 600],
  [{ type: "audio/pcma" }, 600]
]

/** Spellings `normalize` does not know: like an absent format, they count as pcm16 (see `durationMs`). */
const unknownSpellings: ReadonlyArray<AudioFormat.AudioFormatSpelling> = [
  "opus",
  "",
  { type: "audio/pcm", rate: 16000 },
  { type: "audio/opus" }
]

describe("PlaybackTracker.setAudioFormat spellings", () => {
  it.effect.each(spellings)("reads %j: 4 800 bytes last %d ms", ([spelling, ms]) =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.setAudioFormat(spelling)
      yield* tracker.onPlayBytes("item_1", 0, 4_800)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: ms })
    }))

  it.effect.each(unknownSpellings)(
    "treats the unknown %j as pcm16, even after a G.711 format",
    (spelling) =>
      Effect.gen(function*() {
        const tracker = yield* PlaybackTracker.make
        yield* tracker.setAudioFormat("g711_ulaw")
        yield* tracker.setAudioFormat(spelling)
        yield* tracker.onPlayBytes("item_1", 0, 4_800)
        expect((yield* tracker.getState).elapsedMs).toBe(100)
        expect(AudioFormat.durationMs(spelling, 4_800)).toBe(100)
      })
  )

  it.effect("null is no format: pcm16 again", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      yield* tracker.setAudioFormat({ type: "audio/pcma" })
      yield* tracker.onPlayBytes("item_1", 0, 800)
      yield* tracker.setAudioFormat(null)
      yield* tracker.onPlayBytes("item_1", 0, 4_800)
      expect((yield* tracker.getState).elapsedMs).toBe(200)
    }))

  it.effect.each(spellings)(
    "the default tracker reads %j too: 4 800 bytes last %d ms",
    ([spelling, ms]) =>
      Effect.gen(function*() {
        const tracker = DefaultTracker.make()
        yield* tracker.setAudioFormat(spelling)
        yield* tracker.onPlayBytes("item_1", 0, 4_800)
        expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: ms })
      })
  )

  it.effect("durationMs reads every spelling the same way", () =>
    Effect.sync(() => {
      expect(spellings.map(([spelling]) => AudioFormat.durationMs(spelling, 4_800))).toEqual(
        spellings.map(([, ms]) => ms)
      )
    }))
})

describe("the default tracker (realtime speed, over Clock)", () => {
  it.effect("elapsed is the Clock time since the item's first audio arrived", () =>
    Effect.gen(function*() {
      const tracker = DefaultTracker.make()
      expect(yield* tracker.getState).toEqual(PlaybackTracker.idle)
      tracker.arrivedUnsafe("item_1", 0, 0)
      yield* TestClock.adjust("250 millis")
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 250 })
      yield* tracker.onInterrupted
      expect(yield* tracker.getState).toEqual(PlaybackTracker.idle)
    }))

  it.effect("as a PlaybackTrackerService: a new item started `ms` ago, then plays on at realtime speed", () =>
    Effect.gen(function*() {
      const tracker: PlaybackTracker.PlaybackTrackerService = DefaultTracker.make()
      yield* TestClock.adjust("1 second")
      yield* tracker.onPlayMs("item_2", 1, 100)
      yield* TestClock.adjust("50 millis")
      // the same item again: it was already playing, at realtime speed
      yield* tracker.onPlayBytes("item_2", 1, 4800)
      expect(yield* tracker.getState).toEqual({ currentItemId: "item_2", currentItemContentIndex: 1, elapsedMs: 150 })
      expect(Exit.isFailure(yield* Effect.exit(tracker.onPlayMs("", 0, 1)))).toBe(true)
    }))
})
