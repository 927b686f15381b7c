/**
 * Owns the connection side of a protocol written as steps without I/O (Gemini Live, OpenAI Live):
 * the protocol's state between steps (kept by the connection's owner, and given back to the call's
 * memory after each step until a rollover hands the connection over), the frames a step asks for
 * written, its events published, and what its verdicts ask of the engine done (a session ending
 * soon told to the call's owner; an interruption: how much was heard noted, the playback trackers
 * reset), and, for a protocol that ends the model's turn on its quiet, the stall timer armed after
 * each step (see `stallTimer.ts`). The default playback tracker counts an item from its first audio.
 */
import { Cause, Deferred, Effect, Exit } from "effect"
import type { Scope } from "effect"
import type { SocketError } from "effect/socket/Socket"
import type { AudioFormat } from "../../AudioFormat.js"
import type { PlaybackState } from "../../PlaybackTracker.js"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as DefaultTracker from "../realtime/defaultTracker.js"
import * as Ending from "./ending.js"
import * as Generation from "./generation.js"
import type * as Mailbox from "./mailbox.js"
import type { GenerationOptions, Resumption } from "./protocol.js"
import * as StallTimer from "./stallTimer.js"

/**
 * One step of a protocol: its next state, the events for the listeners, the frames to write and
 * the verdicts for the engine.
 *
 * @category models
 */
export interface Step<S, F, V> {
  readonly state: S
  readonly events: ReadonlyArray<RealtimeModelEvent>
  readonly frames: ReadonlyArray<F>
  readonly verdicts: ReadonlyArray<V>
}

/**
 * What a verdict asks of the engine: nothing (perhaps a Debug line), that the session is set up,
 * that the next session be prepared in `inMs` (the service ends this one), that an item stopped
 * playing.
 *
 * @category models
 */
export type Action =
  | { readonly _tag: "Note"; readonly message: string | undefined }
  | { readonly _tag: "Ready" }
  | { readonly _tag: "SessionEnding"; readonly inMs: number }
  | { readonly _tag: "PlaybackInterrupted"; readonly itemId: string }

/**
 * A protocol written as steps: state `S`, client frames `F`, verdicts `V`.
 *
 * @category models
 */
export interface Steps<S, F, V> {
  readonly receive: (state: S, text: string, now: number) => Step<S, F, V>
  readonly send: (state: S, event: RealtimeModelSendEvent, playback: PlaybackState) => Step<S, F, V> | RealtimeSendError
  /** The connection ended: the state for the next one, what ended with it, the turn it cut off. */
  readonly ended: (state: S) => Step<S, F, V> & { readonly lostResponseId: string | null }
  readonly heard: (state: S, itemId: string, heardMs: number) => S
  readonly atBoundary: (state: S) => boolean
  readonly encode: (frame: F) => string
  /** What a verdict asks of the engine (`now`: the `Clock`'s ms when its step was taken). */
  readonly act: (verdict: V, now: number) => ReadonlyArray<Action>
  /** The model's turn in flight, for a conditional send's predicate. */
  readonly turnOf: (state: S) => string | null
  readonly outputFormat: (state: S) => AudioFormat
  /** What the connection writes before its scope closes the socket (e.g. a request to end the session). */
  readonly farewell?: (state: S) => ReadonlyArray<F>
  /**
   * For a protocol that ends the model's turn on its quiet (OpenAI Live; Gemini Live, which has
   * turn events, has none): how long the server may stay quiet after a step (ms; `null`: no
   * limit), and the step taken when it stayed quiet that long. A frame pushes the deadline back; a
   * send does not (the application's audio is not the server's).
   */
  readonly stall?: {
    readonly after: (state: S) => number | null
    readonly stalled: (state: S) => Step<S, F, V>
  }
}

