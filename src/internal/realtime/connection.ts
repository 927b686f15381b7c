/**
 * One live connection of the OpenAI Realtime model, run by a single owner fiber. Everything that
 * touches the connection's state reaches the owner through one mailbox, in order: frames from the
 * socket, the socket's end, the application's send events and bookkeeping queries. The owner maps
 * frames to model events, turns send events into client frames, runs barge-in and keeps at most
 * one response in flight. No other fiber reads or writes the state.
 *
 * Every mailbox request ends: once the owner stops (the socket ended, or its fiber was
 * interrupted), the mailbox refuses new requests and the ones still queued are answered with a
 * typed error.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Deferred, Effect, Exit, LogLevel, Queue } from "effect"
import type { Scope, Tracer } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { EventHub } from "../eventHub.js"
import * as Base64 from "./base64.js"
import * as Convert from "./convert.js"
import * as Inbound from "./inbound.js"
import * as State from "./state.js"

/**
 * What the socket delivers to the owner: a text frame, or the end of the socket.
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery =
  | { readonly _tag: "Frame"; readonly text: string }
  | { readonly _tag: "Closed"; readonly code: number | undefined; readonly reason: string | undefined }

type Command =
  | Delivery
  | {
    readonly _tag: "Send"
    readonly event: RealtimeModelSendEvent
    readonly reply: Deferred.Deferred<void, RealtimeSendError>
  }
  | { readonly _tag: "Inspect"; readonly reply: Deferred.Deferred<State.Bookkeeping> }

/**
 * What a connection is built from: the listener hub, the socket's writer, the settings sent at
 * open, the application's playback tracker (if any) and the connection's span.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionOptions {
  readonly hub: EventHub
  readonly write: (text: string) => Effect.Effect<void, SocketError>
  readonly settings: RealtimeSessionSettings
  readonly customTracker: PlaybackTrackerService | undefined
  readonly span: Tracer.Span
  /** How many undelivered frames and requests the mailbox holds before the socket reader waits. Default 1024. */
  readonly mailboxCapacity?: number
}

/**
 * A live connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  /** Hands socket deliveries to the owner, in order; `false` once the owner has stopped. */
  readonly deliver: (deliveries: Iterable<Delivery>) => Effect.Effect<boolean>
  /** Sends an event through the owner; ends with its result, or `Closed` once the owner has stopped. */
  readonly send: (event: RealtimeModelSendEvent) => Effect.Effect<void, RealtimeSendError>
  /**
   * The owner: processes the mailbox until the socket ends and returns why it ended. Run it in
   * exactly one fiber; interrupting that fiber stops the connection.
   */
  readonly run: Effect.Effect<RealtimeConnectionLost>
  /** How much per-item and per-response state the connection holds, as the owner sees it now. */
  readonly bookkeeping: Effect.Effect<State.Bookkeeping>
}

/**
 * A send that found no connection to go through.
 *
 * @since 0.1.0
 * @category errors
 */
export const notConnected = (event: RealtimeModelSendEvent, closed: boolean): RealtimeSendError =>
  new RealtimeSendError({
    reason: closed ? "Closed" : "NotConnected",
    eventTag: event._tag,
    message: closed ? "the connection is closed; connect again to send" : "the model is not connected: call connect first"
  })

const transportError = (event: RealtimeModelSendEvent, error: SocketError): RealtimeSendError =>
  new RealtimeSendError({
    reason: "Transport",
    eventTag: event._tag,
    message: `the ${event._tag} event could not be written to the socket: ${error.message}`,
    cause: error
  })

/**
 * The error reported when the socket ends under a live connection.
 *
 * @since 0.1.0
 * @category errors
 */
export const connectionLost = (code: number | undefined, reason: string | undefined): RealtimeConnectionLost =>
  new RealtimeConnectionLost({
    ...(code !== undefined ? { code } : {}),
    ...(reason !== undefined ? { reason } : {}),
    message: `the server closed the connection${code !== undefined ? ` (code ${code}` : ""}${
      reason ? `${code !== undefined ? ": " : " ("}${reason})` : code !== undefined ? ")" : ""
    }`
  })

/** Frames and requests the owner takes from the mailbox at once. */
const batchSize = 256

