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
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Ending from "../engine/ending.js"
import type { Kit } from "../engine/handler.js"
import { encodeClientEvent } from "../protocol/clientEvents.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import * as Convert from "./convert.js"
import * as History from "./history.js"
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
 * playback tracker (if any), the owner's kit (how the socket ended, once the owner reached its
 * end, and the publication to the listeners), and the call's history, told of every send and
 * truncate written.
 *
 * @category models
 */
export interface OutboundOptions {
  readonly write: (text: string) => Effect.Effect<void, SocketError>
  readonly state: State.State
  readonly customTracker: PlaybackTrackerService | undefined
  readonly kit: Pick<Kit, "ended" | "publish">
  readonly history: History.History
}

/**
 * The write path of a connection, for the owner to run: its methods live on the prototype, so a
 * connection held for a call's life keeps one object for it, not a closure per function.
 *
 * @category models
 */
export class Outbound {
  constructor(readonly options: OutboundOptions) {}

  /** The tracker whose position a barge-in truncates at: the application's, else the default one. */
  get tracker(): PlaybackTrackerService {
    return this.options.customTracker ?? State.tracker(this.options.state)
  }

  writeText(text: string): Effect.Effect<void, SocketError | SocketEnded> {
    const ended = this.options.kit.ended()
    return ended !== undefined ? Effect.fail(new SocketEnded({ lost: ended })) : this.options.write(text)
  }

  /** Every frame the model writes is a typed client event. */
  write(frame: ClientEvent): Effect.Effect<void, SocketError | SocketEnded> {
    return this.writeText(encodeClientEvent(frame))
  }

  /** Writes frames, in order; fails at the first refused. */
  writeAll(frames: ReadonlyArray<ClientEvent>): Effect.Effect<void, SocketError | SocketEnded> {
    return Effect.forEach(frames, (frame) => this.write(frame), { discard: true })
  }

  /** Writes a frame if there is one; a failed write is logged as a warning naming `what`. */
  writeOrWarn(frame: ClientEvent | undefined, what: string): Effect.Effect<void> {
    return frame === undefined
      ? Effect.void
      : Effect.catch(this.write(frame), (error) => Effect.logWarning(`${what} could not be written`, error))
  }

  // ---- barge-in ----

  /** Barge-in: stops the audio playing (if any), truncates and cancels as the interrupt asks. */
  interrupt(event: Interrupt): Effect.Effect<void, SocketError | SocketEnded> {
    return Effect.gen({ self: this }, function*() {
      const { customTracker, history, kit, state } = this.options
      const playing = yield* this.tracker.getState
      const position = playing.currentItemId === null || playing.elapsedMs === null ? undefined : {
        itemId: playing.currentItemId,
        contentIndex: playing.currentItemContentIndex ?? 0,
        elapsedMs: playing.elapsedMs
      }
      const plan = State.planInterrupt(state, event, position)
      if (plan.interrupted !== undefined) yield* kit.publish([{ _tag: "AudioInterrupted", ...plan.interrupted }])
      yield* this.writeAll(plan.before)
      if (plan.receivedMs !== undefined) {
        for (const truncate of plan.before) {
          History.truncated(
            history,
            truncate.item_id,
            truncate.content_index,
            truncate.audio_end_ms,
            plan.receivedMs
          )
        }
      }
      if (plan.resetTrackers) {
        yield* State.tracker(state).onInterrupted
        if (customTracker !== undefined) yield* customTracker.onInterrupted
      }
      yield* this.writeAll(plan.after)
    })
  }

  // ---- send events → client frames ----

  /** One `response.create` per turn: see the sequencer. */
  requestResponse(turn: Sequencer.Turn): Effect.Effect<void, SocketError | SocketEnded> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const frame = Sequencer.request(this.options.state.sequencer, turn, now)
      return frame === undefined
        ? Effect.logDebug("response.create waits (or joins the turn waiting) until the response in flight is done")
        : this.write(frame)
    })
  }

  dispatch(event: RealtimeModelSendEvent): Effect.Effect<void, SocketError | SocketEnded> {
    switch (event._tag) {
      case "RawMessage": {
        // the application's own frame, written as it is
        const frame: Record<string, unknown> = { ...event.otherData, type: event.type }
        return event.type === "response.create"
          ? this.requestResponse(Sequencer.manual(State.responseOf(frame)))
          : this.writeText(JSON.stringify(frame))
      }
      case "Interrupt":
        return this.interrupt(event)
      default: {
        const { frames, respond } = Convert.framesOf(event)
        return Effect.andThen(this.writeAll(frames), respond ? this.requestResponse(Sequencer.auto) : Effect.void)
      }
    }
  }

  /** Runs a send and answers it; an owner interrupted meanwhile answers `Closed`. */
  answer(event: RealtimeModelSendEvent, reply: Deferred.Deferred<boolean, RealtimeSendError>): Effect.Effect<void> {
    return Effect.mapError(
      this.dispatch(event),
      (error) =>
        error instanceof SocketEnded ? Ending.lostBeforeWrite(event, error.lost) : Ending.transportError(event, error)
    ).pipe(
      Effect.tap(() => Effect.sync(() => History.sent(this.options.history, event))),
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
  }

  /** The state a conditional send's predicate sees, now. */
  get snapshot(): Effect.Effect<RealtimeModelState> {
    return Effect.map(
      this.tracker.getState,
      (playback) =>
        State.snapshot(
          this.options.state,
          this.options.kit.ended() === undefined ? "connected" : "disconnected",
          playback
        )
    )
  }

  /**
   * A conditional send: evaluates the predicate and sends when it holds, with nothing in between
   * (only the owner touches the state). A predicate that throws fails this call with the defect;
   * the connection goes on.
   */
  answerIf(
    event: RealtimeModelSendEvent,
    predicate: (state: RealtimeModelState) => boolean,
    reply: Deferred.Deferred<boolean, RealtimeSendError>
  ): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      const current = yield* this.snapshot
      const holds = yield* Effect.exit(Effect.sync(() => predicate(current)))
      if (Exit.isFailure(holds)) yield* Deferred.failCause(reply, holds.cause)
      else if (holds.value) yield* this.answer(event, reply)
      else yield* Deferred.succeed(reply, false)
    }).pipe(Effect.onInterrupt(() => Deferred.fail(reply, Ending.notConnected(event, true))))
  }
}
