/**
 * Owns the contract between a connection's owner and a protocol: what the owner gives the
 * protocol's handler (its {@link Kit}), what the handler does with frames and sends (its
 * {@link Handler}), what the owner is built with, and the connection as its tests drive it.
 */
import type { Effect } from "effect"
import type { RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type * as Ending from "./ending.js"
import type * as Mailbox from "./mailbox.js"
import type { Generation, GenerationOptions, Leftover } from "./protocol.js"

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
  /** Posts a protocol's timer to the owner (for a timer's fiber); `false` once the owner has stopped. */
  readonly dueUnsafe: (timer: number) => boolean
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
  /** A protocol's timer reached the owner: as {@link receive}, for the handlers that arm one. */
  readonly due?: (
    timer: number,
    now: number,
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
