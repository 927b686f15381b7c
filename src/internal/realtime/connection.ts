/**
 * One live connection of the OpenAI Realtime model: frames in (decoded, mapped to model events,
 * published to listeners), send events out (converted to client frames), barge-in, response
 * sequencing. Everything here lives in the connection's Scope.
 *
 * Model events are built with validation off (`make(…, true)`): their fields come from frames the
 * schemas already checked, and validating them again on every audio chunk was a measured cost.
 *
 * Per-connection bookkeeping is a plain object owned by this connection and only read or written
 * inside `Effect.sync` blocks, which run without interleaving; this keeps the per-audio-chunk path
 * free of extra effects. It is bounded: per-response entries go at `response.done`, audio entries
 * are capped to the most recent items.
 */
import { Clock, Effect, Exit, FiberRef, HashSet, LogLevel, Option, Queue, Tracer } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import { RealtimeConnectionLost, RealtimeProtocolError, RealtimeSendError } from "../../RealtimeError.js"
import * as Event from "../../RealtimeModelEvent.js"
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { EventHub } from "../eventHub.js"
import { decodeServerFrame } from "../protocol/serverEvents.js"
import type { ServerEvent } from "../protocol/serverEvents.js"
import type * as Wire from "../protocol/wire.js"
import * as Base64 from "./base64.js"
import * as Convert from "./convert.js"

/** How many recent audio items keep their received-audio tally (for truncation bounds). */
const audioItemsKept = 8

interface AudioItem {
  readonly key: string
  readonly itemId: string
  readonly contentIndex: number
  readonly responseId: string
  readonly firstArrivalMs: number
  receivedMs: number
}

/** What a connection remembers between frames. */
interface State {
  session: Wire.Session | null
  format: AudioFormat.AudioFormat
  /** The item the default tracker considers playing (the latest that received audio). */
  current: AudioItem | null
  readonly audioItems: Map<string, AudioItem>
  /** The response in flight: its id, `pending` between our response.create and response.created, or null. */
  inFlight: string | null
  pendingCreateEventId: string | null
  /** A response.create held back while another response is in flight. */
  queuedCreate: Record<string, unknown> | null
  interruptedResponses: HashSet.HashSet<string>
  readonly responseSpans: Map<string, Tracer.Span>
  eventCounter: number
}

const pending = "pending"
const keyOf = (itemId: string, contentIndex: number) => `${itemId}:${contentIndex}`

/** A message from the socket reader to the frame processor. */
export type Inbound =
  | { readonly _tag: "Frame"; readonly text: string }
  | { readonly _tag: "Closed"; readonly code: number | undefined; readonly reason: string | undefined }

/** What a connection is built from: the listener hub, the socket's writer and reader queue, the settings. */
export interface ConnectionOptions {
  readonly hub: EventHub
  readonly write: (text: string) => Effect.Effect<void>
  readonly inbound: Queue.Dequeue<Inbound>
  readonly settings: RealtimeSessionSettings
  readonly customTracker: PlaybackTrackerService | undefined
  readonly span: Tracer.Span
  /** Ends the connection after the server dropped it (publishes nothing itself). */
  readonly onLost: (error: RealtimeConnectionLost) => Effect.Effect<void>
}

/** A live connection: sends, the frame processor to run, and its clean-up. */
export interface Connection {
  readonly send: (event: RealtimeModelSendEvent) => Effect.Effect<void, RealtimeSendError>
  /** Processes inbound frames until the socket closes; run it in a fiber. */
  readonly process: Effect.Effect<void>
  /** Ends every open response span and drops the audio tallies. */
  readonly release: Effect.Effect<void>
  /** How much per-item and per-response state the connection holds now. */
  readonly bookkeeping: Effect.Effect<Bookkeeping>
}

/** Sizes of the connection's bookkeeping, which must stay bounded over a long session. */
export interface Bookkeeping {
  readonly audioItems: number
  readonly interruptedResponses: number
  readonly responseSpans: number
}

