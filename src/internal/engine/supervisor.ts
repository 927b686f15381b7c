/**
 * Owns a call's course from its first dial to its end: one owner fiber reading one command queue.
 *
 * The queue carries the application's sends, the sends a connection returns because its socket
 * ended before they were written, the result of a re-dial, the end of a rollover's drain, a
 * session's notice of its end and the deadlines of sends held in a gap. When it has none, the
 * owner runs the call's connection itself (its frames, sends and keepalive: see `generation.ts`),
 * which yields back as soon as a command is posted, or stops at its end or at a turn boundary.
 * Everything else that waits runs in a fiber of its own that posts its result: the re-dials by the
 * `Schedule`, the preparation of the next session, the 2-second drain of the session before a
 * rollover, a held send's timer. So the owner is never stuck: whatever a dial does, a send is
 * forwarded, held or answered at once, and a held one fails at its deadline.
 *
 * The owner alone writes the call's cells: the current connection, the gap (held sends, dropped
 * audio) and the call's memory, restored on every new connection. Where sends go is told to the
 * model through `enter`.
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, Option, Scope } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as EventHub from "../eventHub.js"
import { connectError } from "../realtime/handshake.js"
import * as Call from "./call.js"
import type { CallOptions, Command, Current, Ended, Phase } from "./call.js"
import { announce, refusal, status } from "./call.js"
import { dial, redial } from "./dial.js"
import type { Link, Wiring } from "./dial.js"
import * as Gap from "./gap.js"
import * as Mailbox from "./mailbox.js"
import type { Leftover } from "./protocol.js"

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
    const { hub, protocol } = options
    const tracker = options.config.playbackTracker
    const memory = protocol.memory(options.settings)
    const queue = EventHub.makeInboxUnsafe<Command<F, L>>()
    /** A command for the owner; a connection it is running is asked to yield to it. */
    const post = (command: Command<F, L>) => {
      const taken = queue.offerUnsafe(command)
      running?.yieldUnsafe()
      return taken
    }
    const submit = (send: Mailbox.Send) => post({ _tag: "Send", send })
    const withdraw = (send: Mailbox.Send) => void post({ _tag: "Withdrawn", send })
    const reconnect = options.reconnect
    /** The fibers of the call (timers, dials, drains), made with the first: closing the call interrupts them. */
    let fibers: Scope.Closeable | undefined = undefined
    const gap = Gap.make(reconnect?.sendTimeout ?? Duration.seconds(10))
    // ---- the owner's cells ----
    let current: Current<F, L> | undefined = undefined
    /** The connection the owner is running (its frames and sends) while it has no command of its own. */
    let running: Link<F, L>["connection"] | undefined = undefined
    /** The last generation dialled. */
    let generation = 0
    /** A generation whose socket ended before the call moved on: sends are held, not given to it. */
    let endedGeneration = -1
    /** How the call ended, for the sends still held. */
    let end: Gap.End = undefined
    /** What the connection lost left undone, for the next one. */
    let unanswered: L | undefined = undefined
    /** Whether `connect` waits for the first connection's session to be set up. */
    let awaiting = false
    /**
     * For a protocol whose session the service sets up: what listeners are told of a reconnect,
     * held until the new connection (of this generation) says its session is set up.
     */
    let announcement: { readonly generation: number; readonly events: ReadonlyArray<RealtimeModelEvent> } | undefined =
      undefined
    /** The commands taken and how far the owner got: what it did not reach is answered when it stops. */
    let batch: ReadonlyArray<Command<F, L>> = []
    let next = 0

    /** Whether a failure is worth another connection; one that cannot resume makes the memory forget the session. */
    const retryable = (failure: Ended) => {
      const verdict = protocol.classify(memory, failure)
      if (verdict === "Expired") protocol.expire?.(memory)
      return verdict !== "Fatal"
    }
    const replayOf = () => protocol.resume(memory, options.config.callId !== undefined ? "attached" : "again")

    /**
     * The wiring of the next generation (taken by the owner): with a reconnect policy, its unwritten
     * sends come back here.
     */
    const wiring = (): Wiring => {
      const g = ++generation
      return {
        generation: g,
        bounce: reconnect === undefined
          ? undefined
          : (send: Mailbox.Send) => post({ _tag: "Bounced", generation: g, send }),
        sessionEnding: (inMs) => void post({ _tag: "SessionEnding", generation: g, inMs }),
        ready: protocol.awaitsReady === true ? () => void post({ _tag: "Ready", generation: g }) : undefined
      }
    }

    const fork = <A>(effect: Effect.Effect<A>) =>
      Effect.forkIn(effect, fibers ??= Scope.makeUnsafe(), { startImmediately: true })

    const deadline = (send: Mailbox.Send, after: Duration.Duration) =>
      fork(Effect.andThen(Effect.sleep(after), Effect.sync(() => void post({ _tag: "Expired", send }))))

    /** A send goes to the call's connection, or waits in the gap when there is none to take it. */
    const forward = (send: Mailbox.Send): Effect.Effect<void> => {
      if (current !== undefined && current.link.generation !== endedGeneration) {
        if (current.link.connection.adoptUnsafe(send)) return Effect.void
      }
      return reconnect === undefined ? Mailbox.refuse(send, undefined) : Gap.hold(gap, send, deadline)
    }

    const enter = (tag: Phase["_tag"]) => options.enter({ _tag: tag, submit, withdraw })

    /** Makes `link` the call's connection; the sends held in the gap go to it, in order. */
    const adopt = (link: Link<F, L>) =>
      Effect.gen(function*() {
        const live: Current<F, L> = {
          link,
          standby: Deferred.makeUnsafe(),
          switched: false,
          rolling: undefined,
          started: false
        }
        current = live
        yield* enter("Open")
        const held = Gap.release(gap)
        for (const send of held.sends) yield* forward(send)
        return { live, audioBytes: held.audioBytes }
      })

    /** Runs the connection's owner, which posts its end; and prepares its rollover. */
    const start = (live: Current<F, L>) =>
      Effect.gen(function*() {
        const { link, standby } = live
        // a standby never switched to is closed with the connection it was meant to replace (only
        // a call with a reconnect policy prepares one)
        if (reconnect !== undefined) {
          yield* Scope.addFinalizer(
            link.scope,
            Effect.flatMap(Deferred.poll(standby), (ready) =>
              Option.isNone(ready) || live.switched
                ? Effect.void
                : Effect.flatMap(ready.value, (unused) => Scope.close(unused.scope, Exit.void)))
          )
        }
        // the owner runs it from now on, between its own commands
        live.started = true
        const rollover = reconnect?.rollover
        // a SIP call's session is the call's: it is not renewed by a new connection
        if (rollover !== undefined && options.config.callId === undefined) {
          yield* roll(live, Duration.toMillis(rollover.at))
        }
      })

    /**
     * The call goes on over `link` after a loss: the conversation restored on it, sends go there
     * (the held ones first), and listeners are told, after `before`, what was restored and lost.
     */
    const resume = (link: Link<F, L>, attempts: number, before: ReadonlyArray<RealtimeModelEvent>) =>
      Effect.gen(function*() {
        const replay = replayOf()
        const requested = yield* link.connection.restore(replay, unanswered).pipe(
          Effect.catch((error) =>
            Effect.as(Effect.logWarning("the call could not be restored on the new connection", error), false)
          )
        )
        const cutOff = unanswered?.cutOff ?? null
        unanswered = undefined
        const { audioBytes, live } = yield* adopt(link)
        const events = [...before, Call.reconnected("dropped", attempts, replay, requested, cutOff, audioBytes)]
        if (protocol.awaitsReady === true) announcement = { generation: link.generation, events }
        else yield* announce(hub, events)
        yield* start(live)
      })

    /** At a turn boundary: the next session gets the conversation and the sends; the old one drains. */
    const switchOver = (old: Current<F, L>) =>
      Effect.gen(function*() {
        const next = yield* Deferred.await(old.standby)
        old.switched = true
        // sends go to the next session from now on, behind the replay, the ones already waiting first
        old.link.connection.handOverUnsafe(next.connection)
        yield* adopt(next)
        const replay = replayOf()
        yield* next.connection.restore(replay, undefined).pipe(
          Effect.catch((error) =>
            Effect.logWarning("the conversation could not be replayed on the next session", error)
          )
        )
        // what the old session still sends (its close comes last) reaches listeners before the new
        // one's: the new one starts once the old one has drained (at most 2 seconds, never half done)
        old.link.closeSocket()
        yield* fork(Effect.uninterruptible(Effect.gen(function*() {
          yield* old.link.connection.run.pipe(Effect.timeoutOption(Duration.seconds(2)))
          yield* Scope.close(old.link.scope, Exit.void)
          yield* announce(hub, [Call.reconnected("rollover", 1, replay, false, null, 0)])
          yield* Effect.logInfo(`the call moved to a new session (${replay.items} items replayed)`)
          post({ _tag: "Drained", generation: next.generation })
        })))
      })

    /** A connection's end: the next session takes over, the call reconnects, or the call ends. */
    const lost = (old: Current<F, L>, loss: RealtimeConnectionLost) =>
      Effect.gen(function*() {
        const ready = yield* Deferred.poll(old.standby)
        unanswered = old.link.connection.unanswered()
        if (reconnect !== undefined && retryable(loss) && Option.isSome(ready)) {
          // the session ended before a boundary came, but the next one is ready: it takes over at once
          old.switched = true
          const next = yield* ready.value
          yield* Scope.close(old.link.scope, Exit.void)
          if (tracker !== undefined) yield* tracker.onInterrupted
          yield* resume(next, 0, [{ _tag: "ErrorEvent", error: loss }])
          yield* Effect.logWarning(`${loss.message}; the session prepared for the rollover took over`)
          return undefined
        }
        yield* Scope.close(old.link.scope, Exit.void)
        current = undefined
        if (reconnect === undefined || !retryable(loss)) return loss
        yield* enter("Reconnecting")
        yield* announce(hub, [{ _tag: "ErrorEvent", error: loss }, status("reconnecting")])
        yield* Effect.logWarning(`${loss.message}; reconnecting`)
        if (tracker !== undefined) yield* tracker.onInterrupted
        yield* fork(
          redial(options, memory, wiring(), reconnect.schedule, retryable, (result) =>
            post({ _tag: "Redialled", result }))
        )
        return undefined
      })

    /**
     * The service ends the session: the next one is prepared in `inMs`, and takes over at the next
     * turn boundary (or when this one ends, if no boundary comes first). Without a reconnect policy
     * the call ends with the session.
     */
    const sessionEnding = (live: Current<F, L>, inMs: number) =>
      Effect.gen(function*() {
        if (reconnect === undefined) {
          return yield* Effect.logDebug("the service ends the session (no reconnect policy: the call ends with it)")
        }
        const at = (yield* Clock.currentTimeMillis) - live.link.openedAt + inMs
        if (live.rolling !== undefined && live.rolling.at <= at) {
          return
        }
        yield* Effect.logInfo(`the service ends the session: the next one is prepared in ${Math.round(inMs / 1000)} s`)
        yield* roll(live, at)
      })

    /** Prepares the next session from `at` (ms of the connection's age), in place of a later preparation. */
    const roll = (live: Current<F, L>, at: number) =>
      Call.roll(options, memory, live, at, wiring)

    /** The owner's answer to one command; the call's end when it ends the call. */
    const handle = (command: Command<F, L>): Effect.Effect<Ended | undefined, RealtimeConnectError> => {
      switch (command._tag) {
        case "Send":
          return Effect.as(forward(command.send), undefined)
        case "Bounced":
          // the connection's socket ended before it wrote the send: later sends wait too
          if (current?.link.generation === command.generation) {
            endedGeneration = command.generation
          }
          return Effect.as(forward(command.send), undefined)
        case "Expired":
          return Effect.sync(() =>
            void Gap.expire(gap, command.send)
          )
        case "Withdrawn":
          return Effect.sync(() => void Gap.withdraw(gap, command.send))
        case "Redialled": {
          const result = command.result
          if (Exit.isFailure(result)) {
            const failure = Exit.findErrorOption(result)
            return failure._tag === "Some" ? Effect.succeed(failure.value) : Effect.die(Cause.squash(result.cause))
          }
          return Effect.uninterruptible(
            Effect.as(resume(result.value.link, result.value.attempts, [status("connected")]), undefined)
          )
        }
        case "Drained":
          return current?.link.generation === command.generation
            ? Effect.as(start(current), undefined)
            : Effect.succeed(undefined)
        case "SessionEnding":
          return current?.link.generation === command.generation
            ? Effect.as(sessionEnding(current, command.inMs), undefined)
            : Effect.succeed(undefined)
        case "Ready": {
          if (current?.link.generation !== command.generation) return Effect.succeed(undefined)
          if (awaiting) return opens
          const held = announcement?.generation === command.generation ? announcement.events : []
          announcement = undefined
          return Effect.as(announce(hub, held), undefined)
        }
        case "ReadyTimeout":
          return awaiting
            ? Effect.fail(
              connectError("Timeout", "the service did not set the session up within the connect timeout")
            )
            : Effect.succeed(undefined)
      }
    }

    /** The first connection is the call's: sends go to it, and `connect` ends. */
    const opens: Effect.Effect<undefined> = Effect.suspend(() => {
      awaiting = false
      return Effect.gen(function*() {
        yield* enter("Open")
        yield* announce(hub, [status("connected")])
        yield* Deferred.succeed(opened, undefined)
        return undefined
      })
    })

    /**
     * The first connection, dialled and opened; then the owner serves the call. (Its generator is
     * made when it runs: one made now would be held for the call's life, and so for `finish`.)
     */
    const opening: Effect.Effect<void, RealtimeConnectError> = Effect.suspend(() =>
      Effect.gen(function*() {
        yield* announce(hub, [status("connecting")])
        // kept before anything can interrupt: closing the call closes it
        const target = options.takeTarget()
        const first = yield* dial(
          options,
          target === undefined ? options.retarget : Effect.succeed(target),
          memory,
          wiring(),
          (link) =>
            Effect.sync(() => {
              current = { link, standby: Deferred.makeUnsafe(), switched: false, rolling: undefined, started: false }
            })
        )
        yield* first.connection.restore(protocol.resume(memory, "first"), undefined).pipe(
          Effect.catch((error) => Effect.logWarning("the connection's opening frames could not be written", error))
        )
        if (protocol.awaitsReady === true) {
          // connect ends when the session is set up, or fails when the service stays silent
          awaiting = true
          yield* fork(Effect.andThen(
            Effect.sleep(options.connectTimeout ?? Duration.seconds(10)),
            Effect.sync(() => void post({ _tag: "ReadyTimeout" }))
          ))
        } else {
          yield* opens
        }
        if (current !== undefined) yield* start(current)
      })
    )

    /** What the owner does once the connection it runs stops: a yield, a boundary or its end. */
    const stopped = (
      live: Current<F, L>,
      outcome: Mailbox.Outcome
    ): Effect.Effect<Ended | undefined, RealtimeConnectError> =>
      outcome._tag === "Yielded"
        ? Effect.succeed(undefined)
        : outcome._tag === "Lost" && awaiting
        // the service ended the connection before the session was set up: connect fails with why
        ? Effect.fail(refusal(outcome.lost))
        // never half done: a connection is always the call's or closed (its writes are not waited on)
        : Effect.uninterruptible(
          outcome._tag === "Boundary" ? Effect.as(switchOver(live), undefined) : lost(live, outcome.lost)
        )

    /** The owner goes on after a step: `undefined`, or the call's end. */
    const then = (ended: Ended | undefined): Effect.Effect<Ended, RealtimeConnectError> => {
      if (ended === undefined) return serve
      end = ended
      return Effect.succeed(ended)
    }

    /**
     * The owner's loop: handles its commands in order; with none left, runs the call's connection
     * (which yields when a command comes), or waits for one; until one ends the call. Written
     * without a generator, as the owner waits in it for the call's life.
     */
    const serve: Effect.Effect<Ended, RealtimeConnectError> = Effect.suspend(() => {
      if (next < batch.length) return Effect.flatMap(handle(batch[next++]!), then)
      // the handled commands are let go while the owner waits
      batch = []
      next = 0
      const live = current
      if (live !== undefined && live.started && queue.sizeUnsafe() === 0) {
        running = live.link.connection
        return Effect.flatMap(live.link.connection.run, (outcome) => {
          running = undefined
          return Effect.flatMap(stopped(live, outcome), then)
        })
      }
      return Effect.flatMap(Effect.orDie(queue.takeAll), (taken) => {
        batch = taken
        return serve
      })
    })

    /** Once the call ends: no new commands; sends not reached or held fail `Closed`; everything closes. */
    const finish = Effect.suspend(() =>
      Effect.gen(function*() {
        queue.endUnsafe()
        const rest = [...batch.slice(next), ...queue.takeAllUnsafe()]
        batch = []
        Gap.close(gap, end)
        for (const command of rest) {
          if (command._tag === "Send" || command._tag === "Bounced") {
            Deferred.doneUnsafe(command.send.reply, Exit.fail(Gap.ended(command.send, end)))
          } else if (command._tag === "Redialled" && Exit.isSuccess(command.result)) {
            yield* Scope.close(command.result.value.link.scope, Exit.void)
          }
        }
        if (fibers !== undefined) yield* Scope.close(fibers, Exit.void)
        if (current !== undefined) yield* Scope.close(current.link.scope, Exit.void)
      })
    )

    return Effect.onExit(Effect.andThen(opening, serve), () => finish)
  })
