/**
 * The playback tracker a connection uses when the application gives none: it assumes the audio
 * of an item starts playing when its first chunk arrives and plays at realtime speed, so the
 * position heard is the `Clock` time since that arrival.
 *
 * It implements `PlaybackTrackerService`; the connection's owner (its only user) also reports
 * arrivals synchronously, on the hot path, through {@link DefaultTracker.arrivedUnsafe}.
 */
import { Clock, Effect } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import { idle } from "../../PlaybackTracker.js"
import type { PlaybackState, PlaybackTrackerService } from "../../PlaybackTracker.js"
import { InvalidArgumentError } from "../../RealtimeError.js"

/**
 * The realtime-speed tracker.
 *
 * @category models
 */
export interface DefaultTracker extends PlaybackTrackerService {
  /** Audio of the item content arrived; `firstArrivalMs` is when its first chunk did. */
  readonly arrivedUnsafe: (itemId: string, contentIndex: number, firstArrivalMs: number) => void
  /** The position at `nowMs`, without an effect. */
  readonly stateAtUnsafe: (nowMs: number) => PlaybackState
}

const invalid = (argument: string, message: string) => Effect.fail(new InvalidArgumentError({ argument, message }))

const validate = (itemId: string, contentIndex: number, argument: "ms" | "bytes", amount: number) =>
  itemId.length === 0
    ? invalid("itemId", "itemId must be a non-empty string")
    : !Number.isInteger(contentIndex) || contentIndex < 0
    ? invalid("contentIndex", `contentIndex must be a non-negative integer, got ${contentIndex}`)
    : !Number.isFinite(amount) || amount < 0
    ? invalid(
      argument,
      `the played ${argument === "ms" ? "milliseconds" : "byte count"} must be a finite number >= 0, got ${amount}`
    )
    : Effect.void

/**
 * A new idle tracker.
 *
 * @category constructors
 */
export const make = (): DefaultTracker => {
  let format: AudioFormat.AudioFormat | null = null
  let itemId: string | null = null
  let contentIndex = 0
  let startedMs = 0

  const arrivedUnsafe = (item: string, index: number, firstArrivalMs: number): void => {
    itemId = item
    contentIndex = index
    startedMs = firstArrivalMs
  }

  const stateAtUnsafe = (nowMs: number): PlaybackState =>
    itemId === null
      ? idle
      : { currentItemId: itemId, currentItemContentIndex: contentIndex, elapsedMs: Math.max(0, nowMs - startedMs) }

  /** Played `ms` of an item: a new item started `ms` ago; the current one plays on at realtime speed. */
  const played = (item: string, index: number, ms: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        if (item !== itemId || index !== contentIndex) arrivedUnsafe(item, index, now - ms)
      }))

  return {
    arrivedUnsafe,
    stateAtUnsafe,
    onPlayMs: (item, index, ms) => Effect.andThen(validate(item, index, "ms", ms), played(item, index, ms)),
    onPlayBytes: (item, index, bytes) => {
      const byteLength = typeof bytes === "number" ? bytes : bytes.byteLength
      return Effect.andThen(
        validate(item, index, "bytes", byteLength),
        Effect.suspend(() => played(item, index, AudioFormat.durationMs(format, byteLength)))
      )
    },
    onInterrupted: Effect.sync(() => {
      itemId = null
    }),
    setAudioFormat: (value) =>
      Effect.sync(() => {
        format = AudioFormat.resolve(value)
      }),
    getState: Effect.map(Clock.currentTimeMillis, stateAtUnsafe)
  }
}
