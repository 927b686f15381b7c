/**
 * Owns the owner of one connection, whatever its protocol (run by the call's owner fiber, between
 * its own commands): the mailbox it reads (frames, the socket's end, sends, queries, the
 * keepalive's requests, "listeners have room again", "yield to the call's owner"), the
 * backlog of frames held while a bounded listener is full and the pausing of the socket behind it,
 * the sends it returns to the call once its socket ended, and their hand-over at a rollover. What
 * a frame or a send means is the protocol's {@link Handler}, run by this owner and no one else;
 * what the owner does with the other requests is `commands.ts`.
 *
 * Nothing waits without a way out:
 * - The owner never waits for a listener. When a bounded listener is full it stops processing
 *   frames (they wait in a backlog, and the owner pauses the socket once the backlog is at its
 *   limit), logs one warning for the stall, and keeps serving sends and queries, so a listener
 *   that itself sends cannot deadlock the connection.
 * - Once the socket has ended, no frame is written into it: a send behind the end goes back to the
 *   call's owner (`bounce`: it waits for the next connection) or fails with `Closed`.
 * - Once the owner stops, the mailbox refuses new requests and those still queued are answered
 *   with a typed error (sends go back to the call's owner first, where it takes them).
 */
import { Cause, Clock, Deferred, Effect, LogLevel, References } from "effect"
import type { Scope } from "effect"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { EventHub } from "../eventHub.js"
import { makeInboxUnsafe } from "../eventHub.js"
import * as Commands from "./commands.js"
import * as Ending from "./ending.js"
import type { Handler, Kit, Live, OwnerOptions } from "./handler.js"
import * as Keepalive from "./keepalive.js"
import * as Mailbox from "./mailbox.js"
import type { Leftover, Resumption } from "./protocol.js"

export type { Handler, Kit, Live, OwnerOptions } from "./handler.js"

/** A step of the owner: how the run ends, if it does (`undefined`: the owner goes on). */
type Step = Effect.Effect<Mailbox.Outcome | undefined>

const resumeCommand = { _tag: "Resume" } as const
const switchCommand = { _tag: "SwitchAtBoundary" } as const
const boundary: Mailbox.Outcome = { _tag: "Boundary" }
const yieldCommand = { _tag: "Yield" } as const
const stopped = Ending.connectionLost({
  _tag: "Closed",
  by: "transport",
  code: undefined,
  reason: "the connection stopped"
})

/**
 * The mailbox only ends (`Done`) when the owner stops, so this is never reached while it runs.
 * Interruptions and defects go on as they were. (One function, given to `catchCause` as it is:
 * a run waiting for the call's life holds no closure for it.)
 */
const lostWhenStopped = (cause: Cause.Cause<Cause.Done>): Effect.Effect<Mailbox.Outcome> =>
  Cause.hasFails(cause)
    ? Effect.succeed({ _tag: "Lost", lost: stopped })
    // no failure in it: only interruptions and defects, which have no error type
    : Effect.failCause(cause as Cause.Cause<never>)

/**
 * Builds a connection's owner around the handler `build` makes; nothing runs until `run` does.
 *
 * @category constructors
 */
export const make = <Memory, Frame, Left extends Leftover, Bookkeeping>(
  options: OwnerOptions<Memory>,
  build: (kit: Kit) => Effect.Effect<Handler<Frame, Left, Bookkeeping>, never, Scope.Scope>
): Effect.Effect<Live<Frame, Left, Bookkeeping>, never, Scope.Scope> =>
  Effect.suspend(() => {
    // the owner is its handler's kit: no closures of its own for it
    const owner = new Owner<Memory, Frame, Left, Bookkeeping>(options)
    return Effect.map(build(owner), (handler) => {
      owner.handler = handler
      return owner
    })
  })

/**
 * A connection's owner: its cells, written by the fiber that runs it and no one else, and its
 * methods, on the prototype (a connection held for a call's life costs one object, not a closure
 * per method).
 */
class Owner<Memory, Frame, Left extends Leftover, Bookkeeping> implements Live<Frame, Left, Bookkeeping>, Kit {
  readonly hub: EventHub
  readonly bounded: boolean
  readonly backlogLimit: number
  readonly mailbox = makeInboxUnsafe<Mailbox.Command<Bookkeeping>>()
  readonly keepalive: Keepalive.Keepalive | undefined
  /** Set once `build` has made it. */
  handler!: Handler<Frame, Left, Bookkeeping>
  /** Whether the owner has paused the socket's reading: too many frames wait for it. */
  paused = false
  /** Set by the owner when it reaches the socket's end (even while a listener stalls it). */
  lostAs: RealtimeConnectionLost | undefined = undefined
  switchWanted = false
  /** The connection that took over after a rollover: sends reaching this one go there. */
  successor: Mailbox.Adopter | undefined = undefined
  /** Whether a bounded listener is full: frames wait in the backlog (the owner never waits for it). */
  stalled = false
  /** The commands being processed and how far the owner got; what it did not reach is refused if it stops. */
  batch: ReadonlyArray<Mailbox.Command<Bookkeeping>> = []
  next = 0
  /** Frames (and the socket's end, a protocol's timer) that arrived while the owner waited for a listener. */
  backlog: Array<Mailbox.Delivery | Mailbox.Due> = []

