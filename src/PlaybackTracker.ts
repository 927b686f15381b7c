/**
 * Playback tracking: how much of the model's audio the user has actually heard. On barge-in the
 * model's memory of what it said is cut at exactly this point.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import * as AudioFormat from "./AudioFormat.js"
import { InvalidArgumentError } from "./RealtimeError.js"

/**
 * What is playing now: the item, the index of its audio content part, and the milliseconds heard
 * so far. All three are `null` when nothing is playing.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlaybackState {
  readonly currentItemId: string | null
  readonly currentItemContentIndex: number | null
  readonly elapsedMs: number | null
}

/**
 * The idle playback state.
 *
 * @since 0.1.0
 * @category constants
 */
export const idle: PlaybackState = { currentItemId: null, currentItemContentIndex: null, elapsedMs: null }

/**
 * A playback tracker. Create one with {@link make} and pass it in the model config when your
 * playback is delayed or not at realtime speed (phone calls, remote clients), then report what was
 * played with `onPlayBytes` / `onPlayMs`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlaybackTrackerService {
  /** Reports that `bytes` of audio of the given item content were played (converted with the tracker's format). */
  readonly onPlayBytes: (
    itemId: string,
    contentIndex: number,
    bytes: Uint8Array | number
  ) => Effect.Effect<void, InvalidArgumentError>
  /** Reports that `ms` milliseconds of the given item content were played. */
  readonly onPlayMs: (itemId: string, contentIndex: number, ms: number) => Effect.Effect<void, InvalidArgumentError>
  /** Called by the model when playback was interrupted: the tracker becomes idle. */
  readonly onInterrupted: Effect.Effect<void>
  /**
   * Called by the model with the session's output audio format, in any spelling
   * `AudioFormat.normalize` reads (`"pcm16"`, `"audio/pcmu"`, `{ type: "audio/pcm", rate: 24000 }`,
   * …). `null` or a spelling it does not recognise counts as `pcm16`, as in `AudioFormat.durationMs`.
   */
  readonly setAudioFormat: (format: AudioFormat.AudioFormatSpelling | null) => Effect.Effect<void>
  /** The current playback state. */
  readonly getState: Effect.Effect<PlaybackState>
}

/**
 * The tracker as a service, so an application can provide its own to the model.
 *
 * @since 0.1.0
 * @category services
 */
export class PlaybackTracker extends Context.Service<PlaybackTracker, PlaybackTrackerService>()(
  "effect-realtime/PlaybackTracker"
) {}

interface TrackerState {
  readonly format: AudioFormat.AudioFormat | null
  readonly itemId: string | null
  readonly contentIndex: number | null
  readonly elapsedMs: number
}

const validate = (
  itemId: string,
  contentIndex: number,
  argument: "ms" | "bytes",
  amount: number
): Effect.Effect<void, InvalidArgumentError> => {
  if (itemId.length === 0) {
    return new InvalidArgumentError({ argument: "itemId", message: "itemId must be a non-empty string" })
  }
  if (!Number.isInteger(contentIndex) || contentIndex < 0) {
    return new InvalidArgumentError({
      argument: "contentIndex",
      message: `contentIndex must be a non-negative integer, got ${contentIndex}`
    })
  }
  if (!Number.isFinite(amount) || amount < 0) {
    return new InvalidArgumentError({
      argument,
      message: `the played ${
        argument === "ms" ? "milliseconds" : "byte count"
      } must be a finite number >= 0, got ${amount}`
    })
  }
  return Effect.void
}

const advance = (state: TrackerState, itemId: string, contentIndex: number, ms: number): TrackerState =>
  state.itemId === itemId && state.contentIndex === contentIndex
    ? { ...state, elapsedMs: state.elapsedMs + ms }
    : { format: state.format, itemId, contentIndex, elapsedMs: ms }

/**
 * A new tracker, idle, with no audio format set (bytes count as 24 kHz PCM16 until one is).
 * Its state lives in a `Ref`, so concurrent updates from several fibers are safe.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<PlaybackTrackerService> = Effect.map(
  Ref.make<TrackerState>({ format: null, itemId: null, contentIndex: null, elapsedMs: 0 }),
  (ref): PlaybackTrackerService => ({
    onPlayMs: (itemId, contentIndex, ms) =>
      Effect.andThen(
        validate(itemId, contentIndex, "ms", ms),
        Ref.update(ref, (state) => advance(state, itemId, contentIndex, ms))
      ),
    onPlayBytes: (itemId, contentIndex, bytes) => {
      const byteLength = typeof bytes === "number" ? bytes : bytes.byteLength
      return Effect.andThen(
        validate(itemId, contentIndex, "bytes", byteLength),
        Ref.update(
          ref,
          (state) => advance(state, itemId, contentIndex, AudioFormat.durationMs(state.format, byteLength))
        )
      )
    },
    onInterrupted: Ref.update(ref, (state) => ({ ...state, itemId: null, contentIndex: null, elapsedMs: 0 })),
    setAudioFormat: (format) => Ref.update(ref, (state) => ({ ...state, format: AudioFormat.resolve(format) })),
    getState: Effect.map(Ref.get(ref), (state): PlaybackState =>
      state.itemId === null
        ? idle
        : { currentItemId: state.itemId, currentItemContentIndex: state.contentIndex, elapsedMs: state.elapsedMs })
  })
)

/**
 * A layer providing a fresh {@link PlaybackTracker}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<PlaybackTracker> = Layer.effect(PlaybackTracker, make)
