/**
 * One OpenAI Live connection of the embedded server, as `/v1/live/sessions` behaves for this
 * subset: `session.start` first (a new session's model and configuration, or a fork's overrides of
 * the stored session it continues), answered by `session.started` with the session's id and
 * `expires_at`; then the Live model (`model.ts`) hears the user's audio and typed words, speaks,
 * delegates, and takes its delegations' answers. Each appended context is acknowledged
 * (`session.*.appended`), a `session.update` of the backend by `session.updated`. A frame the
 * server cannot read, an unknown event, or a command the session refuses is answered with an
 * `error` event, and the session goes on. The session ends with `session.closed` (its reason and
 * usage) and a close: on `session.close` (`close_requested`), at the duration limit (`expired`),
 * or when a test ends it. A session started with `store: true` is kept, up to date, for forks.
 *
 * The session's state is owned by its fibers (the one reading client frames and the model's
 * speech). JavaScript runs one at a time and each change is a synchronous step between effects.
 */
import { Clock, Effect } from "effect"
import type { Duration, Scope } from "effect"
import type * as Socket from "effect/socket/Socket"
import * as Codec from "../../audio/Codec.js"
import { typedOf } from "../../openaiLive/send.js"
import * as Base64 from "../../realtime/base64.js"
import type { Io } from "../connection.js"
import { Conversation } from "../conversation.js"
import type { CoreSettings } from "../core.js"
import * as ConnectionFaults from "../faults.js"
import * as Outbox from "../outbox.js"
import * as Model from "./model.js"
import type { ClosedReason, Registry, Stored } from "./registry.js"
import * as Start from "./start.js"
import * as Wire from "./wire.js"

/** What one Live connection needs. */
export interface LiveOptions extends CoreSettings {
  readonly io: Io
  readonly registry: Registry
  /** The stored session a fork continues; none for a new session. */
  readonly fork: Stored | undefined
  /** The session's duration limit on the Clock: then `session.closed` with `expired`. */
  readonly durationLimit: Duration.Duration
  /** When the connection started, in Clock milliseconds: the session timeline's zero. */
  readonly startedAt: number
}

/** The longest audio fixture: 30 seconds of 24 kHz PCM16. */
const fixtureMaxBytes = 30 * 24_000 * 2

type Event<Type extends Wire.ClientEvent["type"]> = Extract<Wire.ClientEvent, { readonly type: Type }>

interface Started {
  resource: Wire.SessionResource
  readonly model: Model.Model
}

/** Who takes the model's tasks, from the session's configuration. */
const delegationOf = (resource: Wire.SessionResource): Model.Delegation =>
  resource.delegation?.type === "responses"
    ? { _tag: "Responses", model: resource.delegation.responses.model }
    : { _tag: "Client" }

