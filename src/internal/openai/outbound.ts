/**
 * Owns the write path of a connection: the application's send events → client frames on the socket,
 * barge-in, and the answer each send gets. It runs inside the connection's owner fiber (the only
 * one that touches the state), which hands it the frames it must not write once the socket ended.
 *
 * - Every frame the model writes is a typed client event; the application's `RawMessage` is the
 *   one frame written as it is.
 * - A `response.create` goes through the response sequencer: at most one response in flight.
 * - A send is answered with its result; a write refused because the socket had ended answers
 *   `Closed`, and so does a send whose owner was interrupted meanwhile.
 */
import { Cause, Clock, Data, Deferred, Effect, Exit } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { PlaybackTrackerService } from "../../PlaybackTracker.js"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Ending from "../engine/ending.js"
import { encodeClientEvent } from "../protocol/clientEvents.js"
import type { ClientEvent, ConversationItemTruncate } from "../protocol/clientEvents.js"
import * as Convert from "./convert.js"
import * as Sequencer from "./sequencer.js"
import * as State from "./state.js"

/**
 * A write refused because the socket had ended before it.
 *
 * @category errors
 */
export class SocketEnded extends Data.TaggedError("SocketEnded")<{ readonly lost: RealtimeConnectionLost }> {}

/**
 * What the write path works with: the socket's writer, the connection's state, the application's
 * playback tracker (if any), how the socket ended (once the socket reader saw it end, before the
 * owner processed it) and the owner's way to publish events to the listeners.
 *
 * @category models
 */
export interface OutboundOptions {
  readonly write: (text: string) => Effect.Effect<void, SocketError>
  readonly state: State.State
  readonly customTracker: PlaybackTrackerService | undefined
  readonly ended: () => RealtimeConnectionLost | undefined
  readonly publish: (out: Array<RealtimeModelEvent>) => Effect.Effect<void>
  /** Told of every send event written. */
  readonly onSent?: (event: RealtimeModelSendEvent) => void
  /** Told of every truncate written, with the audio that had arrived for its part (ms). */
  readonly onTruncated?: (truncate: ConversationItemTruncate, receivedMs: number) => void
}

/**
 * The write path, for the owner to run.
 *
 * @category models
 */
export interface Outbound {
  /** Writes frames, in order; fails at the first refused. */
  readonly writeAll: (frames: ReadonlyArray<ClientEvent>) => Effect.Effect<void, SocketError | SocketEnded>
  /** Writes a frame if there is one; a failed write is logged as a warning naming `what`. */
  readonly writeOrWarn: (frame: ClientEvent | undefined, what: string) => Effect.Effect<void>
  /** Barge-in: stops the audio playing (if any), truncates and cancels as the interrupt asks. */
  readonly interrupt: (event: Interrupt) => Effect.Effect<void, SocketError | SocketEnded>
  /** Runs a send and answers it. */
  readonly answer: (
    event: RealtimeModelSendEvent,
    reply: Deferred.Deferred<boolean, RealtimeSendError>
  ) => Effect.Effect<void>
  /**
   * A conditional send: evaluates the predicate and sends when it holds, with nothing in between
   * (only the owner touches the state). A predicate that throws fails this call with the defect;
   * the connection goes on.
   */
  readonly answerIf: (
    event: RealtimeModelSendEvent,
    predicate: (state: RealtimeModelState) => boolean,
    reply: Deferred.Deferred<boolean, RealtimeSendError>
  ) => Effect.Effect<void>
}

/**
 * Builds the write path of a connection.
 *
 * @category constructors
 */
