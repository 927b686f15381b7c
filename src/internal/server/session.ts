/**
 * One client connection of the embedded server: the GA protocol's session, input audio buffer with
 * energy-based voice activity detection, conversation and responses, as the real service behaves
 * for this subset, with the real error codes.
 *
 * The connection's state is owned by its fibers (the one reading client frames and the one
 * streaming the current response). JavaScript runs one of them at a time and each state change is
 * a synchronous step between two effects, so no change is ever seen half made.
 */
import { Clock, Effect, Fiber, Queue, Result } from "effect"
import type { Duration, Scope } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as Codec from "../audio/Codec.js"
import { decodeClientFrame } from "../protocol/clientEvents.js"
import * as Base64 from "../realtime/base64.js"
import { clientItem, Conversation, entry } from "./conversation.js"
import type { CoreSettings } from "./core.js"
import * as ConnectionFaults from "./faults.js"
import * as Input from "./inputAudio.js"
import * as Newer from "./newer.js"
import {
  defaultSession,
  formatOf,
  type Json,
  mergeSession,
  record,
  reported,
  responseObject,
  transcribes,
  turnDetectionOf
} from "./objects.js"
import * as Outbox from "./outbox.js"
import * as Response from "./response.js"
import * as Vad from "./vad.js"

/** What one connection needs: its server's configuration, the server's ids, and its socket. */
export interface SessionOptions extends CoreSettings {
  readonly model: string
  /** Sends one text frame. */
  readonly send: (text: string) => Effect.Effect<void>
  /** Drops the connection without a close handshake. */
  readonly terminate: Effect.Effect<void>
  /** Starts the close handshake with this code and reason, after the frames sent before it. */
  readonly close: (code: number, reason: string) => Effect.Effect<void>
  /** The session's maximum duration on the Clock: then it ends with `session_expired` and close 1001. */
  readonly durationLimit?: Duration.Duration | undefined
  /** When the session started (the upgrade was accepted), in Clock milliseconds; default: now. */
  readonly startedAt?: number | undefined
  /** The session configuration a SIP call was accepted with, applied over the defaults. */
  readonly accepted?: Json | undefined
  /** Controls from outside (DTMF digits of a call), sent as they come, each frame whole. */
  readonly controls?: Queue.Dequeue<Newer.Control> | undefined
}

interface ActiveResponse {
  readonly id: string
  readonly fiber: Fiber.Fiber<void>
  readonly output: Array<Json>
  readonly context: Response.ResponseContext
}

/** Audio shorter than this cannot be committed. */
const minimumCommitMs = 100

/**
 * Runs one connection: announces the session, then handles each batch of client frames that
 * `receive` yields, until it fails (the socket closed). Responses run in fibers of the scope.
 */
