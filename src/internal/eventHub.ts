/**
 * The fan-out of model events to listeners: one queue per listener, filled synchronously by the
 * publisher and drained in chunks by the listener's stream.
 *
 * - A listener sees every event published after it subscribed, in order, none dropped.
 * - An `EndOfStream` event ends every listener it reaches: the listener is removed from the hub
 *   at once (it retains nothing published later) and its stream ends after that event.
 * - A bounded hub (`{ capacity }`) never drops either: a publisher that must not run ahead of its
 *   listeners waits for room with {@link EventHub.publishAll}, while the connection's owner, which
 *   must keep serving sends, offers without waiting and asks to be told when there is room again
 *   ({@link EventHub.whenRoomUnsafe}).
 *
 * @since 0.1.0
 */
import { Effect, Queue, Scheduler, Stream } from "effect"
import type { Cause, Scope } from "effect"
import type { ListenerBuffer } from "../RealtimeModel.js"
import type { RealtimeModelEvent } from "../RealtimeModelEvent.js"

/**
 * Fan-out of model events to every listener subscribed at the time each event is published.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventHub {
  /** The per-listener capacity, or `undefined` when unbounded. */
  readonly capacity: number | undefined
  /** Publishes, first waiting (and warning once) while a bounded listener is full. */
  readonly publish: (event: RealtimeModelEvent) => Effect.Effect<void>
  /** Publishes, first waiting (and warning once) while a bounded listener is full. */
  readonly publishAll: (events: ReadonlyArray<RealtimeModelEvent>) => Effect.Effect<void>
  /**
   * Publishes now, whatever the listeners hold. Returns `true` when a bounded listener is now at
   * or past its capacity (the caller should stop producing until {@link whenRoomUnsafe} fires).
   */
  readonly offerAllUnsafe: (events: ReadonlyArray<RealtimeModelEvent>) => boolean
  /** Whether a bounded listener is at or past its capacity. */
  readonly isFullUnsafe: () => boolean
  /** Calls `f` once, as soon as no listener is at or past its capacity; returns a canceller. */
  readonly whenRoomUnsafe: (f: () => void) => () => void
  /** How many listeners are subscribed (and not ended). */
  readonly listenerCountUnsafe: () => number
  /** Ends every listener after an `EndOfStream`; later subscribers get only an `EndOfStream`. */
  readonly shutdown: Effect.Effect<void>
  /** Subscribes now; the stream ends after the next `EndOfStream`, or when the scope closes. */
  readonly subscribe: Effect.Effect<Stream.Stream<RealtimeModelEvent>, never, Scope.Scope>
}

type Listener = Queue.Queue<RealtimeModelEvent, Cause.Done>

/**
 * Wakes a waiting consumer in a microtask rather than on a later turn of the event loop: a frame
 * read from the socket reaches the listeners before the loop reads the next one, in one batch
 * per socket read. Only the queues' wake-ups use it; the fibers keep their own scheduler.
 *
 * @since 0.1.0
 * @category scheduling
 */
export const wakeInMicrotask: Scheduler.Scheduler = new Scheduler.MixedScheduler("sync")

/**
 * An unbounded queue whose waiting taker is woken in a microtask.
 *
 * @since 0.1.0
 * @category scheduling
 */
export const promptQueue = <A>(): Effect.Effect<Queue.Queue<A, Cause.Done>> =>
  Effect.provideService(Queue.unbounded<A, Cause.Done>(), Scheduler.Scheduler, wakeInMicrotask)

const endOfStream: RealtimeModelEvent = { _tag: "EndOfStream" }

const indexOfEnd = (events: ReadonlyArray<RealtimeModelEvent>): number => {
  for (let i = 0; i < events.length; i++) if (events[i]!._tag === "EndOfStream") return i
  return -1
}

/**
 * A hub with the given per-listener buffering.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (buffer: ListenerBuffer = "unbounded"): Effect.Effect<EventHub> =>
  Effect.sync(() => {
    const capacity = buffer === "unbounded" ? undefined : Math.max(1, Math.floor(buffer.capacity))
    const listeners = new Set<Listener>()
    const waiters = new Set<() => void>()
    let closed = false

    const isFullUnsafe = (): boolean => {
      if (capacity === undefined) return false
      for (const listener of listeners) if (Queue.sizeUnsafe(listener) >= capacity) return true
      return false
    }

    const checkRoom = (): void => {
      if (waiters.size === 0 || isFullUnsafe()) return
      const ready = [...waiters]
      waiters.clear()
      for (const f of ready) f()
    }

    /** A listener whose scope closed: its stream ends after what it was already given. */
    const remove = (listener: Listener): void => {
      Queue.endUnsafe(listener)
      if (listeners.delete(listener)) checkRoom()
    }

    const offerAllUnsafe = (events: ReadonlyArray<RealtimeModelEvent>): boolean => {
      if (events.length === 0 || listeners.size === 0) return false
      const end = indexOfEnd(events)
      if (end === -1) {
        for (const listener of listeners) Queue.offerAllUnsafe(listener, events)
        return isFullUnsafe()
      }
      // every listener ends at the first EndOfStream and is forgotten at once
      const last = events.slice(0, end + 1)
      const ended = [...listeners]
      listeners.clear()
      for (const listener of ended) {
        Queue.offerAllUnsafe(listener, last)
        Queue.endUnsafe(listener)
      }
      checkRoom()
      return false
    }

    const whenRoomUnsafe = (f: () => void): () => void => {
      if (!isFullUnsafe()) {
        f()
        return () => {}
      }
      waiters.add(f)
      return () => {
        waiters.delete(f)
      }
    }

    const waitForRoom: Effect.Effect<void> = Effect.callback<void>((resume) => {
      const cancel = whenRoomUnsafe(() => resume(Effect.void))
      return Effect.sync(cancel)
    })

    const publishAll = (events: ReadonlyArray<RealtimeModelEvent>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!isFullUnsafe()) {
          offerAllUnsafe(events)
          return Effect.void
        }
        return Effect.logWarning(
          `a listener is ${capacity} events behind; the connection waits until it catches up`
        ).pipe(
          Effect.andThen(waitForRoom),
          Effect.andThen(Effect.sync(() => void offerAllUnsafe(events)))
        )
      })

    const streamOf = (listener: Listener): Stream.Stream<RealtimeModelEvent> =>
      capacity === undefined
        ? Stream.fromQueue(listener)
        : Stream.fromPull(Effect.succeed(Effect.tap(Queue.takeAll(listener), () => Effect.sync(checkRoom))))

    const hub: EventHub = {
      capacity,
      publish: (event) => publishAll([event]),
      publishAll,
      offerAllUnsafe,
      isFullUnsafe,
      whenRoomUnsafe,
      listenerCountUnsafe: () => listeners.size,
      shutdown: Effect.sync(() => {
        closed = true
        offerAllUnsafe([endOfStream])
      }),
      subscribe: Effect.suspend(() => {
        if (closed) return Effect.succeed(Stream.succeed(endOfStream))
        return Effect.map(
          Effect.acquireRelease(
            Effect.tap(promptQueue<RealtimeModelEvent>(), (listener) =>
              Effect.sync(() => {
                listeners.add(listener)
              })),
            (listener) => Effect.sync(() => remove(listener))
          ),
          streamOf
        )
      })
    }
    return hub
  })
