/**
 * Owns the state of one connection and the decisions taken on it: audio tallies for truncation, the
 * response sequence (at most one `response.create` in flight), the responses whose audio is
 * dropped after a barge-in, and the open response spans. Only the connection's owner fiber calls
 * these functions; none of them runs an effect.
 *
 * The state is bounded: per-response entries go at `response.done`, audio entries are capped to
 * the most recent items.
 */
import { Exit } from "effect"
import type { Tracer } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import type { PlaybackState } from "../../PlaybackTracker.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { ConnectionStatus } from "../../RealtimeModelEvent.js"
import type { Interrupt } from "../../RealtimeModelSendEvent.js"
import type { ConversationItemTruncate, ResponseCancel } from "../protocol/clientEvents.js"
import type * as Wire from "../protocol/wire.js"
import * as DefaultTracker from "../realtime/defaultTracker.js"
import * as Convert from "./convert.js"
import * as Sequencer from "./sequencer.js"

/** How many recent audio items keep their received-audio tally (for truncation bounds). */
const audioItemsKept = 8

interface AudioItem {
  readonly itemId: string
  readonly contentIndex: number
  readonly responseId: string
  readonly firstArrivalMs: number
  receivedMs: number
}

/**
 * What a connection remembers between frames.
 *
 * @category models
 */
export interface State {
  /** The id of the session the server last sent (`""` before it sent one). */
  sessionId: string
  /** Whether the server's turn detection cancels a response itself when the user speaks. */
  autoCancels: boolean
  format: AudioFormat.AudioFormat
  /** The response sequence: at most one `response.create` in flight. */
  readonly sequencer: Sequencer.Sequencer
  // An idle connection holds none of what follows: each is made on its first use.
  audioItems: Map<string, AudioItem> | undefined
  /** The realtime-speed tracker used when the application gives none. */
  defaultTracker: DefaultTracker.DefaultTracker | undefined
  interruptedResponses: Set<string> | undefined
  responseSpans: Map<string, Tracer.Span> | undefined
}

/**
 * How long a response in flight may show no sign of life before a held request is sent anyway
 * (see the sequencer). Default 30 seconds.
 *
 * @category constants
 */
export const defaultStaleResponseMs = 30_000

/**
 * A fresh state, for audio in the given output format until the server says otherwise.
 *
 * @category constructors
 */
export const make = (format: AudioFormat.AudioFormat, staleResponseMs: number = defaultStaleResponseMs): State => ({
  sessionId: "",
  autoCancels: false,
  format,
  sequencer: Sequencer.make(staleResponseMs),
  audioItems: undefined,
  defaultTracker: undefined,
  interruptedResponses: undefined,
  responseSpans: undefined
})

/**
 * The realtime-speed tracker of the connection, made on first use.
 *
 * @category getters
 */
export const tracker = (state: State): DefaultTracker.DefaultTracker => state.defaultTracker ??= DefaultTracker.make()

/**
 * Sizes of the connection's bookkeeping, which must stay bounded over a long session.
 *
 * @category models
 */
export interface Bookkeeping {
  readonly audioItems: number
  readonly interruptedResponses: number
  readonly responseSpans: number
}

/**
 * The current sizes of the bookkeeping.
 *
 * @category getters
 */
export const bookkeeping = (state: State): Bookkeeping => ({
  audioItems: state.audioItems?.size ?? 0,
  interruptedResponses: state.interruptedResponses?.size ?? 0,
  responseSpans: state.responseSpans?.size ?? 0
})

/**
 * The model's state as a conditional send's predicate sees it.
 *
 * @category getters
 */
export const snapshot = (state: State, status: ConnectionStatus, playback: PlaybackState): RealtimeModelState => ({
  status,
  responseInFlight: Sequencer.inFlight(state.sequencer),
  responseId: Sequencer.activeResponse(state.sequencer),
  queuedResponses: Sequencer.waitingTurns(state.sequencer),
  playback
})

/**
 * Ends every open response span and drops the audio tallies.
 *
 * @category lifecycle
 */
export const release = (state: State, nowNanos: bigint): void => {
  if (state.responseSpans !== undefined) {
    for (const span of state.responseSpans.values()) span.end(nowNanos, Exit.void)
  }
  state.responseSpans = undefined
  state.audioItems = undefined
}

// ---- what the frame mapping needs ----

const keyOf = (itemId: string, contentIndex: number) => `${itemId}:${contentIndex}`

/**
 * Records a session the server sent; returns the output format it names, if it names one.
 *
 * @category frames
 */
export const setSession = (state: State, session: Wire.Session): AudioFormat.AudioFormat | undefined => {
  state.sessionId = session.id ?? ""
  state.autoCancels = Convert.autoCancels(session)
  const format = Convert.outputFormatOf(session)
  if (format._tag === "None") return undefined
  state.format = format.value
  return format.value
}

/**
 * Whether audio and transcript of the response are dropped (it was interrupted and is not done).
 *
 * @category frames
 */
export const isInterrupted = (state: State, responseId: string): boolean =>
  state.interruptedResponses !== undefined && state.interruptedResponses.has(responseId)

/**
 * Tallies an audio chunk of an item content that arrived at `now` (ms).
 *
 * @category frames
 */
export const onAudio = (
  state: State,
  responseId: string,
  itemId: string,
  contentIndex: number,
  byteLength: number,
  now: number
): void => {
  const key = keyOf(itemId, contentIndex)
  const audioItems = state.audioItems ??= new Map()
  let audio = audioItems.get(key)
  if (audio === undefined) {
    audio = { itemId, contentIndex, responseId, firstArrivalMs: now, receivedMs: 0 }
    audioItems.set(key, audio)
    if (audioItems.size > audioItemsKept) {
      const oldest = audioItems.keys().next()
      if (oldest.done !== true) audioItems.delete(oldest.value)
    }
  }
  audio.receivedMs += AudioFormat.durationMs(state.format, byteLength)
  tracker(state).arrivedUnsafe(itemId, contentIndex, audio.firstArrivalMs)
  alive(state, responseId, now)
}