export const run = <E>(
  receive: Effect.Effect<ReadonlyArray<string>, E>,
  options: SessionOptions
): Effect.Effect<never, E, Scope.Scope> =>
  Effect.gen(function*() {
    const { nextId } = options
    const outbox = yield* Outbox.make({
      faults: options.faults,
      send: options.send,
      terminate: options.terminate,
      /** Each server event is stamped with an event id. */
      encode: (event) => Effect.map(nextId("event"), (eventId) => JSON.stringify({ event_id: eventId, ...event })),
      unknownFrame: Effect.map(
        nextId("event"),
        (eventId) => JSON.stringify({ type: "server.future_feature", event_id: eventId, detail: "unknown to clients" })
      )
    })
    const emit = outbox.emit

    const error = (message: string, code: string, eventId: string | undefined, param: string | null = null) =>
      emit({ type: "error", error: { type: "invalid_request_error", code, message, param, event_id: eventId ?? null } })

    const startedAt = options.startedAt ?? (yield* Clock.currentTimeMillis)
    const limit = options.durationLimit
    const merged = mergeSession(defaultSession(yield* nextId("sess"), options.model), options.accepted ?? {})
    let session = limit === undefined ? merged : { ...merged, expires_at: ConnectionFaults.expiresAt(startedAt, limit) }
    // what the connection's responses used, for `rate_limits.updated`
    let used = Newer.unused
    /** Ends a response: its `response.done`, then the rate limits it leaves. */
    const done = (response: Json, usageValue: Json | null) =>
      Effect.gen(function*() {
        yield* emit({ type: "response.done", response })
        used = Newer.afterResponse(used, usageValue)
        yield* emit(Newer.rateLimitsEvent(used))
      })
    const conversation = new Conversation()
    let active: ActiveResponse | null = null
    // the input audio buffer, as 16-bit samples at the input format's rate
    const input = new Input.InputAudio()
    // the item a VAD commit will create, announced when speech starts
    let vadItemId = yield* nextId("item")

    const addItem = (item: Json, previousId: string | null) =>
      Effect.gen(function*() {
        const id = typeof item["id"] === "string" ? item["id"] : yield* nextId("item")
        const stored = { ...item, id, object: "realtime.item", status: item["status"] ?? "completed" }
        const previous = conversation.insert(entry(stored), previousId)
        yield* emit({ type: "conversation.item.added", previous_item_id: previous, item: stored })
        yield* emit({ type: "conversation.item.done", previous_item_id: previous, item: stored })
      })

    const startResponse = (eventId: string | undefined) =>
      Effect.gen(function*() {
        if (active !== null) {
          return yield* error(
            `Conversation already has an active response in progress: ${active.id}. Wait until the response is finished before creating a new one.`,
            "conversation_already_has_active_response",
            eventId
          )
        }
        const id = yield* nextId("resp")
        const output: Array<Json> = []
        const created = session
        yield* emit({ type: "response.created", response: responseObject(created, id, "in_progress", [], null) })
        const context: Response.ResponseContext = {
          emit,
          nextId,
          conversation,
          session: created,
          pacing: options.pacing,
          rules: options.rules,
          defaultReply: options.defaultReply,
          sent: { textChars: 0, audioMs: 0 }
        }
        const fiber = yield* Response.stream(context, id, output).pipe(
          Effect.flatMap((usageValue) =>
            Effect.suspend(() => {
              active = null
              return done(responseObject(created, id, "completed", output, usageValue), usageValue)
            })
          ),
          Effect.withSpan("RealtimeServer.response", { attributes: { "realtime.response_id": id } }),
          Effect.forkScoped
        )
        active = { id, fiber, output, context }
      })

    /** Cancels the active response; the cancelled `response.done` still reports usage. */
    const cancelResponse = (eventId: string | undefined, reportMissing: boolean) =>
      Effect.gen(function*() {
        const current = active
        if (current === null) {
          if (reportMissing) {
            yield* error("Cancellation failed: no active response found", "response_cancel_not_active", eventId)
          }
          return
        }
        active = null
        yield* Fiber.interrupt(current.fiber)
        // the usage counts what went out before the cancel
        const usageValue = Response.usageOf(current.context)
        yield* done(responseObject(session, current.id, "cancelled", current.output, usageValue), usageValue)
      })

    /** Commits the buffer as a user audio item; false when it held too little audio. */
    const commitBuffer = (eventId: string | undefined, viaVad: boolean) =>
      Effect.gen(function*() {
        if (input.ms < minimumCommitMs) {
          if (!viaVad) {
            yield* error(
              `Error committing input audio buffer: buffer too small. Expected at least ${minimumCommitMs}ms of audio, but buffer only has ${
                input.ms.toFixed(2)
              }ms of audio.`,
              "input_audio_buffer_commit_empty",
              eventId
            )
          }
          return false
        }
        const { ms, samples } = input.take()
        const itemId = viaVad ? vadItemId : yield* nextId("item")
        vadItemId = yield* nextId("item")
        yield* emit({ type: "input_audio_buffer.committed", previous_item_id: conversation.lastId(), item_id: itemId })
        yield* addItem({ id: itemId, type: "message", role: "user", content: [{ type: "input_audio" }] }, null)
        if (transcribes(session)) {
          const transcript = options.transcribe(samples, ms)
          const item = conversation.find(itemId)
          if (item !== undefined) {
            conversation.update(itemId, { ...item.item, content: [{ type: "input_audio", transcript }] })
          }
          yield* Effect.forEach(Newer.transcriptionEvents(session, itemId, transcript, ms), emit, { discard: true })
        }
        return true
      })

    /** Buffers appended audio, running server VAD over it when the session uses it. */
    const onAudio = (samples: Int16Array, rate: number) => {
      const settings = Vad.settingsOf(turnDetectionOf(session))
      return Input.feed(input, samples, rate, settings, {
        started: (audioStartMs) =>
          Effect.gen(function*() {
            yield* emit({ type: "input_audio_buffer.speech_started", audio_start_ms: audioStartMs, item_id: vadItemId })
            if (active !== null && settings?.interruptResponse === true) yield* cancelResponse(undefined, false)
          }),
        stopped: (audioEndMs) =>
          Effect.gen(function*() {
            yield* emit({ type: "input_audio_buffer.speech_stopped", audio_end_ms: audioEndMs, item_id: vadItemId })
            const committed = yield* commitBuffer(undefined, true)
            if (committed && settings?.createResponse === true) yield* startResponse(undefined)
          })
      })
    }

    /** Cuts an assistant item's audio at what the client played; the transcript keeps what was heard. */
    const truncate = (itemId: string, contentIndex: number, audioEndMs: number, eventId: string | undefined) =>
      Effect.gen(function*() {
        const found = conversation.find(itemId)
        if (found === undefined || found.item["role"] !== "assistant") {
          return yield* error(
            `Item with item_id not found or not an assistant message: ${itemId}`,
            "item_truncate_invalid_item_id",
            eventId,
            "item_id"
          )
        }
        if (contentIndex !== 0) {
          return yield* error("Only content_index 0 holds audio", "invalid_value", eventId, "content_index")
        }
        if (audioEndMs > Math.ceil(found.audioSentMs)) {
          return yield* error(
            `Audio content of ${Math.round(found.audioSentMs)}ms is shorter than ${audioEndMs}ms`,
            "invalid_value",
            eventId,
            "audio_end_ms"
          )
        }
        const heard = Array.from(found.text).slice(0, Math.floor(audioEndMs / options.pacing.msPerChar)).join("")
        found.heard = heard
        conversation.update(itemId, { ...found.item, content: [{ type: "output_audio", transcript: heard }] })
        yield* emit({
          type: "conversation.item.truncated",
          item_id: itemId,
          content_index: contentIndex,
          audio_end_ms: audioEndMs
        })
      })

    /** Handles one client frame; a frame that fails its schema is answered with `invalid_request_error`. */
    const handle = (text: string) =>
      Effect.gen(function*() {
        const decoded = decodeClientFrame(text)
        if (Result.isFailure(decoded)) {
          return yield* error(decoded.failure.message, "invalid_value", decoded.failure.eventId)
        }
        const event = decoded.success
        const eventId = event.event_id
        switch (event.type) {
          case "session.update":
            // when the session expires is the server's to say
            session = { ...mergeSession(session, record(event.session)), expires_at: session["expires_at"] }
            return yield* emit({ type: "session.updated", session: reported(session) })
          case "input_audio_buffer.append": {
            const format = formatOf(session, "input")
            return yield* onAudio(Codec.decode(format, Base64.decode(event.audio)), AudioFormat.sampleRate(format))
          }
          case "input_audio_buffer.commit":
            yield* commitBuffer(eventId, false)
            return
          case "input_audio_buffer.clear":
            input.clear()
            return yield* emit({ type: "input_audio_buffer.cleared" })
          case "output_audio_buffer.clear":
            return yield* emit({ type: "output_audio_buffer.cleared", response_id: active?.id ?? null })
          case "conversation.item.create": {
            const item = clientItem(event.item)
            const previous = event.previous_item_id ?? null
            const refused = conversation.refusesToCreate(item, previous)
            if (refused !== undefined) return yield* error(refused.message, refused.code, eventId, refused.param)
            return yield* addItem(item, previous)
          }
          case "conversation.item.delete":
            if (!conversation.remove(event.item_id)) {
              return yield* error(
                `Item with item_id not found: ${event.item_id}`,
                "item_delete_invalid_item_id",
                eventId,
                "item_id"
              )
            }
            return yield* emit({ type: "conversation.item.deleted", item_id: event.item_id })
          case "conversation.item.retrieve": {
            const found = conversation.find(event.item_id)
            if (found === undefined) {
              return yield* error(
                `Item with item_id not found: ${event.item_id}`,
                "item_retrieve_invalid_item_id",
                eventId,
                "item_id"
              )
            }
            return yield* emit({ type: "conversation.item.retrieved", item: found.item })
          }
          case "conversation.item.truncate":
            return yield* truncate(event.item_id, event.content_index, event.audio_end_ms, eventId)
          case "response.create":
            return yield* startResponse(eventId)
          case "response.cancel":
            return yield* cancelResponse(eventId, true)
        }
      })

    if (limit !== undefined) {
      const end = ConnectionFaults.expiry(limit)
      // the error, then the close, with no event of a response in between
      const expire = Effect.gen(function*() {
        yield* Effect.logDebug("the session hit its maximum duration")
        yield* outbox.emitHeld(end.error)
        yield* outbox.end
        yield* options.close(end.code, end.reason)
      }).pipe(outbox.exclusive)
      yield* Effect.forkScoped(ConnectionFaults.expireAt(startedAt, limit, expire), { startImmediately: true })
    }
    yield* emit({ type: "session.created", session: reported(session) })
    const controls = options.controls
    if (controls !== undefined) {
      yield* Effect.forkScoped(Effect.forever(
        Effect.flatMap(Queue.take(controls), (control) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.forEach(Newer.dtmfEvents(control.digits, now), emit, { discard: true })))
      ))
    }
    return yield* Effect.forever(
      Effect.flatMap(receive, (frames) =>
        Effect.forEach(frames, handle, { discard: true }))
    )
  }).pipe(Effect.annotateLogs({ service: "RealtimeServer" }))