/** Runs one connection until its socket ends. */
export const run = (options: LiveOptions): Effect.Effect<void, Socket.SocketError, Scope.Scope> =>
  Effect.gen(function*() {
    const { io, nextId, registry } = options
    const scope = yield* Effect.scope
    const outbox = yield* Outbox.make<Wire.ServerFrame>({
      ...io,
      faults: options.faults,
      encode: (frame) => Effect.map(nextId("event"), (eventId) => JSON.stringify({ event_id: eventId, ...frame })),
      unknownFrame: Effect.succeed(JSON.stringify({ type: "session.future_feature", detail: "unknown to clients" }))
    })
    const emit = outbox.emit
    const timeline = Effect.map(Clock.currentTimeMillis, (now) => now - options.startedAt)
    // once closing, frames are not read and nothing more is sent
    let closing = false
    let live: Started | undefined
    let appended = ""
    /** The parts of a typed user message that came so far (a long one comes in several appends). */
    let typedParts: Array<string> = []
    let muted = false
    let conversation = new Conversation()

    const echo = (eventId: string | undefined) => eventId === undefined ? {} : { client_event_id: eventId }
    const error = (refusal: Model.Refusal, eventId: string | undefined) =>
      emit({
        type: "error",
        error: { type: "invalid_request_error", ...refusal, ...echo(eventId) },
        ...echo(eventId)
      })

    /** Closes with `code`, after `last` (the session's `session.closed`, or a refusal). */
    const closeWith = (code: number, last: Effect.Effect<void>) =>
      outbox.exclusive(Effect.suspend(() => {
        if (closing) return Effect.void
        closing = true
        return last.pipe(Effect.andThen(outbox.end), Effect.andThen(io.close(code, "")))
      }))

    /** Ends the session: `session.closed` with its reason and usage (once started), then the close. */
    const end = (reason: ClosedReason) =>
      closeWith(
        1000,
        Effect.suspend(() =>
          live === undefined ? Effect.void : outbox.emitHeld({
            type: "session.closed",
            reason,
            session: live.resource,
            usage: { seconds: live.model.audioMs() / 1000 }
          })
        )
      )

    /** Refuses the start: the `error`, then close 1008. */
    const refuseStart = (refusal: Model.Refusal, eventId: string | undefined) =>
      Effect.andThen(error(refusal, eventId), closeWith(1008, Effect.void))

    const persist = Effect.suspend(() =>
      live?.resource.store === true
        ? registry.store({ resource: live.resource, instructions: appended, entries: conversation.snapshot() })
        : Effect.void
    )

    const start = (event: Event<"session.start">) =>
      Effect.gen(function*() {
        const given = event.session
        const eventId = event.event_id ?? undefined
        const named = {
          id: yield* nextId("sess"),
          expires_at: ConnectionFaults.expiresAt(options.startedAt, options.durationLimit)
        }
        const fork = options.fork
        const planned = Start.plan(given, named, fork)
        if (planned._tag === "Refused") return yield* refuseStart(planned.refusal, eventId)
        const { resource } = planned
        conversation = planned.conversation
        appended = planned.instructions
        const model = Model.make({
          ...options,
          emit,
          conversation,
          format: Wire.formatOf(resource.audio?.format),
          timeline,
          delegation: () => live === undefined ? { _tag: "Client" } : delegationOf(live.resource),
          instructionChars: () => (live?.resource.instructions ?? "").length + appended.length,
          changed: persist
        }, scope)
        live = { resource, model }
        yield* registry.register({ end })
        yield* Effect.addFinalizer(() => persist)
        yield* emit({ type: "session.started", session: resource, ...echo(eventId) })
        yield* persist
        yield* Effect.logDebug("Live session started").pipe(
          Effect.annotateLogs({ model: resource.model, forked: fork !== undefined })
        )
      })

    /** `session.update`: the delegation's settings change (never its type), and the triggers. */
    const update = (started: Started, event: Event<"session.update">, eventId: string | undefined) =>
      Effect.gen(function*() {
        const change = event.session.delegation
        const current = started.resource.delegation ?? { type: "client" as const }
        let delegation = current
        if (change !== undefined) {
          if ((change?.type ?? "client") !== current.type) {
            return yield* error({
              code: "invalid_value",
              message: "The delegation type cannot change.",
              param: "session.delegation.type"
            }, eventId)
          }
          const delay = change?.acknowledgement_delay_ms === undefined
            ? {}
            : { acknowledgement_delay_ms: change.acknowledgement_delay_ms }
          delegation = current.type === "responses"
            ? {
              ...current,
              ...delay,
              responses: { ...current.responses, ...(change?.type === "responses" ? change.responses : {}) }
            }
            : { ...current, ...delay }
        }
        started.resource = { ...started.resource, delegation }
        yield* emit({ type: "session.updated", session: started.resource, ...echo(eventId) })
        yield* persist
      })

    type AppendType = "session.instructions.append" | "session.thinking.append" | "session.commentary.append"
    const acknowledged = {
      "session.instructions.append": "session.instructions.appended",
      "session.thinking.append": "session.thinking.appended",
      "session.commentary.append": "session.commentary.appended"
    } as const

    /** An append: acknowledged, then what it asks of the model; under a delegation id, that delegation's answer. */
    const appendContext = (started: Started, event: Event<AppendType>, eventId: string | undefined) =>
      Effect.gen(function*() {
        const { model } = started
        if (model.playing()) {
          return yield* error({
            code: "invalid_value",
            message: `${event.type} is rejected while an audio fixture is active.`
          }, eventId)
        }
        const delegationId = event.delegation_id
        if (delegationId !== null && started.resource.delegation?.type === "responses") {
          return yield* error({
            code: "invalid_value",
            message: "Non-null delegation IDs are not accepted with Responses delegation.",
            param: "delegation_id"
          }, eventId)
        }
        const now = yield* timeline
        const ack = emit({ type: acknowledged[event.type], start_ms: now, end_ms: now, ...echo(eventId) })
        if (delegationId !== null) {
          const refused = yield* model.answerDelegation(
            delegationId,
            event.content,
            event.type === "session.commentary.append",
            ack
          )
          return yield* (refused === undefined ? Effect.void : error(refused, eventId))
        }
        yield* ack
        if (event.type === "session.commentary.append") return yield* model.say(event.content)
        const typed = event.type === "session.instructions.append" ? typedOf(event.content) : undefined
        if (typed !== undefined) {
          // a message in parts is the user's turn once its last part came
          if (typed.index === 1) typedParts = []
          typedParts.push(typed.text)
          if (typed.index < typed.of) return
          const text = typedParts.join(" ")
          typedParts = []
          return yield* model.typed(text)
        }
        appended += `${event.content}\n`
        yield* persist
      })

    /** `response.item.create`: a backend call's output. */
    const itemCreate = (started: Started, event: Event<"response.item.create">, eventId: string | undefined) =>
      Effect.gen(function*() {
        const { item } = event
        if (started.resource.delegation?.type !== "responses") {
          return yield* error(
            { code: "invalid_value", message: "response.item.create requires Responses delegation." },
            eventId
          )
        }
        if (item.type !== "function_call_output" || item.call_id === undefined) {
          return yield* error({
            code: "invalid_value",
            message: `Items of type '${item.type}' are not accepted by this server's backend.`,
            param: "item.type"
          }, eventId)
        }
        const output = typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? "")
        const refused = yield* started.model.callOutput(item.call_id, output)
        if (refused !== undefined) yield* error(refused, eventId)
      })

    /** `session.output_audio.fixture.play`: at most 30 seconds of 24 kHz PCM16, checked whole before it plays. */
    const fixture = (
      started: Started,
      event: Event<"session.output_audio.fixture.play">,
      eventId: string | undefined
    ) =>
      Effect.gen(function*() {
        const bytes = Base64.decode(event.audio)
        if (bytes.byteLength === 0 || bytes.byteLength % 2 !== 0 || bytes.byteLength > fixtureMaxBytes) {
          return yield* error({
            code: "invalid_value",
            message: "The fixture must be raw mono PCM16 at 24 kHz, at most 30 seconds.",
            param: "audio"
          }, eventId)
        }
        const refused = yield* started.model.fixture(
          Codec.decode("pcm16", bytes),
          emit({ type: "session.output_audio.fixture.playing", ...echo(eventId) }),
          emit({ type: "session.output_audio.fixture.played", ...echo(eventId) })
        )
        if (refused !== undefined) yield* error(refused, eventId)
      })

    const handle = (text: string) =>
      Effect.gen(function*() {
        if (closing) return
        const frame = Wire.decodeClientFrame(text)
        if (frame._tag === "Invalid") return yield* error(frame, frame.eventId)
        const event = frame.event
        const eventId = event.event_id ?? undefined
        const started = live
        if (started === undefined) {
          if (event.type === "session.start") return yield* start(event)
          return yield* error({
            code: "session_not_started",
            message: "Send session.start and wait for session.started first."
          }, eventId)
        }
        switch (event.type) {
          case "session.start":
            return yield* error(
              { code: "session_already_started", message: "The session has already started." },
              eventId
            )
          case "session.update":
            return yield* update(started, event, eventId)
          case "session.input_audio.append": {
            const format = Wire.formatOf(started.resource.audio?.format)
            const samples = Codec.decode(format, Base64.decode(event.audio))
            // a muted input sends the model silence
            return yield* started.model.hear(muted ? new Int16Array(samples.length) : samples)
          }
          case "session.input_audio.mute":
            muted = true
            return yield* emit({ type: "session.input_audio.muted", ...echo(eventId) })
          case "session.input_audio.unmute":
            muted = false
            return yield* emit({ type: "session.input_audio.unmuted", ...echo(eventId) })
          case "session.instructions.append":
          case "session.thinking.append":
          case "session.commentary.append":
            return yield* appendContext(started, event, eventId)
          case "response.item.create":
            return yield* itemCreate(started, event, eventId)
          case "response.create": {
            const refused = yield* started.model.continueBackend
            return yield* (refused === undefined ? Effect.void : error(refused, eventId))
          }
          case "session.close":
            return yield* end("close_requested")
          case "session.output_audio.fixture.play":
            return yield* fixture(started, event, eventId)
          case "decision.create":
          case "decision.item.create":
          case "decision.item.delete":
            return yield* error({
              code: "unsupported_event",
              message: `${event.type} is not available on this server.`
            }, eventId)
        }
      })

    yield* Effect.forkIn(ConnectionFaults.expireAt(options.startedAt, options.durationLimit, end("expired")), scope)
    return yield* Effect.forever(
      Effect.flatMap(io.receive, (frames) => Effect.forEach(frames, handle, { discard: true }))
    )
  }).pipe(Effect.annotateLogs({ service: "RealtimeServer", protocol: "openai-live" }))
