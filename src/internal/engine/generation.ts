/**
 * Owns the owner of one connection, whatever its protocol (run by the call's owner fiber, between
 * its own commands): the mailbox it reads (frames, the socket's end, sends, queries, the
 * keepalive's requests, "listeners have room again", "yield to the call's owner"), the
 * backlog of frames held while a bounded listener is full and the pausing of the socket behind it,
 * the sends it returns to the call once its socket ended, and their hand-over at a rollover. What
 * a frame or a send means is the protocol's {@link Handler}, run by this owner and no one else.
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
import { Clock, Deferred, Effect, LogLevel } from "effect"
import type { Cause, Scope } from "effect"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import { makeInboxUnsafe } from "../eventHub.js"
import * as Ending from "./ending.js"
import * as Keepalive from "./keepalive.js"
import * as Mailbox from "./mailbox.js"
import type { Generation, GenerationOptions, Leftover, Resumption } from "./protocol.js"

/**
 * What the owner gives a protocol's handler: the listeners' publication (which never waits), and
 * how the socket ended once the owner reached its end (`undefined` before), whether it was handed over.
 *
 * @category models
 */
export interface Kit {
  readonly publish: (out: Array<RealtimeModelEvent>) => Effect.Effect<void>
  readonly ended: () => RealtimeConnectionLost | undefined
  /** Whether a rollover handed this connection's sends to the next one (it only drains now). */
  readonly handedOver: () => boolean
}

/**
 * A protocol's side of one connection, run by its owner fiber alone.
 *
 * @category models
 */
export interface Handler<Frame, Left extends Leftover, Bookkeeping> {
  /**
   * One text frame: its events are appended to `out`; returns what the owner runs once they are
   * published (a frame that asks for nothing: `undefined`, and its events wait for the batch's end).
   */
  readonly receive: (
    text: string,
    now: number,
    debug: boolean,
    out: Array<RealtimeModelEvent>
  ) => Effect.Effect<void> | undefined
  /** Runs a send (testing its predicate first, if it has one) and answers it. */
  readonly answer: (send: Mailbox.Send, now: number) => Effect.Effect<void>
  /** Runs before each send and after each batch: what waits to be written (may be nothing). */
  readonly settle: (now: number) => Effect.Effect<void>
  /** Told of every event before the listeners get it. */
  readonly observe: (events: ReadonlyArray<RealtimeModelEvent>) => void
  /** Whether the call is at a turn boundary (a new connection can take over now). */
  readonly atBoundary: () => boolean
  /** The socket's end as the call's loss; the events of what ended with it are appended to `out`. */
  readonly lost: (end: Ending.SocketEnd, out: Array<RealtimeModelEvent>) => RealtimeConnectionLost
  readonly restore: Generation<Frame, Left>["restore"]
  readonly unanswered: () => Left
  readonly bookkeeping: () => Bookkeeping
}

/**
 * A connection as its tests drive it: a {@link Generation} that can also be fed and inspected.
 *
 * @category models
 */
export interface Live<Frame, Left extends Leftover, Bookkeeping> extends Generation<Frame, Left> {
  /** {@link Generation.deliverUnsafe} as an effect. */
  readonly deliver: (deliveries: ReadonlyArray<Mailbox.Delivery>) => Effect.Effect<boolean>
  /** The handler's bookkeeping, as the owner sees it when it reaches the query. */
  readonly bookkeeping: Effect.Effect<Bookkeeping>
}

/**
 * What the owner is built with: the engine's options (flow control and ping optional), and how
 * many unprocessed frames may wait before the socket is paused (default 1024).
 *
 * @category models
 */
export interface OwnerOptions<Memory> extends Omit<GenerationOptions<Memory>, "flow" | "memory"> {
  readonly flow?: GenerationOptions<Memory>["flow"]
  readonly backlogLimit?: number
}

const resumeCommand = { _tag: "Resume" } as const
const switchCommand = { _tag: "SwitchAtBoundary" } as const
const boundary: Mailbox.Outcome = { _tag: "Boundary" }
const yieldCommand = { _tag: "Yield" } as const
const yielded: Mailbox.Outcome = { _tag: "Yielded" }
const stopped = Ending.connectionLost({
  _tag: "Closed",
  by: "transport",
  code: undefined,
  reason: "the connection stopped"
})

/**
 * Builds a connection's owner around the handler `build` makes; nothing runs until `run` does.
 *
 * @category constructors
 */
