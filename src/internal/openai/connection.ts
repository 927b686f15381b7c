/**
 * Owns what one connection of the OpenAI Realtime model does with its frames and sends, run by the
 * connection's owner fiber (`engine/generation.ts`, which owns the mailbox, the backlog and the
 * socket's flow): frames become model events (`inbound.ts`), with the echoes of a replay hushed and
 * the call's history fed; sends become client frames, barge-in included (`outbound.ts`); responses
 * get their spans and go through the sequencer (at most one in flight); the server's last `error`
 * says whether the loss that follows is worth a retry.
 */
import { Clock, Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as Ending from "../engine/ending.js"
import * as Generation from "../engine/generation.js"
import type * as Mailbox from "../engine/mailbox.js"
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
  Generation.make(options, (kit) =>
    Effect.gen(function*() {
      const { customTracker } = options
      const history = options.history ?? History.make(options.settings)
      const state = State.make(options.settings.outputAudioFormat ?? "pcm16", options.staleResponseMs)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Clock.currentTimeNanos, (now) => Effect.sync(() => State.release(state, now)))
      )
      /** The server's last `error` event, which says whether a loss that follows is worth a retry. */
      let lastServerError: { readonly type: string; readonly code?: string | undefined } | undefined = undefined
      /** After a restore: what the listeners must not see again. */
      let echoes: Echoes.Echoes | undefined = undefined
      let userSpeaking = false

      const { answer, answerIf, interrupt, writeAll, writeOrWarn } = Outbound.make({
        write: options.write,
        state,
        customTracker,
        ended: kit.ended,
        publish: kit.publish,
        onSent: (event) => History.sent(history, event),
        onTruncated: (truncate, receivedMs) =>
          History.truncated(history, truncate.item_id, truncate.content_index, truncate.audio_end_ms, receivedMs)
      })

      /** What a frame leaves to do, once its events are published. */
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
                attributes: {
                  "realtime.response_id": action.responseId,
                  "realtime.session_id": state.session?.id ?? ""
                }
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

      const logged = (handled: Inbound.Handled, then: Effect.Effect<void>): Effect.Effect<void> => {
        let effect = then
        if (handled.warning !== undefined) effect = Effect.andThen(Effect.logWarning(handled.warning), effect)
        if (handled.debug !== undefined) effect = Effect.andThen(Effect.logDebug(handled.debug), effect)
        return effect
      }

      const handler: Generation.Handler<ClientEvent, Unanswered, State.Bookkeeping> = {
        receive: (text, now, debug, out) => {
          const from = out.length
          const handled = Inbound.handleFrame(state, text, now, debug, out)
          if (echoes !== undefined && Echoes.hush(echoes, out, from)) echoes = undefined
          if (handled.action !== undefined) return logged(handled, followUp(handled.action, now))
          return handled.debug === undefined && handled.warning === undefined ? undefined : logged(handled, Effect.void)
        },
        answer: (send) =>
          send.predicate === undefined
            ? answer(send.event, send.reply)
            : answerIf(send.event, send.predicate, send.reply),
        // a stale response in flight is probed before anything sent after it
        settle: (now) => writeOrWarn(Sequencer.probe(state.sequencer, now), "a held response.create"),
        observe: (out: ReadonlyArray<RealtimeModelEvent>) => {
          for (const event of out) {
            if (event._tag === "ErrorEvent" && "type" in event.error) {
              const code = event.error.code
              lastServerError = { type: event.error.type, code: typeof code === "string" ? code : undefined }
            } else {
              History.observe(history, event)
            }
          }
        },
        atBoundary: () =>
          !userSpeaking && !Sequencer.inFlight(state.sequencer) && Sequencer.waitingTurns(state.sequencer) === 0,
        lost: (end) => Ending.connectionLost(end, lastServerError),
        restore: (replay: Resumption<ClientEvent>, left: Unanswered | undefined) =>
          Effect.gen(function*() {
            echoes = replay.hush ? Echoes.make(replay.ids) : undefined
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
          }),
        unanswered: () => Sequencer.unanswered(state.sequencer),
        bookkeeping: () => State.bookkeeping(state)
      }
      return handler
    }))
