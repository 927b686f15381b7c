/**
 * What the command line knows while a voice session runs: enough for the progress bar's total and
 * for the summary printed when the session is interrupted before it could return its own.
 *
 * @since 0.1.0
 */
import { Effect, Ref, Stream } from "effect"
import type { Scope } from "effect"
import type { RealtimeModelService } from "../../RealtimeModel.js"
import type { ErrorEvent, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { PlaybackProgress, VoiceSessionSummary } from "./VoiceSession.js"

/**
 * What has happened so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly turns: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly receivedMs: number
  readonly playedMs: number
  /** The reply's audio has all arrived (its length is known). */
  readonly audioComplete: boolean
  readonly transcript: string
  readonly errors: ReadonlyArray<(typeof ErrorEvent.Type)["error"]>
}

/**
 * Nothing has happened yet.
 *
 * @since 0.1.0
 * @category models
 */
export const initial: State = {
  turns: 0,
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  receivedMs: 0,
  playedMs: 0,
  audioComplete: false,
  transcript: "",
  errors: []
}

/**
 * The running tally of a session.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tally {
  readonly onTranscript: (delta: string) => Effect.Effect<void>
  readonly onProgress: (progress: PlaybackProgress) => Effect.Effect<void>
  /**
   * How much audio will be played: the barge-in point, else the reply's length once all of it has
   * arrived; `null` while that is not known yet.
   */
  readonly totalMs: Effect.Effect<number | null>
  /** The summary so far. */
  readonly summary: Effect.Effect<VoiceSessionSummary>
}

const isAudioDone = (event: RealtimeModelEvent): boolean =>
  event._tag === "TurnEnded" ||
  (event._tag === "RawServerEvent" && typeof event.data === "object" && event.data !== null && "type" in event.data &&
    event.data.type === "response.output_audio.done")

/**
 * The state after one event of the model.
 *
 * @since 0.1.0
 * @category models
 */
export const step = (state: State, event: RealtimeModelEvent): State => {
  switch (event._tag) {
    case "TurnStarted":
      return { ...state, turns: state.turns + 1 }
    case "UsageUpdated":
      return {
        ...state,
        inputTokens: state.inputTokens + event.usage.inputTokens,
        outputTokens: state.outputTokens + event.usage.outputTokens,
        totalTokens: state.totalTokens + event.usage.totalTokens
      }
    case "ErrorEvent":
      return { ...state, errors: [...state.errors, event.error] }
    default:
      return isAudioDone(event) ? { ...state, audioComplete: true } : state
  }
}

/**
 * How much audio will be played: the barge-in point (or the whole reply, when shorter), else the
 * reply's length once all of it has arrived; `null` while that is not known yet.
 *
 * @since 0.1.0
 * @category models
 */
export const totalOf = (state: State, bargeInMs: number | undefined): number | null => {
  if (state.audioComplete) return bargeInMs === undefined ? state.receivedMs : Math.min(bargeInMs, state.receivedMs)
  return bargeInMs ?? null
}

/**
 * The summary so far, as the session would have returned it.
 *
 * @since 0.1.0
 * @category models
 */
export const summaryOf = (state: State): VoiceSessionSummary => ({
  turns: state.turns,
  audioReceivedMs: state.receivedMs,
  audioPlayedMs: state.playedMs,
  inputTokens: state.inputTokens,
  outputTokens: state.outputTokens,
  totalTokens: state.totalTokens,
  firstAudioLatencyMs: null,
  transcript: state.transcript,
  bargeIn: null,
  errors: state.errors
})

/**
 * Starts tallying the model's events (from now on, for as long as the Scope lives).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  model: RealtimeModelService,
  bargeInMs: number | undefined
): Effect.Effect<Tally, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state = yield* Ref.make(initial)
    const events = yield* model.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => Ref.update(state, (s) => step(s, event))))
    return {
      onTranscript: (delta) => Ref.update(state, (s) => ({ ...s, transcript: s.transcript + delta })),
      onProgress: ({ playedMs, receivedMs }) => Ref.update(state, (s) => ({ ...s, playedMs, receivedMs })),
      totalMs: Effect.map(Ref.get(state), (s) => totalOf(s, bargeInMs)),
      summary: Effect.map(Ref.get(state), summaryOf)
    }
  })