  /** The owner's loop (see {@link cycleStep}). */
  readonly cycle: Effect.Effect<Mailbox.Outcome, Cause.Done>

  constructor(readonly options: OwnerOptions<Memory>) {
    this.hub = options.hub
    this.bounded = options.hub.capacity !== undefined
    this.backlogLimit = options.backlogLimit ?? 1024
    this.keepalive = options.keepalive === undefined ? undefined : Keepalive.make(options.keepalive, this.mailbox)
    this.cycle = Effect.suspend(() => this.cycleStep())
  }

  // ---- the kit its handler is given ----

  ended(): RealtimeConnectionLost | undefined {
    return this.lostAs
  }

  handedOver(): boolean {
    return this.successor !== undefined
  }

  dueUnsafe(timer: number): boolean {
    return this.mailbox.offerUnsafe({ _tag: "Due", timer })
  }

  // ---- effects made when they are asked for (an idle connection holds none of them) ----

  get run(): Effect.Effect<Mailbox.Outcome> {
    // what a run holds while it waits is the loop (shared) and these two handlers: the keepalive's
    // start is the loop's first step, let go once it has run
    return this.cycle.pipe(
      Effect.catchCause(lostWhenStopped),
      Effect.onExit((exit) =>
        exit._tag === "Success" && exit.value._tag !== "Lost" ? Effect.void : this.refuseRemaining()
      )
    )
  }

  get bookkeeping(): Effect.Effect<Bookkeeping> {
    return this.request<Bookkeeping, never>(
      (reply) => ({ _tag: "Inspect", reply }),
      Effect.sync(() => this.handler.bookkeeping())
    )
  }

  get switchAtBoundary(): Effect.Effect<void> {
    return Effect.sync(() => void this.mailbox.offerUnsafe(switchCommand))
  }

  // ---- listeners: the owner never waits for them ----

  publish(out: Array<RealtimeModelEvent>): Effect.Effect<void> {
    if (out.length === 0) return Effect.void
    this.handler.observe(out)
    const full = this.hub.offerAllUnsafe(out)
    out.length = 0
    if (!full || this.stalled) return Effect.void
    this.stalled = true
    this.whenRoom()
    return Effect.logWarning(
      `a listener is ${this.hub.capacity} events behind; the connection waits until it catches up`
    )
  }

  /** The owner is told (by a command) once the listeners have room again. */
  whenRoom(): void {
    const mailbox = this.mailbox
    this.hub.whenRoomUnsafe(() => mailbox.offerUnsafe(resumeCommand))
  }

  // ---- the owner ----

  backlogSize(): number {
    return this.backlog.length + this.mailbox.sizeUnsafe() + this.batch.length - this.next
  }

  /**
   * The owner's loop: resumes the socket once the frames waiting are few again, takes the next
   * commands (what a batch left unprocessed when it stopped at a boundary or a yield comes first),
   * pauses the socket when too many wait, processes them. Written without a generator, as the
   * owner waits in it for the connection's life.
   */
  cycleStep(): Effect.Effect<Mailbox.Outcome, Cause.Done> {
    // the keepalive's timer is a child of the fiber that first runs the owner: it stops with it,
    // or when the owner stops
    const keepalive = this.keepalive
    if (keepalive !== undefined && keepalive.timer === undefined) {
      return Effect.andThen(Keepalive.start(keepalive), this.cycle)
    }
    if (this.paused && this.backlogSize() < this.backlogLimit) {
      this.paused = false
      this.options.flow?.resume()
    }
    if (this.next < this.batch.length) return this.processNext()
    // the processed frames are let go while the owner waits for more (an idle call holds none)
    this.batch = []
    this.next = 0
    return Effect.flatMap(this.mailbox.takeAll, (taken) => {
      this.batch = taken
      return this.processNext()
    })
  }

  processNext(): Effect.Effect<Mailbox.Outcome, Cause.Done> {
    const step = Effect.flatMap(
      this.processBatch(),
      (outcome) => outcome !== undefined ? Effect.succeed(outcome) : this.cycle
    )
    // the owner alone pauses the socket: when the frames waiting for it reach the limit
    const flow = this.options.flow
    if (this.paused || flow === undefined || this.backlogSize() < this.backlogLimit) return step
    this.paused = true
    flow.pause()
    return Effect.andThen(
      Effect.logDebug(
        `${this.backlogSize()} frames wait for the connection: the socket is not read until they are processed`
      ),
      step
    )
  }