/**
 * Builds a connection; nothing runs until `run` does. Response spans still open end with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: ConnectionOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { customTracker, hub } = options
    const mailbox = yield* Queue.bounded<Command, Cause.Done>(options.mailboxCapacity ?? 1024)
    const state = State.make(options.settings.outputAudioFormat ?? "pcm16")

    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Clock.currentTimeNanos, (now) => Effect.sync(() => State.release(state, now)))
    )

    const write = (frame: Record<string, unknown>) => options.write(JSON.stringify(frame))
    const writeAll = (frames: ReadonlyArray<Record<string, unknown>>) => Effect.forEach(frames, write, { discard: true })

    // ---- barge-in ----

    const playing: Effect.Effect<State.Playing | undefined> = customTracker !== undefined
      ? Effect.map(customTracker.getState, (s) =>
        s.currentItemId === null || s.elapsedMs === null
          ? undefined
          : { itemId: s.currentItemId, contentIndex: s.currentItemContentIndex ?? 0, elapsedMs: s.elapsedMs })
      : Effect.map(Clock.currentTimeMillis, (now) => State.defaultPlaying(state, now))

    const interrupt = (event: Interrupt) =>
      Effect.gen(function*() {
        const plan = State.planInterrupt(state, event, yield* playing)
        if (plan.interrupted !== undefined) yield* hub.publish({ _tag: "AudioInterrupted", ...plan.interrupted })
        yield* writeAll(plan.before)
        if (plan.resetTrackers) {
          State.clearCurrent(state)
          if (customTracker !== undefined) yield* customTracker.onInterrupted
        }
        yield* writeAll(plan.after)
      })

    // ---- responses ----

    const requestResponse = (response: Record<string, unknown> | undefined) =>
      Effect.suspend(() => {
        const frame = State.requestResponse(state, response)
        return frame === undefined ? Effect.logDebug("response.create held until the response in flight is done") : write(frame)
      })

    const releaseResponse: Effect.Effect<void> = Effect.suspend(() => {
      const queued = State.releaseResponse(state)
      return queued === undefined ? Effect.void : requestResponse(queued.response).pipe(
        Effect.catch((error) => Effect.logWarning("a held response.create could not be written", error))
      )
    })

    // ---- send events → client frames ----

    const dispatch = (event: RealtimeModelSendEvent): Effect.Effect<void, SocketError> => {
      switch (event._tag) {
        case "RawMessage": {
          const frame: Record<string, unknown> = { ...event.otherData, type: event.type }
          return event.type === "response.create" ? requestResponse(State.responseOf(frame)) : write(frame)
        }
        case "UserInput":
          return Effect.andThen(
            write({ type: "conversation.item.create", item: Convert.userMessageToWire(event.userInput) }),
            requestResponse(undefined)
          )
        case "SendAudio":
          return Effect.andThen(
            write({ type: "input_audio_buffer.append", audio: Base64.encode(event.audio) }),
            event.commit ? write({ type: "input_audio_buffer.commit" }) : Effect.void
          )
        case "ToolOutput":
          return Effect.andThen(
            write({ type: "conversation.item.create", item: Convert.toolOutputToWire(event.toolCall, event.output) }),
            event.startResponse ? requestResponse(undefined) : Effect.void
          )
        case "Interrupt":
          return interrupt(event)
        case "SessionUpdate":
          return write({ type: "session.update", session: Convert.sessionToWire(event.sessionSettings, false) })
      }
    }

    /** Runs a send and answers it; an owner interrupted meanwhile answers `Closed`. */
    const answer = (event: RealtimeModelSendEvent, reply: Deferred.Deferred<void, RealtimeSendError>) =>
      Effect.mapError(dispatch(event), (error) => transportError(event, error)).pipe(
        Effect.onExit((exit) =>
          Deferred.done(
            reply,
            Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? Exit.fail(notConnected(event, true)) : exit
          )
        ),
        Effect.ignore
      )

    // ---- what frames leave to do ----

    const followUp = (action: Inbound.Action): Effect.Effect<void> => {
      switch (action._tag) {
        case "Session":
          return action.format === undefined || customTracker === undefined
            ? Effect.void
            : customTracker.setAudioFormat(action.format)
        case "ResponseCreated":
          return Effect.map(
            Effect.makeSpan("OpenAIRealtime.response", {
              parent: options.span,
              attributes: { "realtime.response_id": action.responseId, "realtime.session_id": state.session?.id ?? "" }
            }),
            (span) => State.responseStarted(state, action.responseId, span)
          )
        case "ResponseDone":
          return Effect.gen(function*() {
            const span = State.responseFinished(state, action.responseId)
            if (span !== undefined) span.end(yield* Clock.currentTimeNanos, Exit.void)
            if (State.releasesSequence(state, action.responseId)) yield* releaseResponse
          })
        case "ServerError":
          return State.onServerError(state, action.code, action.eventId) ? releaseResponse : Effect.void
        case "SpeechStarted":
          return interrupt(Inbound.bargeIn).pipe(
            Effect.catch((error) => Effect.logWarning("barge-in could not be completed", error))
          )
      }
    }

    // ---- the owner ----

    /** The batch being processed and how far the owner got; what it did not reach is refused if it stops. */
    let batch: ReadonlyArray<Command> = []
    let next = 0

    const publish = (out: Array<RealtimeModelEvent>) => out.length === 0 ? Effect.void : hub.publishAll(out.splice(0))

    /** Processes the batch; returns the socket's end when the batch holds it. */
    const processBatch = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const debug = yield* LogLevel.isEnabled("Debug")
      const out: Array<RealtimeModelEvent> = []
      while (next < batch.length) {
        const command = batch[next++]!
        switch (command._tag) {
          case "Frame": {
            const handled = Inbound.handleFrame(state, command.text, now, debug, out)
            if (handled.debug !== undefined) yield* Effect.logDebug(handled.debug)
            if (handled.warning !== undefined) yield* Effect.logWarning(handled.warning)
            if (handled.action !== undefined) {
              yield* publish(out)
              yield* followUp(handled.action)
            }
            break
          }
          case "Closed":
            yield* publish(out)
            return connectionLost(command.code, command.reason)
          case "Send":
            yield* publish(out)
            yield* answer(command.event, command.reply)
            break
          case "Inspect":
            yield* publish(out)
            yield* Deferred.succeed(command.reply, State.bookkeeping(state))
            break
        }
      }
      yield* publish(out)
      return undefined
    })

    const refuse = (command: Command) =>
      command._tag === "Send"
        ? Deferred.fail(command.reply, notConnected(command.event, true))
        : command._tag === "Inspect"
        ? Deferred.succeed(command.reply, State.bookkeeping(state))
        : Effect.void

    /** Once the owner stops: no new requests, and every one not reached is answered. */
    const refuseRemaining = Effect.gen(function*() {
      yield* Queue.end(mailbox)
      const rest = [...batch.slice(next), ...yield* Queue.collect(mailbox)]
      batch = []
      next = 0
      yield* Effect.forEach(rest, refuse, { discard: true })
    })

    const run: Effect.Effect<RealtimeConnectionLost> = Effect.gen(function*() {
      for (;;) {
        batch = yield* Queue.takeBetween(mailbox, 1, batchSize)
        next = 0
        const lost = yield* processBatch
        if (lost !== undefined) return lost
      }
    }).pipe(
      // the mailbox only ends when the owner stops, so this is never reached while it runs
      Effect.catch(() => Effect.succeed(connectionLost(undefined, "the connection stopped"))),
      Effect.ensuring(refuseRemaining)
    )

    const request = <A, E>(
      command: (reply: Deferred.Deferred<A, E>) => Command,
      refused: Effect.Effect<A, E>
    ): Effect.Effect<A, E> =>
      Effect.flatMap(Deferred.make<A, E>(), (reply) =>
        Effect.flatMap(Queue.offer(mailbox, command(reply)), (accepted) => accepted ? Deferred.await(reply) : refused))

    const connection: Connection = {
      deliver: (deliveries) => Effect.map(Queue.offerAll(mailbox, deliveries), (rest) => rest.length === 0),
      send: (event) =>
        request<void, RealtimeSendError>((reply) => ({ _tag: "Send", event, reply }), Effect.fail(notConnected(event, true))),
      run,
      bookkeeping: request<State.Bookkeeping, never>(
        (reply) => ({ _tag: "Inspect", reply }),
        Effect.sync(() => State.bookkeeping(state))
      )
    }
    return connection
  })
