/**
 * Owns a call's course from its first dial to its end: one owner fiber reading one command queue.
 *
 * The queue carries the application's sends, the sends a connection returns because its socket
 * ended before they were written, the result of a re-dial, the end of a rollover's drain, a
 * session's notice of its end and the deadlines of sends held in a gap. When it has none, the
 * owner runs the call's connection itself (its frames, sends and keepalive: see `generation.ts`),
 * which yields back as soon as a command is posted, or stops at its end or at a turn boundary.
 * Everything else that waits runs in a fiber of its own that posts its result: the re-dials by the
 * `Schedule`, a rollover's preparation and drain (`rollover.ts`), a held send's timer. So the
 * owner is never stuck: a send is forwarded, held or answered at once, and a held one fails at
 * its deadline.
 *
 * The owner alone writes the call's cells: the current connection, the gap (held sends, dropped
 * audio) and the call's memory, restored on every new connection. Where sends go is told to the
 * model through `enter`.
 */
import { Cause, Deferred, Duration, Effect, Exit, Option, Scope } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import * as EventHub from "../eventHub.js"
import { connectError } from "../realtime/handshake.js"
import * as Call from "./call.js"
import type { CallOptions, Command, Current, Ended, Phase } from "./call.js"
import { announce, refusal, status } from "./call.js"
import { dial, redial } from "./dial.js"
import type { Link } from "./dial.js"
import * as Gap from "./gap.js"
import * as Mailbox from "./mailbox.js"
import type { Leftover, Wiring } from "./protocol.js"
import * as Rollover from "./rollover.js"

/**
 * A call, to run once: the first connection (its dial failure is the call's), then every
 * reconnect and rollover, until the call ends. `opened` is settled once the first connection is
 * open. (The call's owner is made now: what runs it holds the effect for the call's life, and
 * the effect is the owner's own.)
 *
 * @category calls
 */
export const make = <M, F, L extends Leftover>(
  options: CallOptions<M, F, L>,
  opened: Deferred.Deferred<void, RealtimeConnectError>
): Effect.Effect<Ended, RealtimeConnectError> => new CallOwner(options, opened).life

/**
 * The call's owner: its cells, written by the owner fiber alone, and its steps, on the prototype
 * (a call held for its life costs one object, not a closure per step).
 */
class CallOwner<M, F, L extends Leftover> implements Call.Sends, Rollover.Owner<M, F, L> {
  readonly memory: M
  readonly queue = EventHub.makeInboxUnsafe<Command<F, L>>()
  /** Where sends wait for the next connection: only with a reconnect policy (without, they are refused). */
  readonly gap: Gap.Gap | undefined
  /** The fibers of the call (timers, dials, drains), made with the first: closing the call interrupts them. */
  fibers: Scope.Closeable | undefined = undefined
  current: Current<F, L> | undefined = undefined
  /** The connection the owner is running (its frames and sends) while it has no command of its own. */
  running: Current<F, L> | undefined = undefined
  /** The last generation dialled. */
  generation = 0
  /** A generation whose socket ended before the call moved on: sends are held, not given to it. */
  endedGeneration = -1
  /** How the call ended, for the sends still held. */
  end: Gap.End = undefined
  /** What the connection lost left undone, for the next one. */
  unanswered: L | undefined = undefined
  /** Whether `connect` waits for the first connection's session to be set up. */
  awaiting = false
  /**
   * For a protocol whose session the service sets up: what listeners are told of a reconnect,
   * held until the new connection (of this generation) says its session is set up.
   */
  announcement: { readonly generation: number; readonly events: ReadonlyArray<RealtimeModelEvent> } | undefined =
    undefined
  /** Whether the owner has begun: its first step is the opening. */
  begun = false
  /** The commands taken and how far the owner got: what it did not reach is answered when it stops. */
  batch: ReadonlyArray<Command<F, L>> = []
  next = 0
  /** The owner's loop (see {@link serveStep}). */
  readonly serve: Effect.Effect<Ended, RealtimeConnectError>
  /** The call: the loop, then {@link finish}. */
  readonly life: Effect.Effect<Ended, RealtimeConnectError>
  /** What the owner does once the connection it runs stops (made once: the loop waits in it). */
  readonly ranFor: (outcome: Mailbox.Outcome) => Effect.Effect<Ended, RealtimeConnectError>