export const make = <Memory, Frame, Left extends Leftover, Bookkeeping>(
  options: OwnerOptions<Memory>,
  build: (kit: Kit) => Effect.Effect<Handler<Frame, Left, Bookkeeping>, never, Scope.Scope>
): Effect.Effect<Live<Frame, Left, Bookkeeping>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { hub } = options
    const bounded = hub.capacity !== undefined
    const backlogLimit = options.backlogLimit ?? 1024
    const mailbox = makeInboxUnsafe<Mailbox.Command<Bookkeeping>>()
    /** Whether the owner has paused the socket's reading: too many frames wait for it. */
    let paused = false
    /** Set by the owner when it reaches the socket's end (even while a listener stalls it). */
    let ended: RealtimeConnectionLost | undefined = undefined
    let switchWanted = false
    const keepalive = options.keepalive === undefined
      ? undefined
      : Keepalive.make(options.keepalive, (command) => mailbox.offerUnsafe(command))
    /** The connection that took over after a rollover: sends reaching this one go there. */
    let successor: Mailbox.Adopter | undefined = undefined

    // ---- listeners: the owner never waits for them ----

    let stalled = false
    let handler: Handler<Frame, Left, Bookkeeping> | undefined = undefined
    const publish = (out: Array<RealtimeModelEvent>): Effect.Effect<void> => {
      if (out.length === 0) return Effect.void
      handler!.observe(out)
      const full = hub.offerAllUnsafe(out)
      out.length = 0
      if (!full || stalled) return Effect.void
      stalled = true
      hub.whenRoomUnsafe(() => mailbox.offerUnsafe(resumeCommand))
      return Effect.logWarning(
        `a listener is ${hub.capacity} events behind; the connection waits until it catches up`
      )
    }
    const self = yield* build({ publish, ended: () => ended, handedOver: () => successor !== undefined })
    handler = self

    // ---- the owner ----

    /** The commands being processed and how far the owner got; what it did not reach is refused if it stops. */
    let batch: ReadonlyArray<Mailbox.Command<Bookkeeping>> = []
    let next = 0
    /** Frames (and the socket's end) that arrived while the owner waited for a listener. */
    let backlog: Array<Mailbox.Delivery> = []

    const backlogSize = () => backlog.length + mailbox.sizeUnsafe() + batch.length - next

    /** Processes the batch; returns how the run ends when it reaches the socket's end or a boundary. */
    // its generator function is made per batch: one made now would be held for the connection's life
    const processBatch = Effect.suspend(() =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const debug = yield* LogLevel.isEnabled("Debug")
        const out: Array<RealtimeModelEvent> = []
        while (next < batch.length) {
          const command = batch[next++]!
          if (typeof command === "string") {
            if (stalled) {
              backlog.push(command)
              continue
            }
            const after = self.receive(command, now, debug, out)
            if (after !== undefined) {
              yield* publish(out)
              yield* after
            } else if (bounded) {
              yield* publish(out)
            }
            continue
          }
          switch (command._tag) {
            case "Closed":
              // from here on no frame is written: sends behind the end fail Closed, even in a stall
              if (ended === undefined) {
                ended = Ending.connectionLost(command)
                yield* Effect.logDebug(
                  `the socket ended${Ending.details(command.code, command.reason)}: sends fail from now on`
                )
              }
              if (stalled) {
                backlog.push(command)
                break
              }
              {
                const lost = self.lost(command, out)
                yield* publish(out)
                return { _tag: "Lost", lost } as const
              }
            case "Send":
              if (successor !== undefined) {
                if (!successor.adoptUnsafe(command)) yield* Mailbox.refuse(command, self.bookkeeping())
                break
              }
              // not written: the call's owner holds it for the next connection (with a reconnect policy)
              if (ended !== undefined && options.bounce?.(command) === true) break
              yield* publish(out)
              yield* self.settle(now)
              yield* self.answer(command, now)
              break
            case "Inspect":
              yield* publish(out)
              yield* Deferred.succeed(command.reply, self.bookkeeping())
              break
            case "SwitchAtBoundary":
              switchWanted = true
              break
            case "Yield":
              // the rest of the batch waits for the next run
              yield* publish(out)
              yield* self.settle(now)
              return yielded
            case "PingDue":
            case "Pong":
            case "PongDue": {
              if (keepalive === undefined) break
              // the owner writes the ping; a late pong ends the connection behind the frames already here
              const late = yield* Keepalive.handle(keepalive, command, now)
              if (late !== undefined) mailbox.offerUnsafe(late)
              break
            }
            case "Resume":
              yield* publish(out)
              if (!stalled) break
              if (hub.isFullUnsafe()) {
                hub.whenRoomUnsafe(() => mailbox.offerUnsafe(resumeCommand))
                break
              }
              stalled = false
              // the frames held during the stall come first, then the rest of this batch
              batch = [...backlog, ...batch.slice(next)]
              backlog = []
              next = 0
              break
          }
        }
        yield* publish(out)
        yield* self.settle(now)
        if (!switchWanted || !self.atBoundary()) return undefined
        switchWanted = false
        return boundary
      })
    )

    /** Once the owner stops: no new requests, and every one not reached is answered. */
    const refuseRemaining = Effect.suspend(() =>
      Effect.gen(function*() {
        mailbox.endUnsafe()
        if (keepalive !== undefined) Keepalive.stop(keepalive)
        const rest = [...batch.slice(next), ...mailbox.takeAllUnsafe()]
        batch = []
        next = 0
        backlog = []
        paused = false
        options.flow?.resume()
        yield* Effect.forEach(
          rest,
          (command) =>
            typeof command !== "string" && command._tag === "Send" &&
              (successor !== undefined ? successor.adoptUnsafe(command) : options.bounce?.(command) === true)
              ? Effect.void
              : Mailbox.refuse(command, self.bookkeeping()),
          { discard: true }
        )
      })
    )

    /**
     * The owner's loop: resumes the socket once the frames waiting are few again, takes the next
     * commands (what a batch left unprocessed when it stopped at a boundary comes first), pauses
     * the socket when too many wait, processes them. Written without a generator, as the owner
     * waits in it for the connection's life.
     */
    const cycle: Effect.Effect<Mailbox.Outcome, Cause.Done> = Effect.suspend(() => {
      if (paused && backlogSize() < backlogLimit) {
        paused = false
        options.flow?.resume()
      }
      if (next < batch.length) return processNext
      // the processed frames are let go while the owner waits for more (an idle call holds none)
      batch = []
      next = 0
      return Effect.flatMap(mailbox.takeAll, (taken) => {
        batch = taken
        return processNext
      })
    })

    const processNext: Effect.Effect<Mailbox.Outcome, Cause.Done> = Effect.suspend(() => {
      const step = Effect.flatMap(processBatch, (outcome) => outcome !== undefined ? Effect.succeed(outcome) : cycle)
      // the owner alone pauses the socket: when the frames waiting for it reach the limit
      if (paused || options.flow === undefined || backlogSize() < backlogLimit) return step
      paused = true
      options.flow.pause()
      return Effect.andThen(
        Effect.logDebug(
          `${backlogSize()} frames wait for the connection: the socket is not read until they are processed`
        ),
        step
      )
    })

    // the keepalive's timer is a child of the fiber that first runs the owner: it stops with it,
    // or when the owner stops
    const run: Effect.Effect<Mailbox.Outcome> = Effect.andThen(
      keepalive === undefined || keepalive.timer !== undefined ? Effect.void : Keepalive.start(keepalive),
      cycle
    ).pipe(
      // the mailbox only ends when the owner stops, so this is never reached while it runs
      Effect.catch(() => Effect.succeed<Mailbox.Outcome>({ _tag: "Lost", lost: stopped })),
      Effect.onExit((exit) => exit._tag === "Success" && exit.value._tag !== "Lost" ? Effect.void : refuseRemaining)
    )

    const request = <A, E>(
      command: (reply: Deferred.Deferred<A, E>) => Mailbox.Command<Bookkeeping>,
      refused: Effect.Effect<A, E>
    ): Effect.Effect<A, E> =>
      Effect.flatMap(
        Deferred.make<A, E>(),
        (reply) => mailbox.offerUnsafe(command(reply)) ? Deferred.await(reply) : refused
      )

    const send = (
      event: RealtimeModelSendEvent,
      predicate: ((state: RealtimeModelState) => boolean) | undefined
    ): Effect.Effect<boolean, RealtimeSendError> =>
      request<boolean, RealtimeSendError>(
        (reply) => ({ _tag: "Send", event, predicate, reply }),
        Effect.fail(Ending.notConnected(event, true))
      )

    const deliverUnsafe = (deliveries: ReadonlyArray<Mailbox.Delivery>): boolean => mailbox.offerAllUnsafe(deliveries)
    /** One command for the owner (a frame, the keepalive's, a send handed over): one closure for all three. */
    const offer = (command: Mailbox.Command<Bookkeeping>): boolean => mailbox.offerUnsafe(command)

    return {
      deliverUnsafe,
      deliver: (deliveries) => Effect.sync(() => deliverUnsafe(deliveries)),
      deliverFrameUnsafe: offer,
      keepaliveUnsafe: offer,
      send: (event) => Effect.asVoid(send(event, undefined)),
      sendIf: send,
      restore: (resumption: Resumption<Frame>, left: Left | undefined) => self.restore(resumption, left),
      switchAtBoundary: Effect.sync(() => void mailbox.offerUnsafe(switchCommand)),
      yieldUnsafe: () => mailbox.offerUnsafe(yieldCommand),
      handOverUnsafe: (to) => {
        const waiting = mailbox.takeAllUnsafe()
        for (const command of waiting) {
          const moved = typeof command !== "string" && command._tag === "Send" && to.adoptUnsafe(command)
          if (!moved) mailbox.offerUnsafe(command)
        }
        successor = to
      },
      adoptUnsafe: offer,
      unanswered: () => self.unanswered(),
      run,
      bookkeeping: request<Bookkeeping, never>(
        (reply) => ({ _tag: "Inspect", reply }),
        Effect.sync(() => self.bookkeeping())
      )
    }
  })
