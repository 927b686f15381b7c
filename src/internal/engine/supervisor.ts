/**
 * Owns a call's course from its first dial to its end, run by the model's owner fiber.
 *
 * It dials each connection into a scope of its own (socket, reader, keepalive, spans), runs it, and
 * when it is lost decides what comes next — the end, or (with a reconnect policy and a retryable
 * loss) a new connection, dialled by the `Schedule`, restored from the call's memory. Before the
 * session's time limit it prepares the next session in the background and switches at a turn
 * boundary (rollover).
 *
 * Only this fiber touches the call's memory and runs the connections; the model's lifecycle
 * (which connection sends go to, or the gap they wait in) is told through `enter`.
 */
import { Clock, Deferred, Duration, Effect, Exit, Option, Ref, Schedule, Scope } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { ConnectionStatus, RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { ReconnectSchedule } from "../../RealtimeReconnect.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type * as EventHub from "../eventHub.js"
import * as Handshake from "../realtime/handshake.js"
import { dial } from "./dial.js"
import type { DialOptions, Link } from "./dial.js"
import type { Generation, Leftover, Sender } from "./protocol.js"

/**
 * Where sends go while the call runs: a connection, or the gap between two.
 *
 * @category models
 */
export type Phase =
  | {
    readonly _tag: "Open"
    readonly connection: Sender
    /**
     * With a reconnect policy: the gap its loss opens, made in advance, for a send that finds the
     * connection ended before the call has moved on.
     */
    readonly gap: Gap | undefined
  }
  | { readonly _tag: "Reconnecting"; readonly gap: Gap }

/**
 * The gap of a reconnect: sends wait for `reopened`; dropped audio is counted in `audioBytes`.
 *
 * @category models
 */
export interface Gap {
  readonly reopened: Deferred.Deferred<Sender, RealtimeConnectionLost | RealtimeConnectError>
  readonly audioBytes: Ref.Ref<number>
  readonly sendTimeout: Duration.Duration
}

/**
 * What a call is run with.
 *
 * @category models
 */
export interface CallOptions<Memory, Frame, Left extends Leftover> extends DialOptions<Memory, Frame, Left> {
  readonly settings: RealtimeSessionSettings
  readonly reconnect:
    | {
      readonly schedule: ReconnectSchedule
      readonly sendTimeout: Duration.Duration
      readonly rollover: { readonly at: Duration.Duration } | undefined
    }
    | undefined
  /** Tells the model where sends go now. */
  readonly enter: (phase: Phase) => Effect.Effect<void>
}

const status = (value: ConnectionStatus): RealtimeModelEvent => ({ _tag: "ConnectionStatusChanged", status: value })

/** Publishes to every listener without waiting: a stalled listener never holds the call up. */
const announce = (hub: EventHub.EventHub, events: ReadonlyArray<RealtimeModelEvent>) =>
  Effect.sync(() => void hub.offerAllUnsafe(events))

/** How a call ended: the loss (or the failed reconnect) to report to listeners. */
type Ended = RealtimeConnectionLost | RealtimeConnectError

/**
 * Runs a call: the first connection (its dial failure is the call's), then every reconnect and
 * rollover, until the call ends. `opened` is settled once the first connection is open.
 *
 * @category calls
 */
export const run = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  opened: Deferred.Deferred<void, RealtimeConnectError>
): Effect.Effect<Ended, RealtimeConnectError> =>
  Effect.suspend(() => {
    const course: Course<F, L> = { link: undefined, gap: undefined }
    return Effect.onExit(loop(options, opened, course), (exit) =>
      Effect.andThen(
        // sends waiting for a connection the call will not make fail at once
        course.gap === undefined
          ? Effect.void
          : Deferred.fail(course.gap.reopened, Handshake.connectError("Closed", "the model's connection is closed")),
        course.link === undefined ? Effect.void : Scope.close(course.link.scope, exit)
      ))
  })

/** Where the call is, for whoever must clean up after it: the live connection, the gap sends wait in. */
interface Course<F, L extends Leftover> {
  link: Link<F, L> | undefined
  gap: Gap | undefined
}

const makeGap = (sendTimeout: Duration.Duration): Effect.Effect<Gap> =>
  Effect.gen(function*() {
    return {
      reopened: yield* Deferred.make<Sender, RealtimeConnectionLost | RealtimeConnectError>(),
      audioBytes: yield* Ref.make(0),
      sendTimeout
    }
  })

/** Sends go to `connection` now; with a reconnect policy, the gap of its loss is made ready. */
const enterOpen = <M, F, L extends Leftover>(options: CallOptions<M, F, L>, course: Course<F, L>, connection: Sender) =>
  Effect.gen(function*() {
    const gap = options.reconnect === undefined ? undefined : yield* makeGap(options.reconnect.sendTimeout)
    course.gap = gap
    yield* options.enter({ _tag: "Open", connection, gap })
  })