  constructor(
    readonly options: CallOptions<M, F, L>,
    readonly opened: Deferred.Deferred<void, RealtimeConnectError>
  ) {
    this.memory = options.protocol.memory(options.settings)
    this.gap = options.reconnect === undefined ? undefined : Gap.make(options.reconnect.sendTimeout)
    this.serve = Effect.suspend(() => this.serveStep())
    this.life = Effect.onExit(this.serve, () => this.finish())
    this.ranFor = (outcome) => {
      const live = this.running!
      this.running = undefined
      return Effect.flatMap(this.stopped(live, outcome), (ended) => this.after(ended))
    }
  }

  /** A command for the owner; a connection it is running is asked to yield to it. */
  post(command: Command<F, L>): boolean {
    const taken = this.queue.offerUnsafe(command)
    this.running?.link.connection.yieldUnsafe()
    return taken
  }

  submit(send: Mailbox.Send): boolean {
    return this.post({ _tag: "Send", send })
  }

  withdraw(send: Mailbox.Send): void {
    this.post({ _tag: "Withdrawn", send })
  }

  /** Whether a failure is worth another connection; one that cannot resume makes the memory forget the session. */
  retryable(failure: Ended): boolean {
    const { protocol } = this.options
    const verdict = protocol.classify(this.memory, failure)
    if (verdict === "Expired") protocol.expire?.(this.memory)
    return verdict !== "Fatal"
  }

  replayOf() {
    return this.options.protocol.resume(this.memory, this.options.config.callId !== undefined ? "attached" : "again")
  }

  /** The wiring of the next generation (taken by the owner). */
  wiring(): Wiring {
    return new Call.Wired<F, L>(this, ++this.generation)
  }

  fork<A>(effect: Effect.Effect<A>) {
    return Effect.forkIn(effect, this.fibers ??= Scope.makeUnsafe(), { startImmediately: true })
  }

  /** A send goes to the call's connection, or waits in the gap when there is none to take it. */
  forward(send: Mailbox.Send): Effect.Effect<void> {
    const current = this.current
    if (current !== undefined && current.link.generation !== this.endedGeneration) {
      if (current.link.connection.adoptUnsafe(send)) return Effect.void
    }
    return this.gap === undefined
      ? Mailbox.refuse(send, undefined)
      : Gap.hold(
        this.gap,
        send,
        (send, after) =>
          this.fork(Effect.andThen(Effect.sleep(after), Effect.sync(() => void this.post({ _tag: "Expired", send }))))
      )
  }

  enter(phase: Phase): Effect.Effect<void> {
    return this.options.enter(phase, this)
  }

  /** Makes `link` the call's connection; the sends held in the gap go to it, in order. */
  adopt(link: Link<F, L>) {
    return Effect.gen({ self: this }, function*() {
      const live = Call.current(link)
      this.current = live
      yield* this.enter("Open")
      const held = this.gap === undefined ? Gap.none : Gap.release(this.gap)
      for (const send of held.sends) yield* this.forward(send)
      return { live, audioBytes: held.audioBytes }
    })
  }

