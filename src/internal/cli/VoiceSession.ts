/**
 * One spoken exchange with a realtime model, played back the way a user would hear it: the user's
 * text and/or audio goes in, the reply's audio is "played" through a `PlaybackTracker` (at real
 * time, or `speed` times faster), and the user may barge in part-way. This is what the command-line
 * voice session runs; it works with any `RealtimeModelService` (production, embedded server,
 * scripted). While it runs, `summary` says what has happened so far (for an interrupted session).
 *
 * Two cells, each with one owner: what was received (the listener fiber writes it) and what was
 * played (the player fiber writes it).
 */
import { Clock, Deferred, Duration, Effect, Option, Queue, Ref, Scope, Stream } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as PlaybackTracker from "../../PlaybackTracker.js"
import { InvalidArgumentError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeConnectError, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelConfig, RealtimeModelService } from "../../RealtimeModel.js"
import type { ErrorEvent, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import { Interrupt, RawMessage, SendAudio, UserInput } from "../../RealtimeModelSendEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import { heardShare } from "../gemini/items.js"

/**
 * What a session sends that the `RealtimeModel` contract leaves to the provider. Default: OpenAI
 * Realtime's (`openAIMoves`).
 */
export interface SessionMoves {
  /** Sent after the user's audio when no text follows, to ask for the reply; none when committing the audio asks for it. */
  readonly requestReply: Option.Option<RealtimeModelSendEvent>
  /** What a barge-in sends, given the item that stopped playing. */
  readonly bargeIn: (itemId: string) => ReadonlyArray<RealtimeModelSendEvent>
  /**
   * What ends the reply after a barge-in: its `TurnEnded`, or the server's `AudioInterrupted` for
   * the item (for a server that ends an interrupted turn with no turn end of its own).
   */
  readonly bargeInEndsOn: "TurnEnded" | "AudioInterrupted"
  /**
   * Where the transcript as heard comes from: the item as the server holds it after the truncation
   * (`"server"`), or, for a server that keeps none, the reply's transcript cut in proportion to the
   * audio heard at the barge-in (`"estimate"`).
   */
  readonly heard: "server" | "estimate"
}

/**
 * OpenAI Realtime's moves: `response.create` for audio alone; a barge-in is an `Interrupt` (the
 * response cancelled, the item truncated) and `conversation.item.retrieve`, which asks for the item
 * as the server now holds it (its transcript cut to what was heard).
 */
export const openAIMoves: SessionMoves = {
  requestReply: Option.some(RawMessage.make({ type: "response.create" })),
  bargeIn: (itemId) => [
    Interrupt.make({}),
    RawMessage.make({ type: "conversation.item.retrieve", otherData: { item_id: itemId } })
  ],
  bargeInEndsOn: "TurnEnded",
  heard: "server"
}

/** What to say and how to listen. */
export interface VoiceSessionOptions {
  /** What the session sends that the contract leaves to the provider. Default: `openAIMoves`. */
  readonly moves?: SessionMoves
  /** Text the user types. */
  readonly text?: string
  /** Speech from the user, in the session's input audio format. */
  readonly audio?: Uint8Array
  /** The user starts speaking this many milliseconds (of the reply's audio) into the reply. */
  readonly bargeInMs?: number
  /** How many times faster than real time the reply is played (default 1). */
  readonly speed?: number
  /** The format of the reply's audio (for playback timing); defaults to the config's output format, else pcm16. */
  readonly outputFormat?: AudioFormat.AudioFormat
  /** Runs once the connection is open, before the user's turn is sent. */
  readonly onConnected?: Effect.Effect<void>
  /** Called with each piece of the reply's transcript as it streams in. */
  readonly onTranscript?: (delta: string) => Effect.Effect<void>
  /** Called after each played chunk with the playback position against what was received. */
  readonly onProgress?: (progress: PlaybackProgress) => Effect.Effect<void>
  /** Called with each chunk of audio once it has been played. */
  readonly onPlayed?: (chunk: Uint8Array) => Effect.Effect<void>
  /** How long to wait for the server's truncated item after a barge-in (default 2 s). */
  readonly truncatedItemTimeout?: Duration.Input
}

/** Audio played so far against audio received so far, in milliseconds, and the transcript so far. */
export interface PlaybackProgress {
  readonly playedMs: number
  readonly receivedMs: number
  /**
   * How much audio will be played: the barge-in point (or the whole reply, when shorter), else the
   * reply's length once all of it has arrived; `null` while that is not known yet.
   */
  readonly totalMs: number | null
  readonly transcript: string
}

/** Where the user barged in, and what the model now remembers having said. */
export interface BargeIn {
  readonly itemId: string
  readonly contentIndex: number
  /** The playback position the model's item was truncated at. */
  readonly truncatedAtMs: number
  /** The item's transcript as the server holds it after the truncation (`null` if it sent none). */
  readonly heardTranscript: string | null
  /** Whether `heardTranscript` is the server's or the client's estimate (its share of the audio heard). */
  readonly heardBy: SessionMoves["heard"]
}

/** Token counts, summed over the usage reports of the session. */
export interface Tokens {
  readonly input: number
  readonly output: number
  readonly total: number
}

/** What happened in the session (so far, while it runs). */
export interface VoiceSessionSummary {
  readonly turns: number
  readonly audioReceivedMs: number
  readonly audioPlayedMs: number
  /** `null` until the server reports usage (it does at the end of a response). */
  readonly tokens: Tokens | null
  /** From sending the user's turn to the first audio of the reply. */
  readonly firstAudioLatencyMs: number | null
  /** The reply's transcript as it streamed in (before any truncation). */
  readonly transcript: string
  readonly bargeIn: BargeIn | null
  /** The payloads of the `ErrorEvent`s the model reported during the session. */
  readonly errors: ReadonlyArray<(typeof ErrorEvent.Type)["error"]>
}

/** A session set up to run: `summary` may be read at any time, before, during or after `run`. */
export interface VoiceSession {
  /**
   * Connects, sends the user's turn, plays the reply, barges in when asked, and closes. A call
   * that ends before the reply does (the server closed it, the network dropped it, with no
   * reconnect or after the last one) fails it with the last `RealtimeConnectionLost` reported.
   */
  readonly run: Effect.Effect<VoiceSessionSummary, RealtimeConnectError | RealtimeSendError | RealtimeConnectionLost>
  /** What has happened so far. */
  readonly summary: Effect.Effect<VoiceSessionSummary>
}

/** What the listener fiber has seen. */
interface Received {
  readonly turns: number
  readonly receivedMs: number
  /** The reply's audio has all arrived (its length is known). */
  readonly audioComplete: boolean
  readonly tokens: Tokens | null
  readonly firstAudioAt: number | null
  readonly transcript: string
  readonly errors: ReadonlyArray<(typeof ErrorEvent.Type)["error"]>
  /** The last connection loss reported, if any. */
  readonly lost: RealtimeConnectionLost | null
}

/** What the player fiber has played. */
interface Played {
  readonly playedMs: number
  readonly bargeIn: Omit<BargeIn, "heardTranscript" | "heardBy"> | null
}

type PlayerInput =
  | { readonly _tag: "Chunk"; readonly itemId: string; readonly contentIndex: number; readonly data: Uint8Array }
  | { readonly _tag: "TurnEnded" }
  | { readonly _tag: "Interrupted"; readonly itemId: string }

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
  if (options.speed !== undefined && !(Number.isFinite(options.speed) && options.speed > 0)) {
    return new InvalidArgumentError({
      argument: "speed",
      message: `speed must be a finite number > 0, got ${options.speed}`
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

const isAudioDone = (event: RealtimeModelEvent): boolean =>
  event._tag === "TurnEnded" ||
  (event._tag === "RawServerEvent" && typeof event.data === "object" && event.data !== null && "type" in event.data &&
    event.data.type === "response.output_audio.done")

/** The state after one event of the model (audio and heard transcripts are handled by the caller). */
const step = (state: Received, event: RealtimeModelEvent): Received => {
  switch (event._tag) {
    case "TranscriptDelta":
    case "OutputTextDelta":
      return { ...state, transcript: state.transcript + event.delta }
    case "TurnStarted":
      return { ...state, turns: state.turns + 1 }
    case "UsageUpdated": {
      const so = state.tokens ?? { input: 0, output: 0, total: 0 }
      return {
        ...state,
        tokens: {
          input: so.input + event.usage.inputTokens,
          output: so.output + event.usage.outputTokens,
          total: so.total + event.usage.totalTokens
        }
      }
    }
    case "ErrorEvent":
      return { ...state, errors: [...state.errors, event.error] }
    default:
      return isAudioDone(event) ? { ...state, audioComplete: true } : state
  }
}

/**
 * Sets a session up in the surrounding Scope: it listens to `model` from now on (so `summary`
 * counts everything), and `run` does the exchange.
 */
export const make = Effect.fn("VoiceSession.make")(function*(
  model: RealtimeModelService,
  config: RealtimeModelConfig,
  options: VoiceSessionOptions
): Effect.fn.Return<VoiceSession, InvalidArgumentError, Scope.Scope> {
  yield* validateOptions(options)
  const speed = options.speed ?? 1
  const moves = options.moves ?? openAIMoves
  const format: AudioFormat.AudioFormat = options.outputFormat ??
    Option.getOrElse(AudioFormat.normalize(config.initialSettings?.outputAudioFormat), () => "pcm16" as const)
  const tracker = config.playbackTracker ?? (yield* PlaybackTracker.make)
  yield* tracker.setAudioFormat(format)
  const received = yield* Ref.make<Received>({
    turns: 0,
    receivedMs: 0,
    audioComplete: false,
    tokens: null,
    firstAudioAt: null,
    transcript: "",
    errors: [],
    lost: null
  })
  const played = yield* Ref.make<Played>({ playedMs: 0, bargeIn: null })
  const sentAt = yield* Ref.make<number | null>(null)
  const player = yield* Queue.unbounded<PlayerInput>()
  const finished = yield* Deferred.make<void, RealtimeConnectionLost>()
  const heard = yield* Deferred.make<string | null>()

  const onEvent = (event: RealtimeModelEvent): Effect.Effect<void> => {
    switch (event._tag) {
      case "Audio":
        return Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* Ref.update(received, (r) => ({
            ...r,
            receivedMs: r.receivedMs + AudioFormat.durationMs(format, event.data.byteLength),
            firstAudioAt: r.firstAudioAt ?? now
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
          Ref.update(received, (r) => step(r, event)),
          options.onTranscript?.(event.delta) ?? Effect.void
        )
      case "TurnEnded":
        return Effect.andThen(Ref.update(received, (r) => step(r, event)), Queue.offer(player, { _tag: "TurnEnded" }))
      case "AudioInterrupted":
        return moves.bargeInEndsOn === "AudioInterrupted"
          ? Queue.offer(player, { _tag: "Interrupted", itemId: event.itemId })
          : Effect.void
      case "ErrorEvent":
        return Ref.update(received, (r) => ({
          ...step(r, event),
          lost: event.error instanceof RealtimeConnectionLost ? event.error : r.lost
        }))
      case "EndOfStream":
        // the call ended (after any reconnects it had) before the reply did: the last loss says why
        return Effect.flatMap(Ref.get(received), (r) =>
          Deferred.fail(
            finished,
            r.lost ??
              new RealtimeConnectionLost({ reason: "Dropped", message: "the connection ended before the reply did" })
          ))
      case "ItemUpdated":
        return Effect.flatMap(Ref.get(played), ({ bargeIn }) =>
          bargeIn === null || moves.heard === "estimate"
            ? Effect.void
            : Option.match(transcriptOf(event, bargeIn.itemId), {
              onNone: () => Effect.void,
              onSome: (transcript) => Deferred.succeed(heard, transcript)
            }))
      default:
        return Ref.update(received, (r) => step(r, event))
    }
  }

  const totalOf = (r: Received): number | null => {
    if (r.audioComplete) {
      return options.bargeInMs === undefined ? r.receivedMs : Math.min(options.bargeInMs, r.receivedMs)
    }
    return options.bargeInMs ?? null
  }

  const bargeIn = (itemId: string, contentIndex: number) =>
    Effect.gen(function*() {
      const state = yield* tracker.getState
      const truncatedAtMs = state.elapsedMs ?? 0
      yield* Ref.update(played, (p) => ({ ...p, bargeIn: { itemId, contentIndex, truncatedAtMs } }))
      if (moves.heard === "estimate") {
        const r = yield* Ref.get(received)
        yield* Deferred.succeed(heard, heardShare(r.transcript, truncatedAtMs, r.receivedMs))
      }
      yield* Effect.forEach(moves.bargeIn(itemId), model.sendEvent, { discard: true })
    })

  const play = (chunk: Extract<PlayerInput, { _tag: "Chunk" }>) =>
    Effect.gen(function*() {
      const so = yield* Ref.get(played)
      if (so.bargeIn !== null) return
      const chunkMs = AudioFormat.durationMs(format, chunk.data.byteLength)
      const cutAt = options.bargeInMs !== undefined && so.playedMs + chunkMs >= options.bargeInMs
        ? AudioFormat.bytesForMs(format, options.bargeInMs - so.playedMs)
        : chunk.data.byteLength
      const data = cutAt === chunk.data.byteLength ? chunk.data : chunk.data.subarray(0, cutAt)
      const ms = AudioFormat.durationMs(format, data.byteLength)
      yield* Effect.sleep(Duration.millis(ms / speed))
      yield* tracker.onPlayBytes(chunk.itemId, chunk.contentIndex, data).pipe(Effect.orDie)
      const now = yield* Ref.updateAndGet(played, (p) => ({ ...p, playedMs: p.playedMs + ms }))
      yield* options.onPlayed?.(data) ?? Effect.void
      const r = yield* Ref.get(received)
      yield* options.onProgress?.({
        playedMs: now.playedMs,
        receivedMs: r.receivedMs,
        totalMs: totalOf(r),
        transcript: r.transcript
      }) ?? Effect.void
      if (data !== chunk.data || (options.bargeInMs !== undefined && now.playedMs >= options.bargeInMs)) {
        yield* bargeIn(chunk.itemId, chunk.contentIndex)
      }
    })

  /** The reply is over at its turn's end, or at the server's interruption of the item barged in on. */
  const endOf = (input: Exclude<PlayerInput, { _tag: "Chunk" }>) =>
    input._tag === "TurnEnded"
      ? Deferred.succeed(finished, undefined)
      : Effect.flatMap(Ref.get(played), ({ bargeIn }) =>
        bargeIn !== null && bargeIn.itemId === input.itemId ? Deferred.succeed(finished, undefined) : Effect.void)

  const events = yield* model.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, onEvent))
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.flatMap(
        Queue.take(player),
        (input) => input._tag === "Chunk" ? play(input) : endOf(input)
      )
    ).pipe(Effect.catch((error) => Deferred.die(finished, error)))
  )

  const summaryWith = (heardTranscript: string | null) =>
    Effect.gen(function*() {
      const r = yield* Ref.get(received)
      const p = yield* Ref.get(played)
      const start = yield* Ref.get(sentAt)
      return {
        turns: r.turns,
        audioReceivedMs: r.receivedMs,
        audioPlayedMs: p.playedMs,
        tokens: r.tokens,
        firstAudioLatencyMs: r.firstAudioAt === null || start === null ? null : r.firstAudioAt - start,
        transcript: r.transcript,
        bargeIn: p.bargeIn === null ? null : { ...p.bargeIn, heardTranscript, heardBy: moves.heard },
        errors: r.errors
      } satisfies VoiceSessionSummary
    })

  const scope = yield* Effect.scope
  const run = Effect.gen(function*() {
    yield* model.connect({ ...config, playbackTracker: tracker })
    yield* options.onConnected ?? Effect.void
    yield* Ref.set(sentAt, yield* Clock.currentTimeMillis)
    if (options.audio !== undefined && options.audio.length > 0) {
      yield* model.sendEvent(SendAudio.make({ audio: options.audio, commit: true }))
    }
    if (options.text !== undefined && options.text.length > 0) {
      yield* model.sendEvent(UserInput.make({ userInput: options.text }))
    } else if (Option.isSome(moves.requestReply)) {
      yield* model.sendEvent(moves.requestReply.value)
    }
    yield* Deferred.await(finished)
    const { bargeIn } = yield* Ref.get(played)
    const heardTranscript = bargeIn === null
      ? null
      : Option.getOrNull(
        yield* Effect.timeoutOption(Deferred.await(heard), options.truncatedItemTimeout ?? Duration.seconds(2))
      )
    yield* model.close
    return yield* summaryWith(heardTranscript)
  }).pipe(Effect.provideService(Scope.Scope, scope), Effect.withSpan("VoiceSession.run"))

  // the server's transcript after a barge-in is known only at the end of `run`
  return { run, summary: summaryWith(null) }
})

/** Sets a session up and runs it: connects, sends, plays the reply, barges in when asked, closes. */
export const run = (
  model: RealtimeModelService,
  config: RealtimeModelConfig,
  options: VoiceSessionOptions
): Effect.Effect<
  VoiceSessionSummary,
  InvalidArgumentError | RealtimeConnectError | RealtimeSendError | RealtimeConnectionLost,
  Scope.Scope
> => Effect.flatMap(make(model, config, options), (session) => session.run)
