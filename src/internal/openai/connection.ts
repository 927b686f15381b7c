/**
 * Owns one live connection of the OpenAI Realtime model, run by a single owner fiber.
 *
 * Everything that touches the connection's state reaches the owner through one mailbox, in order:
 * frames from the socket, the socket's end, the application's send events (conditional ones
 * included: their predicate is evaluated by the owner when it reaches them), bookkeeping queries,
 * the hub's "listeners have room again" and the keepalive's timer (the owner writes the pings).
 * The owner maps frames to model events, turns send events into client frames, runs barge-in and
 * keeps at most one response in flight. No other fiber reads or
 * writes the state. Frames are mapped by `inbound.ts`; sends, barge-in and the writes they make
 * are `outbound.ts`, run by the owner.
 *
 * Nothing waits without a way out:
 * - The owner never waits for a listener. When a bounded listener is full it stops processing
 *   frames (they wait in a backlog, and the owner pauses the socket once the backlog is at its
 *   limit), logs one warning for the stall, and keeps serving sends and queries, so a listener
 *   that itself sends cannot deadlock the connection. It picks the frames up again when the hub
 *   has room.
 * - Once the socket has ended, no frame is written into it: a send behind the end goes back to the
 *   call's owner (`bounce`, with a reconnect policy: it waits for the next connection) or fails
 *   with `Closed`, even while a stalled listener holds the end's publication back. Only the owner
 *   writes its cells; the socket's callbacks only post to the mailbox (and pause the reading).
 * - Once the owner stops, the mailbox refuses new requests and those still queued are answered
 *   with a typed error (sends go back to the call's owner first, where it takes them).
 */
import { Clock, Deferred, Effect, Exit, LogLevel } from "effect"
import type { Scope } from "effect"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Ending from "../engine/ending.js"
import * as Keepalive from "../engine/keepalive.js"
import * as Mailbox from "../engine/mailbox.js"
import type { Resumption } from "../engine/protocol.js"
import { makeInboxUnsafe } from "../eventHub.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import type { Connection, ConnectionOptions, Unanswered } from "./connectionApi.js"
import * as Echoes from "./echoes.js"
import * as History from "./history.js"
import * as Inbound from "./inbound.js"
import * as Outbound from "./outbound.js"
import * as Sequencer from "./sequencer.js"
import * as State from "./state.js"

/**
 * What the socket delivers to the owner: a text frame, or the end of the socket.
 *
 * @category models
 */
export type Delivery = Mailbox.Delivery

const resume: Mailbox.Command<State.Bookkeeping> = { _tag: "Resume" }
const switchAtBoundary: Mailbox.Command<State.Bookkeeping> = { _tag: "SwitchAtBoundary" }
const boundary: Mailbox.Outcome = { _tag: "Boundary" }

export type { Connection, ConnectionOptions, Flow, Unanswered } from "./connectionApi.js"

const stopped = Ending.connectionLost({
  _tag: "Closed",
  by: "transport",
  code: undefined,
  reason: "the connection stopped"
})

/**
 * Builds a connection; nothing runs until `run` does. Response spans still open end with the scope.
 *
 * @category constructors
 */