/** Builds the connection's state and behaviour; nothing runs until `process` is forked. */
export const make = (options: ConnectionOptions): Effect.Effect<Connection> =>
  Effect.gen(function*() {
    const { customTracker, hub } = options
    const control = yield* Effect.makeSemaphore(1)
    const state: State = {
      session: null,
      format: options.settings.outputAudioFormat ?? "pcm16",
      current: null,
      audioItems: new Map(),
      inFlight: null,
      pendingCreateEventId: null,
      queuedCreate: null,
      interruptedResponses: HashSet.empty(),
      responseSpans: new Map(),
      eventCounter: 0
    }

    const nextEventId = () => `evt_client_${++state.eventCounter}`
    const sendFrame = (frame: Record<string, unknown>) => options.write(JSON.stringify(frame))

    // ---- responses: never two response.create racing one in flight ----

    const requestResponse = (response?: Record<string, unknown>) =>
      Effect.suspend(() => {
        const frame: Record<string, unknown> = { type: "response.create", ...(response !== undefined ? { response } : {}) }
        if (state.inFlight !== null) {
          state.queuedCreate = frame
          return Effect.logDebug("response.create held until the response in flight is done")
        }
        const eventId = nextEventId()
        state.inFlight = pending
        state.pendingCreateEventId = eventId
        return sendFrame({ event_id: eventId, ...frame })
      })

    const releaseResponse = Effect.suspend(() => {
      state.inFlight = null
      state.pendingCreateEventId = null
      const queued = state.queuedCreate
      if (queued === null) return Effect.void
      state.queuedCreate = null
      const response = queued["response"]
      return requestResponse(typeof response === "object" && response !== null ? response as Record<string, unknown> : undefined)
    })

    const cancelResponse = (responseId: string | null) =>
      Effect.suspend(() => {
        // nothing to cancel: no response in flight (the server would answer with an error)
        if (state.inFlight === null) return Effect.void
        if (responseId !== null && state.inFlight !== responseId && state.inFlight !== pending) return Effect.void
        const target = responseId ?? (state.inFlight === pending ? null : state.inFlight)
        return sendFrame({ type: "response.cancel", ...(target !== null ? { response_id: target } : {}) })
      })

    // ---- barge-in ----

    interface Playing {
      readonly itemId: string
      readonly contentIndex: number
      readonly elapsedMs: number
    }

    const playing: Effect.Effect<Option.Option<Playing>> = customTracker !== undefined
      ? Effect.map(customTracker.getState, (s) =>
        s.currentItemId === null || s.elapsedMs === null
          ? Option.none()
          : Option.some({ itemId: s.currentItemId, contentIndex: s.currentItemContentIndex ?? 0, elapsedMs: s.elapsedMs }))
      : Effect.map(Clock.currentTimeMillis, (now) =>
        state.current === null ? Option.none() : Option.some({
          itemId: state.current.itemId,
          contentIndex: state.current.contentIndex,
          elapsedMs: Math.max(0, now - state.current.firstArrivalMs)
        }))

    const resetTrackers = Effect.zipRight(
      Effect.sync(() => {
        state.current = null
      }),
      customTracker?.onInterrupted ?? Effect.void
    )

    const interrupt = (event: Interrupt) =>
      control.withPermits(1)(Effect.gen(function*() {
        if (event.cancelResponseOnly) return yield* cancelResponse(event.responseId)
        const scoped = event.responseId !== null
        const inFlightAtStart = state.inFlight
        const position = yield* playing
        let playingResponse: string | null = null
        if (Option.isSome(position)) {
          const { contentIndex, elapsedMs, itemId } = position.value
          const audio = state.audioItems.get(keyOf(itemId, contentIndex))
          playingResponse = audio?.responseId ?? null
          const belongs = !scoped || (audio !== undefined && audio.responseId === event.responseId)
          if (belongs) {
            yield* hub.publish(Event.AudioInterrupted.make({ itemId, contentIndex }, true))
            const receivedMs = audio === undefined ? undefined : Math.ceil(audio.receivedMs)
            const heardMs = Math.max(0, Math.floor(elapsedMs))
            const responseInFlight = inFlightAtStart !== null && !event.playbackOnly
            if (responseInFlight || receivedMs === undefined || heardMs < receivedMs) {
              yield* sendFrame({
                type: "conversation.item.truncate",
                item_id: itemId,
                content_index: contentIndex,
                audio_end_ms: receivedMs === undefined ? heardMs : Math.min(heardMs, receivedMs)
              })
            }
            yield* resetTrackers
          }
        }
        // Audio of the interrupted response (the one named, else the one playing, else the one in
        // flight) still on its way is dropped until its response.done. Only a response still in
        // flight is remembered: a finished one sends no more audio, and remembering it would leak.
        const interrupted = event.responseId ?? playingResponse ?? inFlightAtStart
        if (interrupted !== null && interrupted !== pending && interrupted === state.inFlight) {
          state.interruptedResponses = HashSet.add(state.interruptedResponses, interrupted)
        }
        if (!event.playbackOnly && (event.forceResponseCancel || !Convert.autoCancels(state.session))) {
          yield* cancelResponse(event.responseId)
        }
      }))

    // ---- send events → client frames ----

    const send = (event: RealtimeModelSendEvent): Effect.Effect<void, RealtimeSendError> => {
      switch (event._tag) {
        case "RawMessage": {
          const frame: Record<string, unknown> = { ...event.otherData, type: event.type }
          if (event.type === "response.create") {
            const response = frame["response"]
            return requestResponse(typeof response === "object" && response !== null ? response as Record<string, unknown> : undefined)
          }
          return sendFrame(frame)
        }
        case "UserInput":
          return Effect.zipRight(
            sendFrame({ type: "conversation.item.create", item: Convert.userMessageToWire(event.userInput) }),
            requestResponse()
          )
        case "SendAudio":
          return Effect.zipRight(
            sendFrame({ type: "input_audio_buffer.append", audio: Base64.encode(event.audio) }),
            event.commit ? sendFrame({ type: "input_audio_buffer.commit" }) : Effect.void
          )
        case "ToolOutput":
          return Effect.zipRight(
            sendFrame({ type: "conversation.item.create", item: Convert.toolOutputToWire(event.toolCall, event.output) }),
            event.startResponse ? requestResponse() : Effect.void
          )
        case "Interrupt":
          return interrupt(event)
        case "SessionUpdate":
          return sendFrame({ type: "session.update", session: Convert.sessionToWire(event.sessionSettings, false) })
      }
    }

    // ---- server events → model events ----

    const onSession = (session: Wire.Session) =>
      Effect.suspend(() => {
        state.session = session
        const format = Convert.outputFormatOf(session)
        if (Option.isNone(format)) return Effect.void
        state.format = format.value
        return customTracker?.setAudioFormat(format.value) ?? Effect.void
      })

    const onAudio = (event: Extract<ServerEvent, { type: "response.output_audio.delta" }>, now: number): Option.Option<Event.RealtimeModelEvent> => {
      if (HashSet.has(state.interruptedResponses, event.response_id)) return Option.none()
      const data = Base64.decode(event.delta)
      const key = keyOf(event.item_id, event.content_index)
      let audio = state.audioItems.get(key)
      if (audio === undefined) {
        audio = { key, itemId: event.item_id, contentIndex: event.content_index, responseId: event.response_id, firstArrivalMs: now, receivedMs: 0 }
        state.audioItems.set(key, audio)
        if (state.audioItems.size > audioItemsKept) {
          const oldest = state.audioItems.keys().next()
          if (oldest.done !== true) state.audioItems.delete(oldest.value)
        }
      }
      audio.receivedMs += AudioFormat.durationMs(state.format, data.byteLength)
      state.current = audio
      return Option.some(Event.Audio.make({
        data,
        responseId: event.response_id,
        itemId: event.item_id,
        contentIndex: event.content_index
      }, true))
    }

    const onResponseCreated = (responseId: string | null) =>
      Effect.gen(function*() {
        if (responseId !== null) {
          state.inFlight = responseId
          state.pendingCreateEventId = null
          const span = yield* Effect.makeSpan("OpenAIRealtime.response", {
            parent: options.span,
            attributes: { "realtime.response_id": responseId, "realtime.session_id": state.session?.id ?? "" }
          })
          state.responseSpans.set(responseId, span)
        }
      })

    const onResponseDone = (responseId: string | null) =>
      Effect.gen(function*() {
        if (responseId !== null) {
          state.interruptedResponses = HashSet.remove(state.interruptedResponses, responseId)
          const span = state.responseSpans.get(responseId)
          if (span !== undefined) {
            state.responseSpans.delete(responseId)
            span.end(BigInt(yield* Clock.currentTimeNanos), Exit.void)
          }
        }
        if (state.inFlight === null || state.inFlight === pending || state.inFlight === responseId) {
          yield* releaseResponse
        }
      })

    const onError = (code: string | null | undefined, eventId: string | null | undefined) =>
      Effect.suspend(() => {
        if (code === "conversation_already_has_active_response" && state.inFlight === pending) {
          // the server had a response we did not know of: wait for its response.done, then ask again
          state.queuedCreate = { type: "response.create" }
          state.inFlight = "unknown-active"
          return Effect.void
        }
        if (eventId != null && eventId === state.pendingCreateEventId) return releaseResponse
        return Effect.void
      })

    /** Maps one decoded event; effects that must run in order come back as `effect`. */
    const mapEvent = (
      event: ServerEvent,
      json: Record<string, unknown>,
      now: number,
      out: Array<Event.RealtimeModelEvent>
    ): Effect.Effect<void> | undefined => {
      switch (event.type) {
        case "response.output_audio.delta": {
          const audio = onAudio(event, now)
          if (Option.isSome(audio)) out.push(audio.value)
          return undefined
        }
        case "response.output_audio_transcript.delta":
          if (!HashSet.has(state.interruptedResponses, event.response_id)) {
            out.push(Event.TranscriptDelta.make({ itemId: event.item_id, delta: event.delta, responseId: event.response_id }, true))
          }
          return undefined
        case "response.output_text.delta":
          out.push(Event.OutputTextDelta.make({ itemId: event.item_id, delta: event.delta, responseId: event.response_id }, true))
          return undefined
        case "response.output_audio.done":
          out.push(Event.AudioDone.make({ itemId: event.item_id, contentIndex: event.content_index }, true))
          return undefined
        case "response.created": {
          const id = event.response.id ?? null
          out.push(Event.TurnStarted.make({ responseId: id }, true))
          return onResponseCreated(id)
        }
        case "response.done": {
          const id = event.response.id ?? null
          out.push(Event.TurnEnded.make({ responseId: id }, true))
          if (event.response.usage != null) out.push(Event.UsageUpdated.make({ usage: Convert.usageFromWire(event.response.usage) }, true))
          return onResponseDone(id)
        }
        case "conversation.item.added":
        case "conversation.item.created":
        case "conversation.item.done":
        case "conversation.item.retrieved":
        case "response.output_item.added":
        case "response.output_item.done": {
          const previous = "previous_item_id" in event ? event.previous_item_id ?? null : null
          const item = Convert.itemFromWire(event.item, previous)
          if (Option.isSome(item)) out.push(Event.ItemUpdated.make({ item: item.value }, true))
          if (
            event.type === "response.output_item.done" && Option.isSome(item) && item.value._tag === "ToolCall" &&
            item.value.status === "completed"
          ) {
            out.push(Event.FunctionCall.make({
              name: item.value.name,
              callId: item.value.callId ?? "",
              arguments: item.value.arguments,
              itemId: item.value.itemId,
              previousItemId: item.value.previousItemId
            }, true))
          }
          return undefined
        }
        case "conversation.item.deleted":
          out.push(Event.ItemDeleted.make({ itemId: event.item_id }, true))
          return undefined
        case "conversation.item.input_audio_transcription.completed":
          out.push(Event.InputAudioTranscriptionCompleted.make({ itemId: event.item_id, transcript: event.transcript }, true))
          return undefined
        case "input_audio_buffer.timeout_triggered":
          out.push(Event.InputAudioTimeoutTriggered.make({
            itemId: event.item_id,
            audioStartMs: event.audio_start_ms,
            audioEndMs: event.audio_end_ms
          }, true))
          return undefined
        case "input_audio_buffer.speech_started":
          out.push(Event.Other.make({ data: json }, true))
          return interrupt({ _tag: "Interrupt", forceResponseCancel: false, responseId: null, cancelResponseOnly: false, playbackOnly: false })
            .pipe(Effect.catchAll((error) => Effect.logWarning("barge-in could not be completed", error)))
        case "session.created":
        case "session.updated":
          out.push(Event.Other.make({ data: json }, true))
          return onSession(event.session)
        case "error":
          out.push(Event.ErrorEvent.make({ error: json["error"] }, true))
          return onError(event.error.code, event.error.event_id)
        default:
          out.push(Event.Other.make({ data: json }, true))
          return undefined
      }
    }

    const handleFrame = (
      text: string,
      now: number,
      debug: boolean,
      out: Array<Event.RealtimeModelEvent>
    ): Effect.Effect<void> | undefined => {
      const frame = decodeServerFrame(text)
      out.push(Event.RawServerEvent.make({ data: frame.json }, true))
      switch (frame._tag) {
        case "Known": {
          const effect = mapEvent(frame.event, frame.json, now, out)
          if (!debug) return effect
          const log = Effect.logDebug(
            frame.event.type === "response.output_audio.delta"
              ? `server event ${frame.event.type} (${frame.event.delta.length} base64 chars elided)`
              : `server event ${frame.event.type}`
          )
          return effect === undefined ? log : Effect.zipRight(log, effect)
        }
        case "Unknown":
          out.push(Event.Other.make({ data: frame.json }, true))
          return debug ? Effect.logDebug(`unknown server event ${frame.type}`) : undefined
        case "Malformed":
          out.push(Event.Exception.make({
            cause: new RealtimeProtocolError({ ...(frame.type !== undefined ? { eventType: frame.type } : {}), message: frame.message }),
            context: frame.type === undefined ? "decoding a server frame" : `decoding a ${frame.type} event`
          }, true))
          return Effect.logWarning(frame.message)
      }
    }

    const processBatch = (batch: Iterable<Inbound>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const debug = LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
        let out: Array<Event.RealtimeModelEvent> = []
        for (const inbound of batch) {
          if (inbound._tag === "Closed") {
            if (out.length > 0) yield* hub.publishAll(out)
            out = []
            yield* options.onLost(
              new RealtimeConnectionLost({
                ...(inbound.code !== undefined ? { code: inbound.code } : {}),
                ...(inbound.reason !== undefined ? { reason: inbound.reason } : {}),
                message: `the server closed the connection${inbound.code !== undefined ? ` (code ${inbound.code}` : ""}${
                  inbound.reason ? `: ${inbound.reason})` : inbound.code !== undefined ? ")" : ""
                }`
              })
            )
            return false
          }
          const effect = handleFrame(inbound.text, now, debug, out)
          if (effect !== undefined) {
            if (out.length > 0) yield* hub.publishAll(out)
            out = []
            yield* effect
          }
        }
        if (out.length > 0) yield* hub.publishAll(out)
        return true
      })

    const process: Effect.Effect<void> = Effect.gen(function*() {
      let open = true
      while (open) {
        const batch = yield* Queue.takeBetween(options.inbound, 1, 256)
        open = yield* processBatch(batch)
      }
    })

    const release = Effect.gen(function*() {
      const now = BigInt(yield* Clock.currentTimeNanos)
      for (const span of state.responseSpans.values()) span.end(now, Exit.void)
      state.responseSpans.clear()
      state.audioItems.clear()
      state.current = null
    })

    const bookkeeping = Effect.sync((): Bookkeeping => ({
      audioItems: state.audioItems.size,
      interruptedResponses: HashSet.size(state.interruptedResponses),
      responseSpans: state.responseSpans.size
    }))

    return { send, process, release, bookkeeping }
  })

/** Re-exported for the model: a send that arrived with no connection. */
export const notConnected = (event: RealtimeModelSendEvent, closed: boolean) =>
  new RealtimeSendError({
    reason: closed ? "Closed" : "NotConnected",
    eventTag: event._tag,
    message: closed ? "the connection is closed; connect again to send" : "the model is not connected: call connect first"
  })