/**
 * A frame of the response arrived at `now` (ms): when it is the one in flight, it is alive.
 *
 * @category frames
 */
export const alive = (state: State, responseId: string, now: number): void => {
  if (responseId === Sequencer.activeResponse(state.sequencer)) Sequencer.touch(state.sequencer, now)
}

// ---- responses ----

/**
 * The `response` body of a raw `response.create` frame, if it has one.
 *
 * @category responses
 */
export const responseOf = (frame: Record<string, unknown>): Record<string, unknown> | undefined => {
  const response = frame["response"]
  return typeof response === "object" && response !== null && !Array.isArray(response)
    ? response as Record<string, unknown>
    : undefined
}

/**
 * The server started a response: records its span. Returns the span of an earlier response whose
 * `response.done` was missed (it counts as done now), if any.
 *
 * @category responses
 */
export const responseStarted = (
  state: State,
  responseId: string,
  span: Tracer.Span,
  nowMs: number
): Tracer.Span | undefined => {
  const missed = Sequencer.created(state.sequencer, responseId, nowMs)
  const spans = state.responseSpans ??= new Map()
  spans.set(responseId, span)
  return missed === undefined ? undefined : responseFinished(state, missed)
}

/**
 * A response is done: its audio is no longer dropped; returns its span to end.
 *
 * @category responses
 */
export const responseFinished = (state: State, responseId: string | null): Tracer.Span | undefined => {
  if (responseId === null) return undefined
  state.interruptedResponses?.delete(responseId)
  const span = state.responseSpans?.get(responseId)
  if (span !== undefined) state.responseSpans?.delete(responseId)
  return span
}

const cancelFrame = (state: State, responseId: string | null): ResponseCancel | undefined => {
  const target = Sequencer.cancelTarget(state.sequencer, responseId)
  if (target === undefined) return undefined
  return { type: "response.cancel", ...(target !== null ? { response_id: target } : {}) }
}

// ---- barge-in ----

/**
 * Where playback is: the item content playing and how much of it was heard.
 *
 * @category barge-in
 */
export interface Playing {
  readonly itemId: string
  readonly contentIndex: number
  readonly elapsedMs: number
}

/**
 * What an interrupt does: which playback it interrupts, the truncate to send before the trackers
 * are reset, and the cancel to send after.
 *
 * @category barge-in
 */
export interface InterruptPlan {
  readonly interrupted: { readonly itemId: string; readonly contentIndex: number } | undefined
  readonly before: ReadonlyArray<ConversationItemTruncate>
  /** The audio that had arrived for the truncated part, in ms, when it is known. */
  readonly receivedMs: number | undefined
  readonly resetTrackers: boolean
  readonly after: ReadonlyArray<ResponseCancel>
}

const none: ReadonlyArray<never> = []

/**
 * Plans an interrupt given where playback is, and records the response whose late audio is
 * dropped until its `response.done`.
 *
 * @category barge-in
 */
export const planInterrupt = (state: State, event: Interrupt, position: Playing | undefined): InterruptPlan => {
  if (event.cancelResponseOnly) {
    const cancel = cancelFrame(state, event.responseId)
    return {
      interrupted: undefined,
      before: none,
      receivedMs: undefined,
      resetTrackers: false,
      after: cancel === undefined ? none : [cancel]
    }
  }
  const inFlightAtStart = Sequencer.inFlight(state.sequencer)
  const activeAtStart = Sequencer.activeResponse(state.sequencer)
  let interrupted: InterruptPlan["interrupted"] = undefined
  let truncate: ConversationItemTruncate | undefined = undefined
  let playingResponse: string | null = null
  let received: number | undefined = undefined
  if (position !== undefined) {
    const { contentIndex, elapsedMs, itemId } = position
    const audio = state.audioItems?.get(keyOf(itemId, contentIndex))
    playingResponse = audio?.responseId ?? null
    if (event.responseId === null || (audio !== undefined && audio.responseId === event.responseId)) {
      interrupted = { itemId, contentIndex }
      const receivedMs = audio === undefined ? undefined : Math.ceil(audio.receivedMs)
      received = receivedMs
      const heardMs = Math.max(0, Math.floor(elapsedMs))
      const responseInFlight = inFlightAtStart && !event.playbackOnly
      // skip the truncate when playback had already finished and no response is in flight
      if (responseInFlight || receivedMs === undefined || heardMs < receivedMs) {
        truncate = {
          type: "conversation.item.truncate",
          item_id: itemId,
          content_index: contentIndex,
          audio_end_ms: receivedMs === undefined ? heardMs : Math.min(heardMs, receivedMs)
        }
      }
    }
  }
  // Audio of the interrupted response (the one named, else the one playing, else the one in
  // flight) still on its way is dropped until its response.done. Only a response still in flight
  // is remembered: a finished one sends no more audio, and remembering it would leak.
  const dropped = event.responseId ?? playingResponse ?? activeAtStart
  if (dropped !== null && dropped === activeAtStart) (state.interruptedResponses ??= new Set()).add(dropped)
  const cancel = !event.playbackOnly && (event.forceResponseCancel || !state.autoCancels)
    ? cancelFrame(state, event.responseId)
    : undefined
  return {
    interrupted,
    before: truncate === undefined ? none : [truncate],
    receivedMs: received,
    resetTrackers: interrupted !== undefined,
    after: cancel === undefined ? none : [cancel]
  }
}