export const make = (options: OutboundOptions): Outbound => {
  const { customTracker, publish, state } = options
  const tracker = customTracker ?? state.tracker

  const writeText = (text: string): Effect.Effect<void, SocketError | SocketEnded> => {
    const ended = options.ended()
    return ended !== undefined ? Effect.fail(new SocketEnded({ lost: ended })) : options.write(text)
  }
  /** Every frame the model writes is a typed client event. */
  const write = (frame: ClientEvent) => writeText(encodeClientEvent(frame))
  const writeAll = (frames: ReadonlyArray<ClientEvent>) => Effect.forEach(frames, write, { discard: true })
  const writeOrWarn = (frame: ClientEvent | undefined, what: string) =>
    frame === undefined
      ? Effect.void
      : Effect.catch(write(frame), (error) => Effect.logWarning(`${what} could not be written`, error))

  // ---- barge-in ----

  const interrupt = (event: Interrupt) =>
    Effect.gen(function*() {
      const playing = yield* tracker.getState
      const position = playing.currentItemId === null || playing.elapsedMs === null ? undefined : {
        itemId: playing.currentItemId,
        contentIndex: playing.currentItemContentIndex ?? 0,
        elapsedMs: playing.elapsedMs
      }
      const plan = State.planInterrupt(state, event, position)
      if (plan.interrupted !== undefined) yield* publish([{ _tag: "AudioInterrupted", ...plan.interrupted }])
      yield* writeAll(plan.before)
      if (options.onTruncated !== undefined && plan.receivedMs !== undefined) {
        for (const truncate of plan.before) options.onTruncated(truncate, plan.receivedMs)
      }
      if (plan.resetTrackers) {
        yield* state.tracker.onInterrupted
        if (customTracker !== undefined) yield* customTracker.onInterrupted
      }
      yield* writeAll(plan.after)
    })

  // ---- send events → client frames ----

  /** One `response.create` per turn: see the sequencer. */
  const requestResponse = (turn: Sequencer.Turn) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const frame = Sequencer.request(state.sequencer, turn, now)
      return frame === undefined
        ? Effect.logDebug("response.create waits (or joins the turn waiting) until the response in flight is done")
        : write(frame)
    })

  const dispatch = (event: RealtimeModelSendEvent): Effect.Effect<void, SocketError | SocketEnded> => {
    switch (event._tag) {
      case "RawMessage": {
        // the application's own frame, written as it is
        const frame: Record<string, unknown> = { ...event.otherData, type: event.type }
        return event.type === "response.create"
          ? requestResponse(Sequencer.manual(State.responseOf(frame)))
          : writeText(JSON.stringify(frame))
      }
      case "Interrupt":
        return interrupt(event)
      default: {
        const { frames, respond } = Convert.framesOf(event)
        return Effect.andThen(writeAll(frames), respond ? requestResponse(Sequencer.auto) : Effect.void)
      }
    }
  }

  /** Runs a send and answers it; an owner interrupted meanwhile answers `Closed`. */
  const answer = (event: RealtimeModelSendEvent, reply: Deferred.Deferred<boolean, RealtimeSendError>) =>
    Effect.mapError(
      dispatch(event),
      (error) =>
        error instanceof SocketEnded ? Ending.lostBeforeWrite(event, error.lost) : Ending.transportError(event, error)
    ).pipe(
      Effect.tap(() => options.onSent === undefined ? Effect.void : Effect.sync(() => options.onSent?.(event))),
      Effect.as(true),
      Effect.onExit((exit) =>
        Deferred.done(
          reply,
          Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
            ? Exit.fail(Ending.notConnected(event, true))
            : exit
        )
      ),
      Effect.ignore
    )

  /** The state a conditional send's predicate sees, now. */
  const snapshot: Effect.Effect<RealtimeModelState> = Effect.map(
    tracker.getState,
    (playback) => State.snapshot(state, options.ended() === undefined ? "connected" : "disconnected", playback)
  )

  const answerIf = (
    event: RealtimeModelSendEvent,
    predicate: (state: RealtimeModelState) => boolean,
    reply: Deferred.Deferred<boolean, RealtimeSendError>
  ): Effect.Effect<void> =>
    Effect.gen(function*() {
      const current = yield* snapshot
      const holds = yield* Effect.exit(Effect.sync(() => predicate(current)))
      if (Exit.isFailure(holds)) yield* Deferred.failCause(reply, holds.cause)
      else if (holds.value) yield* answer(event, reply)
      else yield* Deferred.succeed(reply, false)
    }).pipe(Effect.onInterrupt(() => Deferred.fail(reply, Ending.notConnected(event, true))))

  return { writeAll, writeOrWarn, interrupt, answer, answerIf }
}
