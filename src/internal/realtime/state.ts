/**
 * The state of one connection and the decisions taken on it: audio tallies for truncation, the
 * response sequence (at most one `response.create` in flight), the responses whose audio is
 * dropped after a barge-in, and the open response spans. Only the connection's owner fiber calls
 * these functions; none of them runs an effect.
 *
 * The state is bounded: per-response entries go at `response.done`, audio entries are capped to
 * the most recent items.
 *
 * @since 0.1.0
 */
import { Exit } from "effect"
import type { Tracer } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import type { Interrupt } from "../../RealtimeModelSendEvent.js"
import type * as Wire from "../protocol/wire.js"
import * as Convert from "./convert.js"

/** How many recent audio items keep their received-audio tally (for truncation bounds). */
const audioItemsKept = 8

interface AudioItem {
  readonly itemId: string
  readonly contentIndex: number
  readonly responseId: string
  readonly firstArrivalMs: number
  receivedMs: number
}

/** Between our `response.create` and its `response.created`. */
const pending = "pending"
/** The server has a response we did not ask for (it refused ours while one was active). */
const unknownActive = "unknown-active"

const isResponseId = (inFlight: string | null): inFlight is string =>
  inFlight !== null && inFlight !== pending && inFlight !== unknownActive

/**
 * What a connection remembers between frames.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  session: Wire.Session | null
  format: AudioFormat.AudioFormat
  /** The item the default tracker considers playing (the latest that received audio). */
  current: AudioItem | null
  readonly audioItems: Map<string, AudioItem>
  /** The response in flight: its id, `pending`, `unknown-active`, or null. */
  inFlight: string | null
  pendingCreateEventId: string | null
  /** A response.create held back while another response is in flight. */
  queuedCreate: { readonly response: Record<string, unknown> | undefined } | null
  readonly interruptedResponses: Set<string>
  readonly responseSpans: Map<string, Tracer.Span>
  eventCounter: number
}

/**
 * A fresh state, for audio in the given output format until the server says otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (format: AudioFormat.AudioFormat): State => ({
  session: null,
  format,
  current: null,
  audioItems: new Map(),
  inFlight: null,
  pendingCreateEventId: null,
  queuedCreate: null,
  interruptedResponses: new Set(),
  responseSpans: new Map(),
  eventCounter: 0
})

/**
 * Sizes of the connection's bookkeeping, which must stay bounded over a long session.
 *
 * @since 0.1.0
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
 * @since 0.1.0
 * @category getters
 */
export const bookkeeping = (state: State): Bookkeeping => ({
  audioItems: state.audioItems.size,
  interruptedResponses: state.interruptedResponses.size,
  responseSpans: state.responseSpans.size
})

/**
 * Ends every open response span and drops the audio tallies.
 *
 * @since 0.1.0
 * @category lifecycle
 */
export const release = (state: State, nowNanos: bigint): void => {
  for (const span of state.responseSpans.values()) span.end(nowNanos, Exit.void)
  state.responseSpans.clear()
  state.audioItems.clear()
  state.current = null
}

// ---- what the frame mapping needs ----

const keyOf = (itemId: string, contentIndex: number) => `${itemId}:${contentIndex}`

/**
 * Records a session the server sent; returns the output format it names, if it names one.
 *
 * @since 0.1.0
 * @category frames
 */
export const setSession = (state: State, session: Wire.Session): AudioFormat.AudioFormat | undefined => {
  state.session = session
  const format = Convert.outputFormatOf(session)
  if (format._tag === "None") return undefined
  state.format = format.value
  return format.value
}

/**
 * Whether audio and transcript of the response are dropped (it was interrupted and is not done).
 *
 * @since 0.1.0
 * @category frames
 */
export const isInterrupted = (state: State, responseId: string): boolean => state.interruptedResponses.has(responseId)

/**
 * Tallies an audio chunk of an item content that arrived at `now` (ms).
 *
 * @since 0.1.0
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
  let audio = state.audioItems.get(key)
  if (audio === undefined) {
    audio = { itemId, contentIndex, responseId, firstArrivalMs: now, receivedMs: 0 }
    state.audioItems.set(key, audio)
    if (state.audioItems.size > audioItemsKept) {
      const oldest = state.audioItems.keys().next()
      if (oldest.done !== true) state.audioItems.delete(oldest.value)
    }
  }
  audio.receivedMs += AudioFormat.durationMs(state.format, byteLength)
  state.current = audio
}

// ---- responses: never two response.create racing one in flight ----

/**
 * The `response` body of a raw `response.create` frame, if it has one.
 *
 * @since 0.1.0
 * @category responses
 */
export const responseOf = (frame: Record<string, unknown>): Record<string, unknown> | undefined => {
  const response = frame["response"]
  return typeof response === "object" && response !== null && !Array.isArray(response)
    ? response as Record<string, unknown>
    : undefined
}

/**
 * Asks for a response: the frame to send now, or `undefined` when it is held until the response
 * in flight is done.
 *
 * @since 0.1.0
 * @category responses
 */
export const requestResponse = (
  state: State,
  response: Record<string, unknown> | undefined
): Record<string, unknown> | undefined => {
  if (state.inFlight !== null) {
    state.queuedCreate = { response }
    return undefined
  }
  const eventId = `evt_client_${++state.eventCounter}`
  state.inFlight = pending
  state.pendingCreateEventId = eventId
  return { event_id: eventId, type: "response.create", ...(response !== undefined ? { response } : {}) }
}

/**
 * Ends the response in flight; returns the held request to send next, if any.
 *
 * @since 0.1.0
 * @category responses
 */