  /** Processes the batch (the clock and the log level read once); returns how the run ends, if it does. */
  processBatch(): Step {
    return Effect.withFiber((fiber) =>
      this.drain(
        fiber.getRef(Clock.Clock).currentTimeMillisUnsafe(),
        !LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug"),
        []
      )
    )
  }

  /**
   * The batch from where the owner got to: frames in a plain loop (one that asks for nothing costs
   * no effect), any other command by {@link handle}; then what waits to be written, and a boundary
   * if a switch waits for one.
   */
  drain(now: number, debug: boolean, out: Array<RealtimeModelEvent>): Step {
    const then = (step: Step) =>
      Effect.flatMap(step, (outcome) => outcome !== undefined ? Effect.succeed(outcome) : this.drain(now, debug, out))
    while (this.next < this.batch.length) {
      const command = this.batch[this.next++]!
      if (typeof command !== "string") return then(Commands.handle(this, command, now, out))
      if (this.stalled) {
        this.backlog.push(command)
        continue
      }
      const after = this.handler.receive(command, now, debug, out)
      if (after !== undefined) return then(Effect.as(Effect.andThen(this.publish(out), after), undefined))
      const published = this.bounded ? this.publish(out) : Effect.void
      if (published !== Effect.void) return then(Effect.as(published, undefined))
    }
    const atSwitch = () => {
      if (!this.switchWanted || !this.handler.atBoundary()) return undefined
      this.switchWanted = false
      return boundary
    }
    const published = this.publish(out)
    const finish = () => {
      const settled = this.handler.settle(now)
      return settled === Effect.void ? Effect.succeed(atSwitch()) : Effect.andThen(settled, Effect.sync(atSwitch))
    }
    return published === Effect.void ? finish() : Effect.andThen(published, Effect.suspend(finish))
  }

  /** Once the owner stops: no new requests, and every one not reached is answered. */
  refuseRemaining(): Effect.Effect<void> {
    this.mailbox.endUnsafe()
    if (this.keepalive !== undefined) Keepalive.stop(this.keepalive)
    const rest = [...this.batch.slice(this.next), ...this.mailbox.takeAllUnsafe()]
    this.batch = []
    this.next = 0
    this.backlog = []
    this.paused = false
    this.options.flow?.resume()
    const { wiring } = this.options
    return Effect.forEach(
      rest,
      (command) =>
        typeof command !== "string" && command._tag === "Send" &&
          (this.successor !== undefined ? this.successor.adoptUnsafe(command) : wiring?.bounce(command) === true)
          ? Effect.void
          : Mailbox.refuse(command, this.handler.bookkeeping()),
      { discard: true }
    )
  }

  request<A, E>(
    command: (reply: Deferred.Deferred<A, E>) => Mailbox.Command<Bookkeeping>,
    refused: Effect.Effect<A, E>
  ): Effect.Effect<A, E> {
    return Effect.flatMap(
      Deferred.make<A, E>(),
      (reply) => this.mailbox.offerUnsafe(command(reply)) ? Deferred.await(reply) : refused
    )
  }

  // ---- the connection's interface ----

  deliverUnsafe(deliveries: ReadonlyArray<Mailbox.Delivery>): boolean {
    return this.mailbox.offerAllUnsafe(deliveries)
  }

  deliver(deliveries: ReadonlyArray<Mailbox.Delivery>): Effect.Effect<boolean> {
    return Effect.sync(() => this.deliverUnsafe(deliveries))
  }

  deliverFrameUnsafe(text: string): boolean {
    return this.mailbox.offerUnsafe(text)
  }

  keepaliveUnsafe(command: Keepalive.Command): boolean {
    return this.mailbox.offerUnsafe(command)
  }

  adoptUnsafe(send: Mailbox.Send): boolean {
    return this.mailbox.offerUnsafe(send)
  }

  yieldUnsafe(): boolean {
    return this.mailbox.offerUnsafe(yieldCommand)
  }

  sendIf(
    event: RealtimeModelSendEvent,
    predicate: ((state: RealtimeModelState) => boolean) | undefined
  ): Effect.Effect<boolean, RealtimeSendError> {
    return this.request<boolean, RealtimeSendError>(
      (reply) => ({ _tag: "Send", event, predicate, reply }),
      Effect.fail(Ending.notConnected(event, true))
    )
  }

  send(event: RealtimeModelSendEvent): Effect.Effect<void, RealtimeSendError> {
    return Effect.asVoid(this.sendIf(event, undefined))
  }

  restore(resumption: Resumption<Frame>, left: Left | undefined): Effect.Effect<boolean, Error> {
    return this.handler.restore(resumption, left)
  }

  handOverUnsafe(to: Mailbox.Adopter): void {
    const waiting = this.mailbox.takeAllUnsafe()
    for (const command of waiting) {
      const moved = typeof command !== "string" && command._tag === "Send" && to.adoptUnsafe(command)
      if (!moved) this.mailbox.offerUnsafe(command)
    }
    this.successor = to
  }

  unanswered(): Left {
    return this.handler.unanswered()
  }
}
