/**
 * Owns what one Gemini Live connection does with its frames and sends, run by the connection's
 * owner fiber (`engine/generation.ts`): each frame and send goes through the protocol without I/O
 * (`protocol.ts`), whose state the connection keeps between steps and gives back to the call's
 * memory after each (until a rollover hands it over: then it only drains); the protocol's frames
 * are written, its events published, and its verdicts acted on: a session ending soon is told to
 * the call's owner, an interruption resets the playback trackers after noting how much was heard.
 */
import { Cause, Deferred, Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { PlaybackState } from "../../PlaybackTracker.js"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as Ending from "../engine/ending.js"
import * as Generation from "../engine/generation.js"
import type * as Mailbox from "../engine/mailbox.js"
import type { GenerationOptions } from "../engine/protocol.js"
import * as DefaultTracker from "../realtime/defaultTracker.js"
import { GeminiProtocol } from "./protocol.js"
import type { GeminiState, Step, Verdict } from "./state.js"
import type { ClientFrame } from "./wire.js"

/**
 * What a Gemini call keeps across its connections: the protocol's state (written by the current
 * connection's owner while it runs, by the call's owner between connections), the notes of the
 * last `setup` on settings Gemini ignores, and what the last connection knew when it ended (which
 * says how its close is classified).
 *
 * @category models
 */
export interface Memory {
  state: GeminiState
  notes: ReadonlyArray<string>
  lastEnd: Pick<GeminiState, "ready" | "resuming" | "accepted"> | undefined
}

/**
 * What a connection that ended leaves: the model's turn it cut off.
 *
 * @category models
 */
export interface Left {
  readonly cutOff: string | null
}

/**
 * A live connection, as its tests drive it.
 *
 * @category models
 */
export type Connection = Generation.Live<ClientFrame, Left, Bookkeeping>

/**
 * What a connection holds, for its tests: the function calls waiting for their output, the
 * conversation's lines kept for a new session, whether a handle can resume the session.
 *
 * @category models
 */
export interface Bookkeeping {
  readonly pendingCalls: number
  readonly historyLines: number
  readonly resumable: boolean
}

const bookkeepingOf = (state: GeminiState): Bookkeeping => ({
  pendingCalls: state.pendingCalls.size,
  historyLines: state.history.length,
  resumable: state.handle !== null && state.resumable
})

/**
 * Builds a connection over `memory`; nothing runs until `run` does.
 *
 * @category constructors
 */
export const make = (
  options: Generation.OwnerOptions<Memory> & { readonly memory: Memory },
  sessionEnding?: GenerationOptions<Memory>["sessionEnding"]
): Effect.Effect<Connection, never, Scope.Scope> =>
  Generation.make(options, (kit) =>
    Effect.sync(() => {
      const { customTracker, memory } = options
      const tracker = DefaultTracker.make()
      const playing = customTracker ?? tracker
      let state = memory.state
      let cutOff: string | null = null
      /** The item whose audio is arriving, and when its first chunk did (the default tracker's clock). */
      let arriving: { readonly itemId: string; readonly since: number } | undefined = undefined

      const keep = (next: GeminiState) => {
        state = next
        if (!kit.handedOver()) memory.state = next
      }

      const writeOne = (frame: ClientFrame): Effect.Effect<void, SocketError | RealtimeConnectionLost> => {
        const ended = kit.ended()
        return ended !== undefined ? Effect.fail(ended) : options.write(GeminiProtocol.encode(frame))
      }
      const write = (frames: ReadonlyArray<ClientFrame>) => Effect.forEach(frames, writeOne, { discard: true })

      /** Audio arrived: the default tracker counts the item's playback from its first chunk. */
      const arrived = (events: ReadonlyArray<RealtimeModelEvent>, now: number) => {
        for (const event of events) {
          if (event._tag !== "Audio") continue
          if (arriving?.itemId !== event.itemId) arriving = { itemId: event.itemId, since: now }
          tracker.arrivedUnsafe(event.itemId, event.contentIndex, arriving.since)
        }
      }

      const act = (verdicts: ReadonlyArray<Verdict>): Effect.Effect<void> =>
        Effect.forEach(verdicts, (verdict) => {
          switch (verdict._tag) {
            case "SetupComplete":
              return Effect.logDebug(
                `the session is set up${verdict.sessionId === null ? "" : ` (${verdict.sessionId})`}`
              )
            case "TurnBoundary":
              return Effect.void
            case "SessionEnding":
              return Effect.sync(() => sessionEnding?.(verdict.timeLeftMs))
            case "PlaybackInterrupted":
              return Effect.gen(function*() {
                const playback = yield* playing.getState
                if (playback.currentItemId === verdict.itemId && playback.elapsedMs !== null) {
                  keep(GeminiProtocol.heard(state, verdict.itemId, playback.elapsedMs))
                }
                arriving = undefined
                yield* tracker.onInterrupted
                if (customTracker !== undefined) yield* customTracker.onInterrupted
              })
          }
        }, { discard: true })

      /** Takes a step: its state kept, its events appended; what its frames and verdicts ask, to run. */
      const take = (step: Step, now: number, out: Array<RealtimeModelEvent>): Effect.Effect<void> | undefined => {
        keep(step.state)
        for (const event of step.events) out.push(event)
        arrived(step.events, now)
        if (step.frames.length === 0 && step.verdicts.length === 0) return undefined
        return Effect.andThen(
          write(step.frames).pipe(
            Effect.catch((error) => Effect.logWarning("a frame the protocol asked for could not be written", error))
          ),
          act(step.verdicts)
        )
      }

      const snapshot = (playback: PlaybackState): RealtimeModelState => ({
        status: kit.ended() === undefined ? "connected" : "disconnected",
        responseInFlight: state.turn !== null,
        responseId: state.turn?.responseId ?? null,
        queuedResponses: 0,
        playback
      })

      /** Runs a send: its frames written, its events published; refused by the protocol or the socket, a typed error. */
      const dispatch = (send: Mailbox.Send, now: number): Effect.Effect<boolean, RealtimeSendError> =>
        Effect.gen(function*() {
          const playback = yield* playing.getState
          if (send.predicate !== undefined && !send.predicate(snapshot(playback))) return false
          const sent = GeminiProtocol.send(state, send.event, playback)
          if (!("state" in sent)) return yield* Effect.fail(sent)
          const out: Array<RealtimeModelEvent> = []
          keep(sent.state)
          yield* write(sent.frames).pipe(
            Effect.mapError((error) =>
              error._tag === "RealtimeConnectionLost"
                ? Ending.lostBeforeWrite(send.event, error)
                : Ending.transportError(send.event, error)
            )
          )
          for (const event of sent.events) out.push(event)
          arrived(sent.events, now)
          yield* kit.publish(out)
          yield* act(sent.verdicts)
          return true
        })

      const handler: Generation.Handler<ClientFrame, Left, Bookkeeping> = {
        receive: (text, now, _debug, out) => take(GeminiProtocol.receive(state, text), now, out),
        answer: (send, now) =>
          dispatch(send, now).pipe(
            Effect.onExit((exit) =>
              Deferred.done(
                send.reply,
                Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
                  ? Exit.fail(Ending.notConnected(send.event, true))
                  : exit
              )
            ),
            Effect.ignore
          ),
        settle: () => Effect.void,
        observe: () => undefined,
        atBoundary: () => GeminiProtocol.atBoundary(state),
        lost: (end, out) => {
          if (!kit.handedOver()) {
            memory.lastEnd = { ready: state.ready, resuming: state.resuming, accepted: state.accepted }
          }
          const ended = GeminiProtocol.ended(state)
          cutOff = ended.lostResponseId
          keep(ended.state)
          for (const event of ended.events) {
            out.push(event)
          }
          return Ending.connectionLost(end)
        },
        restore: (resumption) =>
          Effect.gen(function*() {
            state = memory.state
            if (customTracker !== undefined) yield* customTracker.setAudioFormat(state.outputAudio.format)
            for (const note of memory.notes) yield* Effect.logDebug(note)
            yield* write(resumption.frames)
            return false
          }),
        unanswered: () => ({ cutOff }),
        bookkeeping: () => bookkeepingOf(state)
      }
      return handler
    }))