  /** Runs the connection's owner, which posts its end; and prepares its rollover. */
  start(live: Current<F, L>): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      const { link } = live
      const { reconnect } = this.options
      // a standby never switched to is closed with the connection it was meant to replace (only
      // a call with a reconnect policy prepares one)
      if (reconnect !== undefined) {
        yield* Scope.addFinalizer(link.scope, Rollover.closeUnused(live))
      }
      // the owner runs it from now on, between its own commands
      live.started = true
      const rollover = reconnect?.rollover
      // a SIP call's session is the call's: it is not renewed by a new connection
      if (rollover !== undefined && this.options.config.callId === undefined) {
        yield* Rollover.roll(this, live, Duration.toMillis(rollover.at))
      }
    })
  }

  /**
   * The call goes on over `link` after a loss: the conversation restored on it, sends go there
   * (the held ones first), and listeners are told, after `before`, what was restored and lost.
   */
  resume(link: Link<F, L>, attempts: number, before: ReadonlyArray<RealtimeModelEvent>): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      const replay = this.replayOf()
      const requested = yield* link.connection.restore(replay, this.unanswered).pipe(
        Effect.catch((error) =>
          Effect.as(Effect.logWarning("the call could not be restored on the new connection", error), false)
        )
      )
      const cutOff = this.unanswered?.cutOff ?? null
      this.unanswered = undefined
      const { audioBytes, live } = yield* this.adopt(link)
      const events = [...before, Call.reconnected("dropped", attempts, replay, requested, cutOff, audioBytes)]
      if (this.options.protocol.awaitsReady === true) this.announcement = { generation: link.generation, events }
      else yield* announce(this.options.hub, events)
      yield* this.start(live)
    })
  }

  /** A connection's end: the next session takes over, the call reconnects, or the call ends. */
  lost(old: Current<F, L>, loss: RealtimeConnectionLost): Effect.Effect<Ended | undefined> {
    return Effect.gen({ self: this }, function*() {
      const { reconnect, hub } = this.options
      const tracker = this.options.config.playbackTracker
      const ready = yield* Rollover.prepared(old)
      this.unanswered = old.link.connection.unanswered()
      if (reconnect !== undefined && this.retryable(loss) && Option.isSome(ready)) {
        // the session ended before a boundary came, but the next one is ready: it takes over at once
        old.switched = true
        const next = yield* ready.value
        yield* Scope.close(old.link.scope, Exit.void)
        if (tracker !== undefined) yield* tracker.onInterrupted
        yield* this.resume(next, 0, [{ _tag: "ErrorEvent", error: loss }])
        yield* Effect.logWarning(`${loss.message}; the session prepared for the rollover took over`)
        return undefined
      }
      yield* Scope.close(old.link.scope, Exit.void)
      this.current = undefined
      if (reconnect === undefined || !this.retryable(loss)) return loss
      yield* this.enter("Reconnecting")
      yield* announce(hub, [{ _tag: "ErrorEvent", error: loss }, status("reconnecting")])
      yield* Effect.logWarning(`${loss.message}; reconnecting`)
      if (tracker !== undefined) yield* tracker.onInterrupted
      yield* this.fork(
        redial(
          this.options,
          this.memory,
          this.wiring(),
          reconnect.schedule,
          (failure) => this.retryable(failure),
          (result) => this.post({ _tag: "Redialled", result })
        )
      )
      return undefined
    })
  }

  /** The owner's answer to one command; the call's end when it ends the call. */
  handle(command: Command<F, L>): Effect.Effect<Ended | undefined, RealtimeConnectError> {
    const current = this.current
    switch (command._tag) {
      case "Send":
        return Effect.as(this.forward(command.send), undefined)
      case "Bounced":
        // the connection's socket ended before it wrote the send: later sends wait too
        if (current?.link.generation === command.generation) this.endedGeneration = command.generation
        return Effect.as(this.forward(command.send), undefined)
      case "Expired":
        return Effect.sync(() => void (this.gap !== undefined && Gap.expire(this.gap, command.send)))
      case "Withdrawn":
        return Effect.sync(() => void (this.gap !== undefined && Gap.withdraw(this.gap, command.send)))
      case "Redialled": {
        const result = command.result
        if (Exit.isFailure(result)) {
          const failure = Exit.findErrorOption(result)
          return failure._tag === "Some" ? Effect.succeed(failure.value) : Effect.die(Cause.squash(result.cause))
        }
        return Effect.uninterruptible(
          Effect.as(this.resume(result.value.link, result.value.attempts, [status("connected")]), undefined)
        )
      }
      case "Drained":
        return current?.link.generation === command.generation
          ? Effect.as(this.start(current), undefined)
          : Effect.succeed(undefined)
      case "SessionEnding":
        return current?.link.generation === command.generation
          ? Effect.as(Rollover.sessionEnding(this, current, command.inMs), undefined)
          : Effect.succeed(undefined)
      case "Ready": {
        if (current?.link.generation !== command.generation) return Effect.succeed(undefined)
        if (this.awaiting) return this.opens()
        const held = this.announcement?.generation === command.generation ? this.announcement.events : []
        this.announcement = undefined
        return Effect.as(announce(this.options.hub, held), undefined)
      }
      case "ReadyTimeout":
        return this.awaiting
          ? Effect.fail(connectError("Timeout", "the service did not set the session up within the connect timeout"))
          : Effect.succeed(undefined)
    }
  }

  /** The first connection is the call's: sends go to it, and `connect` ends. */
  opens(): Effect.Effect<undefined> {
    this.awaiting = false
    return Effect.gen({ self: this }, function*() {
      yield* this.enter("Open")
      yield* announce(this.options.hub, [status("connected")])
      yield* Deferred.succeed(this.opened, undefined)
      return undefined
    })
  }

  /** The first connection, dialled and opened; then the owner serves the call. */
  opening(): Effect.Effect<void, RealtimeConnectError> {
    return Effect.gen({ self: this }, function*() {
      const { options } = this
      yield* announce(options.hub, [status("connecting")])
      // kept before anything can interrupt: closing the call closes it
      const target = options.first.target
      options.first.target = undefined
      const first = yield* dial(
        options,
        target === undefined ? options.retarget : Effect.succeed(target),
        this.memory,
        this.wiring(),
        (link) => Effect.sync(() => void (this.current = Call.current(link)))
      )
      yield* first.connection.restore(options.protocol.resume(this.memory, "first"), undefined).pipe(
        Effect.catch((error) => Effect.logWarning("the connection's opening frames could not be written", error))
      )
      if (options.protocol.awaitsReady === true) {
        // connect ends when the session is set up, or fails when the service stays silent
        this.awaiting = true
        yield* this.fork(Effect.andThen(
          Effect.sleep(options.connectTimeout ?? Duration.seconds(10)),
          Effect.sync(() => void this.post({ _tag: "ReadyTimeout" }))
        ))
      } else {
        yield* this.opens()
      }
      if (this.current !== undefined) yield* this.start(this.current)
    })
  }

  /** What the owner does once the connection it runs stops: a yield, a boundary or its end. */
  stopped(live: Current<F, L>, outcome: Mailbox.Outcome): Effect.Effect<Ended | undefined, RealtimeConnectError> {
    return outcome._tag === "Yielded"
      ? Effect.succeed(undefined)
      : outcome._tag === "Lost" && this.awaiting
      // the service ended the connection before the session was set up: connect fails with why
      ? Effect.fail(refusal(outcome.lost))
      // never half done: a connection is always the call's or closed (its writes are not waited on)
      : Effect.uninterruptible(
        outcome._tag === "Boundary"
          ? Effect.as(Rollover.switchOver(this, live), undefined)
          : this.lost(live, outcome.lost)
      )
  }

  /** The owner goes on after a step: `undefined`, or the call's end. */
  after(ended: Ended | undefined): Effect.Effect<Ended, RealtimeConnectError> {
    if (ended === undefined) return this.serve
    this.end = ended
    return Effect.succeed(ended)
  }

  /**
   * The owner's loop: handles its commands in order; with none left, runs the call's connection
   * (which yields when a command comes), or waits for one; until one ends the call. It begins with
   * the opening. Written without a generator, as the owner waits in it for the call's life.
   */
  serveStep(): Effect.Effect<Ended, RealtimeConnectError> {
    if (!this.begun) {
      // the opening's effects are made when it runs, and let go once it has run
      this.begun = true
      return Effect.andThen(this.opening(), this.serve)
    }
    if (this.next < this.batch.length) {
      return Effect.flatMap(this.handle(this.batch[this.next++]!), (ended) => this.after(ended))
    }
    // the handled commands are let go while the owner waits
    this.batch = []
    this.next = 0
    const live = this.current
    if (live !== undefined && live.started && this.queue.sizeUnsafe() === 0) {
      this.running = live
      return Effect.flatMap(live.link.connection.run, this.ranFor)
    }
    return Effect.flatMap(Effect.orDie(this.queue.takeAll), (taken) => {
      this.batch = taken
      return this.serve
    })
  }

  /** Once the call ends: no new commands; sends not reached or held fail `Closed`; everything closes. */
  finish(): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      this.queue.endUnsafe()
      const rest = [...this.batch.slice(this.next), ...this.queue.takeAllUnsafe()]
      this.batch = []
      if (this.gap !== undefined) Gap.close(this.gap, this.end)
      for (const command of rest) {
        if (command._tag === "Send" || command._tag === "Bounced") {
          Deferred.doneUnsafe(command.send.reply, Exit.fail(Gap.ended(command.send, this.end)))
        } else if (command._tag === "Redialled" && Exit.isSuccess(command.result)) {
          yield* Scope.close(command.result.value.link.scope, Exit.void)
        }
      }
      if (this.fibers !== undefined) yield* Scope.close(this.fibers, Exit.void)
      if (this.current !== undefined) yield* Scope.close(this.current.link.scope, Exit.void)
    })
  }
}