export const make = (options: ConnectionOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { customTracker, hub } = options
    const history = options.history ?? History.make(options.settings)
    const bounded = hub.capacity !== undefined
    const backlogLimit = options.backlogLimit ?? 1024
    const mailbox = makeInboxUnsafe<Mailbox.Command<State.Bookkeeping>>()
    /** Whether the owner has paused the socket's reading: too many frames wait for it. */
    let paused = false
    const state = State.make(options.settings.outputAudioFormat ?? "pcm16", options.staleResponseMs)

    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Clock.currentTimeNanos, (now) => Effect.sync(() => State.release(state, now)))
    )

    /** Set by the owner when it reaches the socket's end (even while a listener stalls it). */
    let ended: RealtimeConnectionLost | undefined = undefined
    /** The server's last `error` event, which says whether a loss that follows is worth a retry. */
    let lastServerError: { readonly type: string; readonly code?: string | undefined } | undefined = undefined
    /** After a restore: what the listeners must not see again. */
    let echoes: Echoes.Echoes | undefined = undefined
    let userSpeaking = false
    let switchWanted = false
    /** The keepalive's ping in flight. */
    const pinger: Keepalive.Pinger = { pending: undefined }
    const ping = options.ping ?? (() => false)
    /** The connection that took over after a rollover: sends reaching this one go there. */
    let successor: Mailbox.Adopter | undefined = undefined

    /** What the events of a frame say that the owner must remember, before listeners get them. */
    const observe = (out: ReadonlyArray<RealtimeModelEvent>) => {
      for (const event of out) {
        if (event._tag === "ErrorEvent" && "type" in event.error) {
          const code = event.error.code
          lastServerError = { type: event.error.type, code: typeof code === "string" ? code : undefined }
        } else {
          History.observe(history, event)
        }
      }
    }

    // ---- listeners: the owner never waits for them ----

    let stalled = false
    const publish = (out: Array<RealtimeModelEvent>): Effect.Effect<void> => {
      if (out.length === 0) return Effect.void
      observe(out)
      const full = hub.offerAllUnsafe(out)
      out.length = 0
      if (!full || stalled) return Effect.void
      stalled = true
      hub.whenRoomUnsafe(() => mailbox.offerUnsafe(resume))
      return Effect.logWarning(
        `a listener is ${hub.capacity} events behind; the connection waits until it catches up`
      )
    }

    const { answer, answerIf, interrupt, writeAll, writeOrWarn } = Outbound.make({
      write: options.write,
      state,
      customTracker,
      ended: () => ended,
      publish,
      onSent: (event) => History.sent(history, event),
      onTruncated: (truncate, receivedMs) =>
        History.truncated(history, truncate.item_id, truncate.content_index, truncate.audio_end_ms, receivedMs)
    })

    // ---- what frames leave to do ----

    const followUp = (action: Inbound.Action, now: number): Effect.Effect<void> => {
      switch (action._tag) {
        case "Session":
          return action.format === undefined || customTracker === undefined
            ? Effect.void
            : customTracker.setAudioFormat(action.format)
        case "ResponseCreated":
          userSpeaking = false
          return Effect.flatMap(
            Effect.makeSpan("OpenAIRealtime.response", {
              parent: options.span,
              attributes: { "realtime.response_id": action.responseId, "realtime.session_id": state.session?.id ?? "" }
            }),
            (span) => {
              const missed = State.responseStarted(state, action.responseId, span, now)
              return missed === undefined
                ? Effect.void
                : Effect.map(Clock.currentTimeNanos, (t) => missed.end(t, Exit.void))
            }
          )
        case "ResponseDone":
          return Effect.gen(function*() {
            const span = State.responseFinished(state, action.responseId)
            if (span !== undefined) span.end(yield* Clock.currentTimeNanos, Exit.void)
            yield* writeOrWarn(Sequencer.done(state.sequencer, action.responseId, now), "a held response.create")
          })
        case "ServerError":
          return writeOrWarn(
            Sequencer.error(state.sequencer, action.code, action.eventId, now),
            "a held response.create"
          )
        case "SpeechStarted":
          userSpeaking = true
          return interrupt(Inbound.bargeIn).pipe(
            Effect.catch((error) => Effect.logWarning("barge-in could not be completed", error))
          )
      }
    }

    // ---- the owner ----

    /** The commands being processed and how far the owner got; what it did not reach is refused if it stops. */
    let batch: ReadonlyArray<Mailbox.Command<State.Bookkeeping>> = []
    let next = 0
    /** Frames (and the socket's end) that arrived while the owner waited for a listener. */
    let backlog: Array<Mailbox.Delivery> = []

    const backlogSize = () => backlog.length + mailbox.sizeUnsafe() + batch.length - next

    const atBoundary = () =>
      switchWanted && !userSpeaking && !Sequencer.inFlight(state.sequencer) &&
      Sequencer.waitingTurns(state.sequencer) === 0

    /** Processes the batch; returns the socket's end when it reaches it. */
    const processBatch = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const debug = yield* LogLevel.isEnabled("Debug")
      const out: Array<RealtimeModelEvent> = []
      while (next < batch.length) {
        const command = batch[next++]!
        if (typeof command === "string") {
          if (stalled) {
            backlog.push(command)
            continue
          }
          const from = out.length
          const handled = Inbound.handleFrame(state, command, now, debug, out)
          if (echoes !== undefined && Echoes.hush(echoes, out, from)) echoes = undefined
          if (handled.debug !== undefined) yield* Effect.logDebug(handled.debug)
          if (handled.warning !== undefined) yield* Effect.logWarning(handled.warning)
          if (handled.action !== undefined) {
            yield* publish(out)
            yield* followUp(handled.action, now)
          } else if (bounded) {
            yield* publish(out)
          }
          continue
        }
        switch (command._tag) {
          case "Closed":
            // from here on no frame is written: sends behind the end fail Closed, even in a stall
            if (ended === undefined) ended = Ending.connectionLost(command)
            if (stalled) {
              backlog.push(command)
              break
            }
            yield* publish(out)
            return { _tag: "Lost", lost: Ending.connectionLost(command, lastServerError) } as const
          case "Send":
            if (successor !== undefined) {
              if (!successor.adoptUnsafe(command)) yield* Mailbox.refuse(command, State.bookkeeping(state))
              break
            }
            // not written: the call's owner holds it for the next connection (with a reconnect policy)
            if (ended !== undefined && options.bounce?.(command) === true) break
            yield* publish(out)
            // a stale response in flight is probed before anything sent after it
            yield* writeOrWarn(Sequencer.probe(state.sequencer, now), "a held response.create")
            yield* command.predicate === undefined
              ? answer(command.event, command.reply)
              : answerIf(command.event, command.predicate, command.reply)
            break
          case "Inspect":
            yield* publish(out)
            yield* Deferred.succeed(command.reply, State.bookkeeping(state))
            break
          case "SwitchAtBoundary":
            switchWanted = true
            break
          case "Ping":
          case "Pong":
          case "PongDue": {
            // the owner writes the ping; a late pong ends the connection behind the frames already here
            const late = Keepalive.handle(pinger, command, ping)
            if (late !== undefined) mailbox.offerUnsafe(late)
            break
          }
          case "Resume":
            yield* publish(out)
            if (!stalled) break
            if (hub.isFullUnsafe()) {
              hub.whenRoomUnsafe(() => mailbox.offerUnsafe(resume))
              break
            }
            stalled = false
            // the frames held during the stall come first, then the rest of this batch
            batch = [...backlog, ...batch.slice(next)]
            backlog = []
            next = 0
            break
        }
      }
      yield* publish(out)
      yield* writeOrWarn(Sequencer.probe(state.sequencer, now), "a held response.create")
      if (!atBoundary()) return undefined
      switchWanted = false
      return boundary
    })

    /** Once the owner stops: no new requests, and every one not reached is answered. */
    const refuseRemaining = Effect.gen(function*() {
      mailbox.endUnsafe()
      const rest = [...batch.slice(next), ...mailbox.takeAllUnsafe()]
      batch = []
      next = 0
      backlog = []
      paused = false
      options.flow?.resume()
      yield* Effect.forEach(
        rest,
        (command) =>
          typeof command !== "string" && command._tag === "Send" &&
            (successor !== undefined ? successor.adoptUnsafe(command) : options.bounce?.(command) === true)
            ? Effect.void
            : Mailbox.refuse(command, State.bookkeeping(state)),
        { discard: true }
      )
    })

    const run: Effect.Effect<Mailbox.Outcome> = Effect.gen(function*() {
      for (;;) {
        if (paused && backlogSize() < backlogLimit) {
          paused = false
          options.flow?.resume()
        }
        // what a batch left unprocessed when it stopped at a boundary comes first
        if (next >= batch.length) {
          // the processed frames are let go while the owner waits for more (an idle call holds none)
          batch = []
          next = 0
          batch = yield* mailbox.takeAll
        }
        // the owner alone pauses the socket: when the frames waiting for it reach the limit
        if (!paused && options.flow !== undefined && backlogSize() >= backlogLimit) {
          paused = true
          options.flow.pause()
          yield* Effect.logDebug(
            `${backlogSize()} frames wait for the connection: the socket is not read until they are processed`
          )
        }
        const outcome = yield* processBatch
        if (outcome !== undefined) return outcome
      }
    }).pipe(
      // the mailbox only ends when the owner stops, so this is never reached while it runs
      Effect.catch(() => Effect.succeed<Mailbox.Outcome>({ _tag: "Lost", lost: stopped })),
      Effect.onExit((exit) => exit._tag === "Success" && exit.value._tag === "Boundary" ? Effect.void : refuseRemaining)
    )

    const restore = (replay: Resumption<ClientEvent>, left: Unanswered | undefined) =>
      Effect.gen(function*() {
        echoes = Echoes.make(replay.ids)
        yield* writeAll(replay.frames)
        const now = yield* Clock.currentTimeMillis
        let requested = false
        for (const turn of left?.turns ?? []) {
          const frame = Sequencer.request(state.sequencer, turn, now)
          if (frame !== undefined) {
            requested = true
            yield* writeAll([frame])
          }
        }
        return requested
      })

    const request = <A, E>(
      command: (reply: Deferred.Deferred<A, E>) => Mailbox.Command<State.Bookkeeping>,
      refused: Effect.Effect<A, E>
    ): Effect.Effect<A, E> =>
      Effect.flatMap(
        Deferred.make<A, E>(),
        (reply) => mailbox.offerUnsafe(command(reply)) ? Deferred.await(reply) : refused
      )

    const send = (
      event: RealtimeModelSendEvent,
      predicate: ((state: RealtimeModelState) => boolean) | undefined
    ): Effect.Effect<boolean, RealtimeSendError> =>
      request<boolean, RealtimeSendError>(
        (reply) => ({ _tag: "Send", event, predicate, reply }),
        Effect.fail(Ending.notConnected(event, true))
      )

    const deliverUnsafe = (deliveries: ReadonlyArray<Mailbox.Delivery>): boolean => mailbox.offerAllUnsafe(deliveries)

    const connection: Connection = {
      deliverUnsafe,
      deliver: (deliveries) => Effect.sync(() => deliverUnsafe(deliveries)),
      deliverFrameUnsafe: (text) => mailbox.offerUnsafe(text),
      keepaliveUnsafe: (command) => mailbox.offerUnsafe(command),
      send: (event) => Effect.asVoid(send(event, undefined)),
      restore,
      switchAtBoundary: Effect.sync(() => void mailbox.offerUnsafe(switchAtBoundary)),
      handOverUnsafe: (to) => {
        const waiting = mailbox.takeAllUnsafe()
        for (const command of waiting) {
          const moved = typeof command !== "string" && command._tag === "Send" && to.adoptUnsafe(command)
          if (!moved) mailbox.offerUnsafe(command)
        }
        successor = to
      },
      adoptUnsafe: (command) => mailbox.offerUnsafe(command),
      unanswered: () => Sequencer.unanswered(state.sequencer),
      sendIf: send,
      run,
      bookkeeping: request<State.Bookkeeping, never>(
        (reply) => ({ _tag: "Inspect", reply }),
        Effect.sync(() => State.bookkeeping(state))
      )
    }
    return connection
  })
