/**
 * One spoken exchange with a realtime model, played back the way a user would hear it: the user's
 * text and/or audio goes in, the reply's audio is "played" at realtime speed through a
 * `PlaybackTracker`, and the user may barge in part-way. This is what the command-line voice
 * session runs; it works with any `RealtimeModelService` (production, embedded server, scripted).
 */
import { Clock, Deferred, Duration, Effect, Option, Queue, Ref, Stream } from "effect"
import type { Scope } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as PlaybackTracker from "../../PlaybackTracker.js"
import { InvalidArgumentError } from "../../RealtimeError.js"
import type { RealtimeConnectError, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelConfig, RealtimeModelService } from "../../RealtimeModel.js"
import type { ErrorEvent, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import { Interrupt, RawMessage, SendAudio, UserInput } from "../../RealtimeModelSendEvent.js"

/**
 * What to say and how to listen.
 */
export interface VoiceSessionOptions {
  /** Text the user types. */
  readonly text?: string
  /** Speech from the user, in the session's input audio format. */
  readonly audio?: Uint8Array
  /** The user starts speaking this many milliseconds into the reply, interrupting it. */
  readonly bargeInMs?: number
  /** The format of the reply's audio (for playback timing); defaults to the config's output format, else pcm16. */
  readonly outputFormat?: AudioFormat.AudioFormat
  /** Called with each piece of the reply's transcript as it streams in. */
  readonly onTranscript?: (delta: string) => Effect.Effect<void>
  /** Called after each played chunk with the playback position against what was received. */
  readonly onProgress?: (progress: PlaybackProgress) => Effect.Effect<void>
  /** Called with each chunk of audio once it has been played. */
  readonly onPlayed?: (chunk: Uint8Array) => Effect.Effect<void>
  /** How long to wait for the server's truncated item after a barge-in (default 2 s). */
  readonly truncatedItemTimeout?: Duration.Input
}

/**
 * Audio played so far against audio received so far, in milliseconds.
 */
export interface PlaybackProgress {
  readonly playedMs: number
  readonly receivedMs: number
}

/**
 * Where the user barged in, and what the model now remembers having said.
 */
export interface BargeIn {
  readonly itemId: string
  readonly contentIndex: number
  /** The playback position the model's item was truncated at. */
  readonly truncatedAtMs: number
  /** The item's transcript as the server holds it after the truncation (`null` if it sent none). */
  readonly heardTranscript: string | null
}

/**
 * What happened in the session.
 */
export interface VoiceSessionSummary {
  readonly turns: number
  readonly audioReceivedMs: number
  readonly audioPlayedMs: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  /** From sending the user's turn to the first audio of the reply. */
  readonly firstAudioLatencyMs: number | null
  /** The reply's transcript as it streamed in (before any truncation). */
  readonly transcript: string
  readonly bargeIn: BargeIn | null
  /** The payloads of the `ErrorEvent`s the model reported during the session. */
  readonly errors: ReadonlyArray<(typeof ErrorEvent.Type)["error"]>
}

type PlayerInput =
  | { readonly _tag: "Chunk"; readonly itemId: string; readonly contentIndex: number; readonly data: Uint8Array }
  | { readonly _tag: "TurnEnded" }

interface Tally {
  readonly turns: number
  readonly receivedMs: number
  readonly playedMs: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly firstAudioAt: number | null
  readonly transcript: string
  readonly errors: ReadonlyArray<(typeof ErrorEvent.Type)["error"]>
  readonly bargeIn: Omit<BargeIn, "heardTranscript"> | null
}

const emptyTally: Tally = {
  turns: 0,
  receivedMs: 0,
  playedMs: 0,
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  firstAudioAt: null,
  transcript: "",
  errors: [],
  bargeIn: null
}

const validateOptions = (options: VoiceSessionOptions): Effect.Effect<void, InvalidArgumentError> => {
  if (
    (options.text === undefined || options.text.length === 0) &&
    (options.audio === undefined || options.audio.length === 0)
  ) {
    return new InvalidArgumentError({ argument: "text/audio", message: "give the user's text, audio, or both" })
  }
  if (options.bargeInMs !== undefined && (!Number.isFinite(options.bargeInMs) || options.bargeInMs < 0)) {
    return new InvalidArgumentError({
      argument: "bargeInMs",
      message: `bargeInMs must be a finite number >= 0, got ${options.bargeInMs}`
    })
  }
  return Effect.void
}

const transcriptOf = (event: RealtimeModelEvent, itemId: string): Option.Option<string | null> => {
  if (event._tag !== "ItemUpdated" || event.item._tag !== "AssistantMessage" || event.item.itemId !== itemId) {
    return Option.none()
  }
  const parts = event.item.content.map((part) => part._tag === "OutputAudio" ? part.transcript : part.text)
  const present = parts.filter((part): part is string => part !== null)
  return Option.some(present.length === 0 ? null : present.join(""))
}

/**
 * Connects `model` with `config`, sends the user's turn, plays the reply at realtime speed through
 * a playback tracker given to the model, barges in when asked, and closes. Returns what happened.
 */
export const run = Effect.fn("VoiceSession.run")(function*(
  model: RealtimeModelService,
  config: RealtimeModelConfig,
  options: VoiceSessionOptions
): Effect.fn.Return<
  VoiceSessionSummary,
  InvalidArgumentError | RealtimeConnectError | RealtimeSendError,
  Scope.Scope
> {
  yield* validateOptions(options)
  const format: AudioFormat.AudioFormat = options.outputFormat ??
    Option.getOrElse(AudioFormat.normalize(config.initialSettings?.outputAudioFormat), () => "pcm16" as const)
  const tracker = config.playbackTracker ?? (yield* PlaybackTracker.make)
  yield* tracker.setAudioFormat(format)
  const tally = yield* Ref.make(emptyTally)
  const player = yield* Queue.unbounded<PlayerInput>()
  const finished = yield* Deferred.make<void>()
  const interrupted = yield* Ref.make(false)
  const heard = yield* Deferred.make<string | null>()
  const sentAt = yield* Ref.make<number | null>(null)

  const onEvent = (event: RealtimeModelEvent): Effect.Effect<void> => {
    switch (event._tag) {
      case "Audio":
        return Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* Ref.update(tally, (t) => ({
            ...t,
            receivedMs: t.receivedMs + AudioFormat.durationMs(format, event.data.byteLength),
            firstAudioAt: t.firstAudioAt ?? now
          }))
          yield* Queue.offer(player, {
            _tag: "Chunk",
            itemId: event.itemId,
            contentIndex: event.contentIndex,
            data: event.data
          })
        })
      case "TranscriptDelta":
      case "OutputTextDelta":
        return Effect.andThen(
          Ref.update(tally, (t) => ({ ...t, transcript: t.transcript + event.delta })),
          options.onTranscript?.(event.delta) ?? Effect.void
        )
      case "TurnStarted":
        return Ref.update(tally, (t) => ({ ...t, turns: t.turns + 1 }))
      case "TurnEnded":
        return Queue.offer(player, { _tag: "TurnEnded" })
      case "UsageUpdated":
        return Ref.update(tally, (t) => ({
          ...t,
          inputTokens: t.inputTokens + event.usage.inputTokens,
          outputTokens: t.outputTokens + event.usage.outputTokens,
          totalTokens: t.totalTokens + event.usage.totalTokens
        }))
      case "ErrorEvent":
        return Ref.update(tally, (t) => ({ ...t, errors: [...t.errors, event.error] }))
      case "ItemUpdated":
        return Effect.flatMap(Ref.get(tally), (t) =>
          t.bargeIn === null
            ? Effect.void
            : Option.match(transcriptOf(event, t.bargeIn.itemId), {
              onNone: () => Effect.void,
              onSome: (transcript) => Deferred.succeed(heard, transcript)
            }))
      default:
        return Effect.void
    }
  }

  const bargeIn = (itemId: string, contentIndex: number) =>
    Effect.gen(function*() {
      yield* Ref.set(interrupted, true)
      const state = yield* tracker.getState
      const truncatedAtMs = state.elapsedMs ?? 0
      yield* Ref.update(tally, (t) => ({ ...t, bargeIn: { itemId, contentIndex, truncatedAtMs } }))
      yield* model.sendEvent(Interrupt.make({}))
      // ask for the item as the server now holds it: the transcript cut to what was heard
      yield* model.sendEvent(RawMessage.make({ type: "conversation.item.retrieve", otherData: { item_id: itemId } }))
    })

  const play = (chunk: Extract<PlayerInput, { _tag: "Chunk" }>) =>
    Effect.gen(function*() {
      if (yield* Ref.get(interrupted)) return
      const { playedMs } = yield* Ref.get(tally)
      const chunkMs = AudioFormat.durationMs(format, chunk.data.byteLength)
      const cutAt = options.bargeInMs !== undefined && playedMs + chunkMs >= options.bargeInMs
        ? AudioFormat.bytesForMs(format, options.bargeInMs - playedMs)
        : chunk.data.byteLength
      const data = cutAt === chunk.data.byteLength ? chunk.data : chunk.data.subarray(0, cutAt)
      const ms = AudioFormat.durationMs(format, data.byteLength)
      yield* Effect.sleep(Duration.millis(ms))
      yield* tracker.onPlayBytes(chunk.itemId, chunk.contentIndex, data).pipe(Effect.orDie)
      const progress = yield* Ref.updateAndGet(tally, (t) => ({ ...t, playedMs: t.playedMs + ms }))
      yield* options.onPlayed?.(data) ?? Effect.void
      yield* options.onProgress?.({ playedMs: progress.playedMs, receivedMs: progress.receivedMs }) ?? Effect.void
      if (data !== chunk.data || (options.bargeInMs !== undefined && progress.playedMs >= options.bargeInMs)) {
        yield* bargeIn(chunk.itemId, chunk.contentIndex)
      }
    })

  const events = yield* model.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, onEvent))
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.flatMap(
        Queue.take(player),
        (input) => input._tag === "TurnEnded" ? Deferred.succeed(finished, undefined) : play(input)
      )
    ).pipe(Effect.catch((error) => Deferred.die(finished, error)))
  )

  yield* model.connect({ ...config, playbackTracker: tracker })
  yield* Ref.set(sentAt, yield* Clock.currentTimeMillis)
  if (options.audio !== undefined && options.audio.length > 0) {
    yield* model.sendEvent(SendAudio.make({ audio: options.audio, commit: true }))
  }
  if (options.text !== undefined && options.text.length > 0) {
    yield* model.sendEvent(UserInput.make({ userInput: options.text }))
  } else {
    yield* model.sendEvent(RawMessage.make({ type: "response.create" }))
  }
  yield* Deferred.await(finished)

  const final = yield* Ref.get(tally)
  const heardTranscript = final.bargeIn === null
    ? null
    : Option.getOrNull(
      yield* Effect.timeoutOption(Deferred.await(heard), options.truncatedItemTimeout ?? Duration.seconds(2))
    )
  yield* model.close
  const start = yield* Ref.get(sentAt)
  return {
    turns: final.turns,
    audioReceivedMs: final.receivedMs,
    audioPlayedMs: final.playedMs,
    inputTokens: final.inputTokens,
    outputTokens: final.outputTokens,
    totalTokens: final.totalTokens,
    firstAudioLatencyMs: final.firstAudioAt === null || start === null ? null : final.firstAudioAt - start,
    transcript: final.transcript,
    bargeIn: final.bargeIn === null ? null : { ...final.bargeIn, heardTranscript },
    errors: final.errors
  }
})