/**
 * What a call keeps across its connections: the protocol's state (written by the current
 * connection's owner while it runs, by the call's owner between connections), the notes of the
 * last opening on settings the provider ignores, and the state the last connection ended in
 * (which says how its close is classified).
 *
 * @category models
 */
export interface Memory<S> {
  state: S
  notes: ReadonlyArray<string>
  lastEnd: S | undefined
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
 * A connection, as its tests drive it; its bookkeeping is the protocol's state.
 *
 * @category models
 */
export type Connection<S, F> = Generation.Live<F, Left, S>

/**
 * Builds a connection of `steps` over the call's memory; nothing runs until `run` does.
 *
 * @category constructors
 */
export const make = <S, F, V>(
  steps: Steps<S, F, V>,
  options: Generation.OwnerOptions<Memory<S>> & {
    readonly memory: Memory<S>
    readonly wiring?: GenerationOptions<Memory<S>>["wiring"]
  }
): Effect.Effect<Connection<S, F>, never, Scope.Scope> =>
  Generation.make(options, (kit) =>
    Effect.gen(function*() {
      const { customTracker, memory } = options
      const tracker = DefaultTracker.make()
      const playing = customTracker ?? tracker
      let state = memory.state
      let cutOff: string | null = null
      /** The item whose audio is arriving, and when its first chunk did (the default tracker's clock). */
      let arriving: { readonly itemId: string; readonly since: number } | undefined = undefined
      const stall = steps.stall
      const timer = stall === undefined
        ? undefined
        : StallTimer.make((number) => kit.dueUnsafe(number), yield* Effect.scope)

      /** After a step: how long the server may stay quiet now (a frame, `pushBack`, moves the deadline). */
      const quiet = (now: number, pushBack: boolean): Effect.Effect<void> | undefined =>
        timer === undefined || stall === undefined
          ? undefined
          : StallTimer.set(timer, stall.after(state), now, pushBack)

      const keep = (next: S) => {
        state = next
        if (!kit.handedOver()) memory.state = next
      }

      const writeOne = (frame: F): Effect.Effect<void, SocketError | RealtimeConnectionLost> => {
        const ended = kit.ended()
        return ended !== undefined ? Effect.fail(ended) : options.write(steps.encode(frame))
      }
      const write = (frames: ReadonlyArray<F>) => Effect.forEach(frames, writeOne, { discard: true })

      // a farewell goes out before the scope closes the socket (its finalizer was added before this one)
      if (steps.farewell !== undefined) {
        const farewell = steps.farewell
        yield* Effect.addFinalizer(() =>
          kit.ended() === undefined ? Effect.ignore(Effect.timeout(write(farewell(state)), "1 second")) : Effect.void
        )
      }

      /** Audio arrived: the default tracker counts the item's playback from its first chunk. */
      const arrived = (events: ReadonlyArray<RealtimeModelEvent>, now: number) => {
        for (const event of events) {
          if (event._tag !== "Audio") continue
          if (arriving?.itemId !== event.itemId) arriving = { itemId: event.itemId, since: now }
          tracker.arrivedUnsafe(event.itemId, event.contentIndex, arriving.since)
        }
      }

      const perform = (action: Action): Effect.Effect<void> => {
        switch (action._tag) {
          case "Note":
            return action.message === undefined ? Effect.void : Effect.logDebug(action.message)
          case "Ready":
            return Effect.sync(() => options.wiring?.ready())
          case "SessionEnding":
            return Effect.sync(() => options.wiring?.sessionEnding(action.inMs))
          case "PlaybackInterrupted":
            return Effect.gen(function*() {
              const playback = yield* playing.getState
              if (playback.currentItemId === action.itemId && playback.elapsedMs !== null) {
                keep(steps.heard(state, action.itemId, playback.elapsedMs))
              }
              arriving = undefined
              yield* tracker.onInterrupted
              if (customTracker !== undefined) yield* customTracker.onInterrupted
            })
        }
      }

      const act = (verdicts: ReadonlyArray<V>, now: number): Effect.Effect<void> =>
        Effect.forEach(verdicts, (verdict) => Effect.forEach(steps.act(verdict, now), perform, { discard: true }), {
          discard: true
        })

      /**
       * Takes a step of the server's (a frame, or its quiet): its state kept, its events appended;
       * what its frames and verdicts ask, and the stall timer, to run.
       */
      const take = (step: Step<S, F, V>, now: number, out: Array<RealtimeModelEvent>) => {
        keep(step.state)
        for (const event of step.events) out.push(event)
        arrived(step.events, now)
        const timing = quiet(now, true)
        if (step.frames.length === 0 && step.verdicts.length === 0) return timing
        const asked = Effect.andThen(
          write(step.frames).pipe(
            Effect.catch((error) => Effect.logWarning("a frame the protocol asked for could not be written", error))
          ),
          act(step.verdicts, now)
        )
        return timing === undefined ? asked : Effect.andThen(asked, timing)
      }

      /** A timer of the stall reached the owner: stale, early (it sleeps on), or the quiet's step. */
      const due = (number: number, now: number, out: Array<RealtimeModelEvent>) => {
        if (timer === undefined || stall === undefined) return undefined
        switch (StallTimer.wake(timer, number, now)) {
          case "Stale":
            return undefined
          case "Early":
            return StallTimer.arm(timer)
          case "Stalled":
            return Effect.andThen(
              Effect.logDebug("the server stayed quiet with the model's turn open: the turn ends on its quiet"),
              take(stall.stalled(state), now, out) ?? Effect.void
            )
        }
      }

      const snapshot = (playback: PlaybackState): RealtimeModelState => {
        const responseId = steps.turnOf(state)
        return {
          status: kit.ended() === undefined ? "connected" : "disconnected",
          responseInFlight: responseId !== null,
          responseId,
          queuedResponses: 0,
          playback
        }
      }

      /** Runs a send: its frames written, its events published; refused by the protocol or the socket, a typed error. */
      const dispatch = (send: Mailbox.Send, now: number): Effect.Effect<boolean, RealtimeSendError> =>
        Effect.gen(function*() {
          const playback = yield* playing.getState
          if (send.predicate !== undefined && !send.predicate(snapshot(playback))) return false
          const sent = steps.send(state, send.event, playback)
          if (!("state" in sent)) return yield* Effect.fail(sent)
          keep(sent.state)
          const timing = quiet(now, false)
          if (timing !== undefined) yield* timing
          yield* write(sent.frames).pipe(
            Effect.mapError((error) =>
              error._tag === "RealtimeConnectionLost"
                ? Ending.lostBeforeWrite(send.event, error)
                : Ending.transportError(send.event, error)
            )
          )
          const out = [...sent.events]
          arrived(out, now)
          yield* kit.publish(out)
          yield* act(sent.verdicts, now)
          return true
        })

      const handler: Generation.Handler<F, Left, S> = {
        receive: (text, now, _debug, out) => take(steps.receive(state, text, now), now, out),
        due,
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
        atBoundary: () => steps.atBoundary(state),
        lost: (end, out) => {
          if (timer !== undefined) StallTimer.cancel(timer)
          if (!kit.handedOver()) memory.lastEnd = state
          const ended = steps.ended(state)
          cutOff = ended.lostResponseId
          keep(ended.state)
          for (const event of ended.events) out.push(event)
          return Ending.connectionLost(end)
        },
        restore: (resumption: Resumption<F>) =>
          Effect.gen(function*() {
            state = memory.state
            if (customTracker !== undefined) yield* customTracker.setAudioFormat(steps.outputFormat(state))
            for (const note of memory.notes) yield* Effect.logDebug(note)
            yield* write(resumption.frames)
            return false
          }),
        unanswered: () => ({ cutOff }),
        bookkeeping: () => state
      }
      return handler
    }))