export const releaseResponse = (state: State): { readonly response: Record<string, unknown> | undefined } | undefined => {
  state.inFlight = null
  state.pendingCreateEventId = null
  const queued = state.queuedCreate ?? undefined
  state.queuedCreate = null
  return queued
}

/**
 * The server started a response: it is the one in flight, with its span.
 *
 * @since 0.1.0
 * @category responses
 */
export const responseStarted = (state: State, responseId: string, span: Tracer.Span): void => {
  state.inFlight = responseId
  state.pendingCreateEventId = null
  state.responseSpans.set(responseId, span)
}

/**
 * A response is done: its audio is no longer dropped; returns its span to end.
 *
 * @since 0.1.0
 * @category responses
 */
export const responseFinished = (state: State, responseId: string | null): Tracer.Span | undefined => {
  if (responseId === null) return undefined
  state.interruptedResponses.delete(responseId)
  const span = state.responseSpans.get(responseId)
  if (span !== undefined) state.responseSpans.delete(responseId)
  return span
}

/**
 * Whether the `response.done` of this response frees the sequence for the next request.
 *
 * @since 0.1.0
 * @category responses
 */
export const releasesSequence = (state: State, responseId: string | null): boolean =>
  !isResponseId(state.inFlight) || state.inFlight === responseId

/**
 * Takes a server error into account; `true` when it refused our pending `response.create`, which
 * frees the sequence.
 *
 * @since 0.1.0
 * @category responses
 */
export const onServerError = (
  state: State,
  code: string | null | undefined,
  eventId: string | null | undefined
): boolean => {
  if (code === "conversation_already_has_active_response" && state.inFlight === pending) {
    // the server had a response we did not know of: wait for its response.done, then ask again
    state.queuedCreate = { response: undefined }
    state.inFlight = unknownActive
    return false
  }
  return eventId != null && eventId === state.pendingCreateEventId
}

const cancelFrame = (state: State, responseId: string | null): Record<string, unknown> | undefined => {
  // nothing to cancel: no response in flight (the server would answer with an error)
  if (state.inFlight === null) return undefined
  if (responseId !== null && isResponseId(state.inFlight) && state.inFlight !== responseId) return undefined
  const target = responseId ?? (isResponseId(state.inFlight) ? state.inFlight : null)
  return { type: "response.cancel", ...(target !== null ? { response_id: target } : {}) }
}

// ---- barge-in ----

/**
 * Where playback is: the item content playing and how much of it was heard.
 *
 * @since 0.1.0
 * @category barge-in
 */
export interface Playing {
  readonly itemId: string
  readonly contentIndex: number
  readonly elapsedMs: number
}

/**
 * The default tracker's view: the latest item with audio has played since its first chunk arrived.
 *
 * @since 0.1.0
 * @category barge-in
 */
export const defaultPlaying = (state: State, now: number): Playing | undefined =>
  state.current === null ? undefined : {
    itemId: state.current.itemId,
    contentIndex: state.current.contentIndex,
    elapsedMs: Math.max(0, now - state.current.firstArrivalMs)
  }

/**
 * Forgets the playing item of the default tracker.
 *
 * @since 0.1.0
 * @category barge-in
 */
export const clearCurrent = (state: State): void => {
  state.current = null
}

/**
 * What an interrupt does: which playback it interrupts, the truncate to send before the trackers
 * are reset, and the cancel to send after.
 *
 * @since 0.1.0
 * @category barge-in
 */
export interface InterruptPlan {
  readonly interrupted: { readonly itemId: string; readonly contentIndex: number } | undefined
  readonly before: ReadonlyArray<Record<string, unknown>>
  readonly resetTrackers: boolean
  readonly after: ReadonlyArray<Record<string, unknown>>
}

const none: ReadonlyArray<Record<string, unknown>> = []

/**
 * Plans an interrupt given where playback is, and records the response whose late audio is
 * dropped until its `response.done`.
 *
 * @since 0.1.0
 * @category barge-in
 */
export const planInterrupt = (state: State, event: Interrupt, position: Playing | undefined): InterruptPlan => {
  if (event.cancelResponseOnly) {
    const cancel = cancelFrame(state, event.responseId)
    return { interrupted: undefined, before: none, resetTrackers: false, after: cancel === undefined ? none : [cancel] }
  }
  const inFlightAtStart = state.inFlight
  let interrupted: InterruptPlan["interrupted"] = undefined
  let truncate: Record<string, unknown> | undefined = undefined
  let playingResponse: string | null = null
  if (position !== undefined) {
    const { contentIndex, elapsedMs, itemId } = position
    const audio = state.audioItems.get(keyOf(itemId, contentIndex))
    playingResponse = audio?.responseId ?? null
    if (event.responseId === null || (audio !== undefined && audio.responseId === event.responseId)) {
      interrupted = { itemId, contentIndex }
      const receivedMs = audio === undefined ? undefined : Math.ceil(audio.receivedMs)
      const heardMs = Math.max(0, Math.floor(elapsedMs))
      const responseInFlight = inFlightAtStart !== null && !event.playbackOnly
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
  const dropped = event.responseId ?? playingResponse ?? inFlightAtStart
  if (dropped !== null && isResponseId(dropped) && dropped === state.inFlight) state.interruptedResponses.add(dropped)
  const cancel = !event.playbackOnly && (event.forceResponseCancel || !Convert.autoCancels(state.session))
    ? cancelFrame(state, event.responseId)
    : undefined
  return {
    interrupted,
    before: truncate === undefined ? none : [truncate],
    resetTrackers: interrupted !== undefined,
    after: cancel === undefined ? none : [cancel]
  }
}
