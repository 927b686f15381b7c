/**
 * Owns what one connection of the OpenAI Realtime model does with its frames and sends, run by the
 * connection's owner fiber (`engine/generation.ts`, which owns the mailbox, the backlog and the
 * socket's flow): frames become model events (`inbound.ts`), with the echoes of a replay hushed and
 * the call's history fed; sends become client frames, barge-in included (`outbound.ts`); responses
 * get their spans and go through the sequencer (at most one in flight); the server's last `error`
 * says whether the loss that follows is worth a retry.
 */
import { Clock, Effect, Exit, Scope } from "effect"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import type { RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as Ending from "../engine/ending.js"
import * as Generation from "../engine/generation.js"
import type { Handler, Kit } from "../engine/handler.js"
import type * as Mailbox from "../engine/mailbox.js"
import type { Send } from "../engine/mailbox.js"
import type { Resumption } from "../engine/protocol.js"
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

export type { Connection, ConnectionOptions, Flow, Unanswered } from "./connectionApi.js"

/**
 * Builds a connection; nothing runs until `run` does. Response spans still open end with the scope.
 *
 * @category constructors
 */
export const make = (options: ConnectionOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Generation.make(options, (kit) => Effect.map(Effect.scope, (scope) => new OpenAIHandler(options, kit, scope)))

/** Ends the response spans still open when the connection's scope closes. */
const releaseOnClose = (state: State.State, scope: Scope.Scope): Effect.Effect<void> =>
  Effect.addFinalizer(() =>
    Effect.flatMap(Clock.currentTimeNanos, (now) => Effect.sync(() => State.release(state, now)))
  ).pipe(Effect.provideService(Scope.Scope, scope))

/**
 * The server's last `error` event, which says whether a loss that follows is worth a retry.
 */
interface ServerError {
  readonly type: string
  readonly code?: string | undefined
}

const logged = (handled: Inbound.Handled, then: Effect.Effect<void>): Effect.Effect<void> => {
  let effect = then
  if (handled.warning !== undefined) effect = Effect.andThen(Effect.logWarning(handled.warning), effect)
  if (handled.debug !== undefined) effect = Effect.andThen(Effect.logDebug(handled.debug), effect)
  return effect
}

/**
 * The protocol's side of one connection: its cells are fields, written by the connection's owner
 * fiber alone, and its methods live on the prototype (an idle connection keeps a few objects, not
 * a closure per method).
 */
class OpenAIHandler implements Handler<ClientEvent, Unanswered, State.Bookkeeping> {
  readonly history: History.History
  readonly state: State.State
  readonly outbound: Outbound.Outbound
  readonly customTracker: PlaybackTrackerService | undefined
  lastServerError: ServerError | undefined = undefined
  /** After a restore: what the listeners must not see again. */
  echoes: Echoes.Echoes | undefined = undefined
  userSpeaking = false

  constructor(readonly options: ConnectionOptions, kit: Kit, readonly scope: Scope.Scope) {
    this.customTracker = options.customTracker
    this.history = options.history ?? History.make(options.settings)
    this.state = State.make(options.settings.outputAudioFormat ?? "pcm16", options.staleResponseMs)
    this.outbound = new Outbound.Outbound({
      write: options.write,
      state: this.state,
      customTracker: options.customTracker,
      kit,
      history: this.history
    })
  }

  /** What a frame leaves to do, once its events are published. */
  followUp(action: Inbound.Action, now: number): Effect.Effect<void> {
    const state = this.state
    switch (action._tag) {
      case "Session":
        return action.format === undefined || this.customTracker === undefined
          ? Effect.void
          : this.customTracker.setAudioFormat(action.format)
      case "ResponseCreated":
        this.userSpeaking = false
        return Effect.flatMap(
          Effect.makeSpan("OpenAIRealtime.response", {
            parent: this.options.span,
            attributes: {
              "realtime.response_id": action.responseId,
              "realtime.session_id": state.sessionId
            }
          }),
          (span) => {
            // the scope is told to end the spans with the first one (an idle connection has none)
            const first = state.responseSpans === undefined
            const missed = State.responseStarted(state, action.responseId, span, now)
            const ended = missed === undefined
              ? Effect.void
              : Effect.map(Clock.currentTimeNanos, (t) => missed.end(t, Exit.void))
            return first ? Effect.andThen(releaseOnClose(state, this.scope), ended) : ended
          }
        )
      case "ResponseDone":
        return Effect.flatMap(Clock.currentTimeNanos, (t) => {
          const span = State.responseFinished(state, action.responseId)
          if (span !== undefined) span.end(t, Exit.void)
          return this.outbound.writeOrWarn(
            Sequencer.done(state.sequencer, action.responseId, now),
            "a held response.create"
          )
        })
      case "ServerError":
        return this.outbound.writeOrWarn(
          Sequencer.error(state.sequencer, action.code, action.eventId, now),
          "a held response.create"
        )
      case "SpeechStarted":
        this.userSpeaking = true
        return this.outbound.interrupt(Inbound.bargeIn).pipe(
          Effect.catch((error) => Effect.logWarning("barge-in could not be completed", error))
        )
    }
  }

  receive(
    text: string,
    now: number,
    debug: boolean,
    out: Array<RealtimeModelEvent>
  ): Effect.Effect<void> | undefined {
    const from = out.length
    const handled = Inbound.handleFrame(this.state, text, now, debug, out)
    if (this.echoes !== undefined && Echoes.hush(this.echoes, out, from)) this.echoes = undefined
    if (handled.action !== undefined) return logged(handled, this.followUp(handled.action, now))
    return handled.debug === undefined && handled.warning === undefined ? undefined : logged(handled, Effect.void)
  }

  answer(send: Send): Effect.Effect<void> {
    return send.predicate === undefined
      ? this.outbound.answer(send.event, send.reply)
      : this.outbound.answerIf(send.event, send.predicate, send.reply)
  }

  /** A stale response in flight is probed before anything sent after it. */
  settle(now: number): Effect.Effect<void> {
    return this.outbound.writeOrWarn(Sequencer.probe(this.state.sequencer, now), "a held response.create")
  }

  observe(out: ReadonlyArray<RealtimeModelEvent>): void {
    for (const event of out) {
      if (event._tag === "ErrorEvent" && "type" in event.error) {
        const code = event.error.code
        this.lastServerError = { type: event.error.type, code: typeof code === "string" ? code : undefined }
      } else {
        History.observe(this.history, event)
      }
    }
  }

  atBoundary(): boolean {
    const sequencer = this.state.sequencer
    return !this.userSpeaking && !Sequencer.inFlight(sequencer) && Sequencer.waitingTurns(sequencer) === 0
  }

  lost(end: Ending.SocketEnd): RealtimeConnectionLost {
    return Ending.connectionLost(end, this.lastServerError)
  }

  restore(replay: Resumption<ClientEvent>, left: Unanswered | undefined): Effect.Effect<boolean, Error> {
    return Effect.gen({ self: this }, function*() {
      this.echoes = replay.hush ? Echoes.make(replay.ids) : undefined
      yield* this.outbound.writeAll(replay.frames)
      const now = yield* Clock.currentTimeMillis
      let requested = false
      for (const turn of left?.turns ?? []) {
        const frame = Sequencer.request(this.state.sequencer, turn, now)
        if (frame !== undefined) {
          requested = true
          yield* this.outbound.writeAll([frame])
        }
      }
      return requested
    })
  }

  unanswered(): Unanswered {
    return Sequencer.unanswered(this.state.sequencer)
  }

  bookkeeping(): State.Bookkeeping {
    return State.bookkeeping(this.state)
  }
}