const loop = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  opened: Deferred.Deferred<void, RealtimeConnectError>,
  course: Course<F, L>
): Effect.Effect<Ended, RealtimeConnectError> =>
  Effect.gen(function*() {
    const { hub } = options
    const memory = options.protocol.memory(options.settings)
    yield* announce(hub, [status("connecting")])
    let link = yield* dial(options, Effect.succeed(options.target), memory, (link) =>
      Effect.sync(() => {
        course.link = link
      }))
    yield* enterOpen(options, course, link.connection)
    yield* announce(hub, [status("connected")])
    yield* Deferred.succeed(opened, undefined)
    for (;;) {
      const standby = yield* Deferred.make<Link<F, L>>()
      let switched = false
      // a standby never switched to is closed with the connection it was meant to replace
      yield* Scope.addFinalizer(
        link.scope,
        Effect.flatMap(Deferred.poll(standby), (ready) =>
          Option.isNone(ready) || switched
            ? Effect.void
            : Effect.flatMap(ready.value, (unused) => Scope.close(unused.scope, Exit.void)))
      )
      const rollover = options.reconnect?.rollover
      // a SIP call's session is the call's: it is not renewed by a new connection
      if (rollover !== undefined && options.config.callId === undefined) {
        yield* Effect.forkIn(prepareRollover(options, memory, link, standby, rollover.at), link.scope)
      }
      const outcome = yield* link.connection.run
      if (outcome._tag === "Boundary") {
        const next = yield* Deferred.await(standby)
        switched = true
        // bounded (the old session drains for at most 2 seconds), and never half done
        yield* Effect.uninterruptible(switchOver(options, memory, course, link, next))
        link = next
        course.link = link
        continue
      }
      const lost = outcome.lost
      // the session ended before a boundary came, but the next one is ready: it takes over at once
      const ready = yield* Deferred.poll(standby)
      if (options.reconnect !== undefined && retryable(options, lost) && Option.isSome(ready)) {
        switched = true
        const next = yield* ready.value
        yield* Effect.uninterruptible(takeOver(options, memory, course, link, next, lost))
        link = next
        course.link = link
        continue
      }
      yield* Scope.close(link.scope, Exit.void)
      course.link = undefined
      if (options.reconnect === undefined || !retryable(options, lost)) {
        if (course.gap !== undefined) yield* Deferred.fail(course.gap.reopened, lost)
        return lost
      }
      const next = yield* reconnect(options, memory, course, link.connection, lost, options.reconnect.schedule)
      if (next._tag !== "Link") return next.error
      link = next.link
      course.link = link
    }
  })

/** Before the session's limit: dials the next session, then asks for a switch at the next boundary. */
const prepareRollover = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  link: Link<F, L>,
  standby: Deferred.Deferred<Link<F, L>>,
  at: Duration.Duration
) =>
  Effect.gen(function*() {
    // a session taken over at a rollover was opened before it took over
    const age = (yield* Clock.currentTimeMillis) - link.openedAt
    yield* Effect.sleep(Duration.max(Duration.zero, Duration.subtract(at, Duration.millis(age))))
    yield* Effect.logInfo("the session nears its time limit: preparing the next one")
    const dialled = yield* Effect.exit(
      dial(options, options.retarget, memory, (next) => Deferred.succeed(standby, next))
    )
    if (Exit.isFailure(dialled)) {
      return yield* Effect.logWarning(
        "the next session could not be prepared; the call reconnects when this one ends",
        dialled.cause
      )
    }
    yield* Effect.logDebug("the next session is ready: it takes over at the next turn boundary")
    yield* link.connection.switchAtBoundary
  })

/** At a turn boundary: the next session gets the conversation, sends go there, the old one drains and closes. */
const switchOver = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  course: Course<F, L>,
  old: Link<F, L>,
  next: Link<F, L>
) =>
  Effect.gen(function*() {
    // sends go to the next session from now on, behind the replay, the ones already waiting first
    old.connection.handOverUnsafe(next.connection)
    const oldGap = course.gap
    yield* enterOpen(options, course, next.connection)
    if (oldGap !== undefined) yield* Deferred.succeed(oldGap.reopened, next.connection)
    const replay = replayOf(options, memory)
    yield* next.connection.restore(replay, undefined).pipe(
      Effect.catch((error) => Effect.logWarning("the conversation could not be replayed on the next session", error))
    )
    // what the old session still sends (its close comes last) reaches listeners before the new one's
    old.closeSocket()
    yield* old.connection.run.pipe(Effect.timeoutOption(Duration.seconds(2)))
    yield* Scope.close(old.scope, Exit.void)
    yield* announce(options.hub, [{
      _tag: "Reconnected",
      cause: "rollover",
      attempts: 1,
      restored: { settings: true, items: replay.frames.length, responseRequested: false },
      lost: { responseId: null, audioBytes: 0, items: replay.lost }
    }])
    yield* Effect.logInfo(`the call moved to a new session (${replay.frames.length} items replayed)`)
  })

