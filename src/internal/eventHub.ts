/**
 * The fan-out of model events to listeners: one {@link Inbox} per listener, filled synchronously
 * by the publisher and drained in chunks by the listener's stream, which is woken at most once per
 * microtask however many events were published meanwhile.
 *
 * - A listener sees every event published after it subscribed, in order, none dropped.
 * - An `EndOfStream` event ends every listener it reaches: the listener is removed from the hub
 *   at once (it retains nothing published later) and its stream ends after that event.
 * - A bounded hub (`{ capacity }`) never drops either: a publisher that must not run ahead of its
 *   listeners waits for room with {@link EventHub.publishAll}, while the connection's owner, which
 *   must keep serving sends, offers without waiting and asks to be told when there is room again
 *   ({@link EventHub.whenRoomUnsafe}).
 */
import { Cause, Effect, Scope, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import type { ListenerBuffer } from "../RealtimeModel.js"
import type { RealtimeModelEvent } from "../RealtimeModelEvent.js"

/**
 * Fan-out of model events to every listener subscribed at the time each event is published.
 *
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

/**
 * A buffer with one consumer: filled synchronously, drained in chunks. A consumer waiting in
 * {@link Inbox.takeAll} is woken in a microtask, once, however many items arrive before it runs,
 * and takes them all; no Effect `Queue` machinery or scheduler dispatch on the way. Once ended it
 * refuses offers, gives what it still holds, then fails with `Cause.Done`.
 *
 * @category models
 */
export interface Inbox<A> {
  /** Adds items in order; `false` (and nothing added) once the inbox has ended. */
  readonly offerAllUnsafe: (items: ReadonlyArray<A>) => boolean
  /** Adds one item; `false` once the inbox has ended. */
  readonly offerUnsafe: (item: A) => boolean
  /** How many items wait to be taken. */
  readonly sizeUnsafe: () => number
  /** Takes every waiting item now, possibly none. */
  readonly takeAllUnsafe: () => Array<A>
  /** Refuses offers from now on and wakes the consumer: it gets what is left, then `Cause.Done`. */
  readonly endUnsafe: () => void
  /** Whether the inbox has ended. */
  readonly isEndedUnsafe: () => boolean
  /** Waits for at least one item and takes them all; fails with `Cause.Done` once ended and empty. */
  readonly takeAll: Effect.Effect<NonEmptyReadonlyArray<A>, Cause.Done>
}

const done = Cause.done()

/**
 * An inbox's state and methods: the methods live on the prototype, so an inbox costs one object
 * and its `takeAll`, not a closure per method (an idle call holds three inboxes).
 */
class InboxImpl<A> implements Inbox<A> {
  items: Array<A> = []
  ended = false
  waiting: ((taken: Effect.Effect<NonEmptyReadonlyArray<A>, Cause.Done>) => void) | undefined = undefined
  wakeScheduled = false
  readonly takeAll: Effect.Effect<NonEmptyReadonlyArray<A>, Cause.Done>

  constructor(readonly afterTake: (() => void) | undefined) {
    this.takeAll = Effect.suspend(() => this.items.length > 0 || this.ended ? this.take() : this.wait())
  }

  take(): Effect.Effect<NonEmptyReadonlyArray<A>, Cause.Done> {
    if (this.items.length === 0) return done
    const taken = this.items as unknown as NonEmptyReadonlyArray<A>
    this.items = []
    this.afterTake?.()
    return Effect.succeed(taken)
  }

  wait(): Effect.Effect<NonEmptyReadonlyArray<A>, Cause.Done> {
    return Effect.callback<NonEmptyReadonlyArray<A>, Cause.Done>((resume) => {
      this.waiting = resume
      return Effect.sync(() => {
        if (this.waiting === resume) this.waiting = undefined
      })
    })
  }

  wake(): void {
    if (this.waiting === undefined || this.wakeScheduled) return
    this.wakeScheduled = true
    queueMicrotask(() => {
      this.wakeScheduled = false
      const resume = this.waiting
      if (resume === undefined) return
      this.waiting = undefined
      resume(this.take())
    })
  }

  offerAllUnsafe(offered: ReadonlyArray<A>): boolean {
    if (this.ended) return false
    for (let i = 0; i < offered.length; i++) this.items.push(offered[i]!)
    this.wake()
    return true
  }

  offerUnsafe(item: A): boolean {
    if (this.ended) return false
    this.items.push(item)
    this.wake()
    return true
  }

  sizeUnsafe(): number {
    return this.items.length
  }

  takeAllUnsafe(): Array<A> {
    const taken = this.items
    this.items = []
    if (taken.length > 0) this.afterTake?.()
    return taken
  }

  endUnsafe(): void {
    this.ended = true
    this.wake()
  }

  isEndedUnsafe(): boolean {
    return this.ended
  }
}

/**
 * An empty inbox; `afterTake` runs after every take that took something.
 *
 * @category constructors
 */
export const makeInboxUnsafe = <A>(afterTake?: () => void): Inbox<A> => new InboxImpl<A>(afterTake)

type Listener = Inbox<RealtimeModelEvent>

const endOfStream: RealtimeModelEvent = { _tag: "EndOfStream" }

const indexOfEnd = (events: ReadonlyArray<RealtimeModelEvent>): number => {
  for (let i = 0; i < events.length; i++) if (events[i]!._tag === "EndOfStream") return i
  return -1
}

/**
 * A hub with the given per-listener buffering.
 *
 * @category constructors
 */
export const make = (buffer: ListenerBuffer = "unbounded"): Effect.Effect<EventHub> =>
  Effect.sync(() => new HubImpl(buffer === "unbounded" ? undefined : Math.max(1, Math.floor(buffer.capacity))))

/**
 * A hub's state and methods: the methods live on the prototype and its effects are made when
 * asked for, so a call's hub costs a few objects, not a closure per method.
 */
class HubImpl implements EventHub {
  readonly listeners = new Set<Listener>()
  /** Told once there is room again; made by the first publisher that waits. */
  waiters: Set<() => void> | undefined = undefined
  closed = false
  /** Run after a bounded listener takes: a publisher waiting for room may go on. */
  readonly afterTake: (() => void) | undefined

  constructor(readonly capacity: number | undefined) {
    this.afterTake = capacity === undefined ? undefined : () => this.checkRoom()
  }

  isFullUnsafe(): boolean {
    const capacity = this.capacity
    if (capacity === undefined) return false
    for (const listener of this.listeners) if (listener.sizeUnsafe() >= capacity) return true
    return false
  }

  checkRoom(): void {
    const waiters = this.waiters
    if (waiters === undefined || waiters.size === 0 || this.isFullUnsafe()) return
    const ready = [...waiters]
    waiters.clear()
    for (const f of ready) f()
  }

  /** A listener whose scope closed: its stream ends after what it was already given. */
  remove(listener: Listener): void {
    listener.endUnsafe()
    if (this.listeners.delete(listener)) this.checkRoom()
  }

  offerAllUnsafe(events: ReadonlyArray<RealtimeModelEvent>): boolean {
    const listeners = this.listeners
    if (events.length === 0 || listeners.size === 0) return false
    const last = indexOfEnd(events)
    if (last === -1) {
      for (const listener of listeners) listener.offerAllUnsafe(events)
      return this.isFullUnsafe()
    }
    // every listener ends at the first EndOfStream and is forgotten at once
    const upToEnd = events.slice(0, last + 1)
    const ended = [...listeners]
    listeners.clear()
    for (const listener of ended) {
      listener.offerAllUnsafe(upToEnd)
      listener.endUnsafe()
    }
    this.checkRoom()
    return false
  }

  whenRoomUnsafe(f: () => void): () => void {
    if (!this.isFullUnsafe()) {
      f()
      return () => {}
    }
    const waiters = this.waiters ??= new Set()
    waiters.add(f)
    return () => {
      waiters.delete(f)
    }
  }

  waitForRoom(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const cancel = this.whenRoomUnsafe(() => resume(Effect.void))
      return Effect.sync(cancel)
    })
  }

  publish(event: RealtimeModelEvent): Effect.Effect<void> {
    return this.publishAll([event])
  }

  publishAll(events: ReadonlyArray<RealtimeModelEvent>): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.isFullUnsafe()) {
        this.offerAllUnsafe(events)
        return Effect.void
      }
      return Effect.logWarning(
        `a listener is ${this.capacity} events behind; the connection waits until it catches up`
      ).pipe(
        Effect.andThen(this.waitForRoom()),
        Effect.andThen(Effect.sync(() => void this.offerAllUnsafe(events)))
      )
    })
  }

  listenerCountUnsafe(): number {
    return this.listeners.size
  }

  get shutdown(): Effect.Effect<void> {
    return Effect.sync(() => {
      this.closed = true
      this.offerAllUnsafe([endOfStream])
    })
  }

  get subscribe(): Effect.Effect<Stream.Stream<RealtimeModelEvent>, never, Scope.Scope> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.succeed(Stream.succeed(endOfStream))
      // the listener's finalizer goes straight to the scope: it keeps no context, only the listener
      return Effect.uninterruptible(Effect.flatMap(Effect.scope, (scope) => {
        const listener: Listener = makeInboxUnsafe(this.afterTake)
        this.listeners.add(listener)
        return Effect.as(Scope.addFinalizer(scope, Effect.sync(() => this.remove(listener))), streamOf(listener))
      }))
    })
  }
}

const streamOf = (listener: Listener): Stream.Stream<RealtimeModelEvent> =>
  Stream.fromPull(Effect.succeed(listener.takeAll))