/** A loss with the next session ready: it gets the call, as after a reconnect, with no dial. */
const takeOver = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  course: Course<F, L>,
  old: Link<F, L>,
  next: Link<F, L>,
  lost: RealtimeConnectionLost
) =>
  Effect.gen(function*() {
    const unanswered = old.connection.unanswered()
    yield* Scope.close(old.scope, Exit.void)
    const tracker = options.config.playbackTracker
    if (tracker !== undefined) yield* tracker.onInterrupted
    yield* resume(options, memory, course, next, course.gap, unanswered, 0, [{ _tag: "ErrorEvent", error: lost }])
    yield* Effect.logWarning(`${lost.message}; the session prepared for the rollover took over`)
  })

/**
 * The call goes on over `link` after a loss: the conversation restored on it, sends go there
 * (those waiting in `gap` first), and listeners are told, after `before`, what was restored and
 * what was lost.
 */
const resume = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  course: Course<F, L>,
  link: Link<F, L>,
  gap: Gap | undefined,
  unanswered: L,
  attempts: number,
  before: ReadonlyArray<RealtimeModelEvent>
) =>
  Effect.gen(function*() {
    const replay = replayOf(options, memory)
    const requested = yield* link.connection.restore(replay, unanswered).pipe(
      Effect.catch((error) =>
        Effect.as(Effect.logWarning("the call could not be restored on the new connection", error), false)
      )
    )
    yield* enterOpen(options, course, link.connection)
    if (gap !== undefined) yield* Deferred.succeed(gap.reopened, link.connection)
    const audioBytes = gap === undefined ? 0 : yield* Ref.get(gap.audioBytes)
    yield* announce(options.hub, [...before, {
      _tag: "Reconnected",
      cause: "dropped",
      attempts,
      restored: { settings: true, items: replay.frames.length, responseRequested: requested },
      lost: { responseId: unanswered.cutOff, audioBytes, items: replay.lost }
    }])
  })

/**
 * What a new connection is given of the conversation. A connection attached to a call (`callId`)
 * finds the call's session, conversation included, where it was: nothing is replayed.
 */
const replayOf = <M, F, L extends Leftover>(options: CallOptions<M, F, L>, memory: M) =>
  options.protocol.resume(memory, options.config.callId !== undefined)

const retryable = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  failure: RealtimeConnectionLost | RealtimeConnectError
) => options.protocol.classify(failure) === "Retryable"

/** After a retryable loss: dials by the schedule, then restores the call on the new connection. */
const reconnect = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  course: Course<F, L>,
  previous: Generation<F, L>,
  lost: RealtimeConnectionLost,
  schedule: ReconnectSchedule
) =>
  Effect.gen(function*() {
    const { hub } = options
    // the gap made when the connection opened: sends that found it ended already wait there
    const gap = course.gap ?? (yield* makeGap(Duration.seconds(10)))
    course.gap = gap
    yield* options.enter({ _tag: "Reconnecting", gap })
    yield* announce(hub, [{ _tag: "ErrorEvent", error: lost }, status("reconnecting")])
    yield* Effect.logWarning(`${lost.message}; reconnecting`)
    const unanswered = previous.unanswered()
    const tracker = options.config.playbackTracker
    if (tracker !== undefined) yield* tracker.onInterrupted
    const step = yield* Schedule.toStepWithSleep(schedule)
    // closing the model meanwhile fails the sends waiting in the gap at once (see `run`)
    return yield* redial(options, memory, course, gap, unanswered, step)
  })

const redial = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  memory: M,
  course: Course<F, L>,
  gap: Gap,
  unanswered: L,
  step: (failure: RealtimeConnectError) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    let attempts = 0
    for (;;) {
      attempts++
      const dialled = yield* Effect.exit(dial(options, options.retarget, memory, (link) =>
        Effect.sync(() => {
          course.link = link
        })))
      if (Exit.isSuccess(dialled)) {
        const link = dialled.value
        yield* resume(options, memory, course, link, gap, unanswered, attempts, [status("connected")])
        return { _tag: "Link", link } as const
      }
      const error = Exit.findErrorOption(dialled)
      if (error._tag === "None") return yield* Effect.failCause(dialled.cause) // interrupted
      const failure = error.value
      const retry = retryable(options, failure)
        ? yield* Effect.exit(step(failure))
        : Exit.fail(undefined)
      if (Exit.isFailure(retry)) {
        const why = retryable(options, failure) ? `gave up after ${attempts} attempts` : "the failure is not retryable"
        yield* Effect.logWarning(`reconnecting ${why}: ${failure.message}`)
        yield* Deferred.fail(gap.reopened, failure)
        return { _tag: "Ended", error: failure } as const
      }
    }
  })

/**
 * When the rollover starts for a session that opened now, given the limit and the margin.
 *
 * @category calls
 */
export const rolloverAt = (limit: Duration.Input, margin: Duration.Input): Duration.Duration =>
  Duration.max(Duration.zero, Duration.subtract(Duration.fromInputUnsafe(limit), Duration.fromInputUnsafe(margin)))
