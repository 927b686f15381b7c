/**
 * The fan-out of model events to listeners.
 *
 * @since 0.1.0
 */
import { Effect, PubSub, Stream } from "effect"
import type { Scope } from "effect"
import type { ListenerBuffer } from "../RealtimeModel.js"
import type { RealtimeModelEvent } from "../RealtimeModelEvent.js"

/**
 * Fan-out of model events to every listener subscribed at the time each event is published.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventHub {
  readonly publish: (event: RealtimeModelEvent) => Effect.Effect<void>
  readonly publishAll: (events: Iterable<RealtimeModelEvent>) => Effect.Effect<void>
  /** Subscribes now; the stream ends after the next `EndOfStream`. */
  readonly subscribe: Effect.Effect<Stream.Stream<RealtimeModelEvent>, never, Scope.Scope>
}

const isEnd = (event: RealtimeModelEvent): boolean => event._tag === "EndOfStream"

/**
 * A hub with the given per-listener buffering: unbounded, or bounded with backpressure (and a
 * warning logged whenever a publish finds a listener's buffer full).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (buffer: ListenerBuffer = "unbounded"): Effect.Effect<EventHub> =>
  Effect.gen(function*() {
    const pubsub = buffer === "unbounded"
      ? yield* PubSub.unbounded<RealtimeModelEvent>()
      : yield* PubSub.bounded<RealtimeModelEvent>(Math.max(1, Math.floor(buffer.capacity)))
    const warnWhenFull = buffer === "unbounded"
      ? Effect.void
      : Effect.flatMap(PubSub.isFull(pubsub), (full) =>
        full
          ? Effect.logWarning(
            `a listener is ${buffer.capacity} events behind; the connection waits until it catches up`
          )
          : Effect.void)
    return {
      publish: (event) => Effect.andThen(warnWhenFull, PubSub.publish(pubsub, event)),
      publishAll: (events) => Effect.andThen(warnWhenFull, PubSub.publishAll(pubsub, events)),
      subscribe: Effect.map(
        PubSub.subscribe(pubsub),
        (subscription) => Stream.takeUntil(Stream.fromSubscription(subscription), isEnd)
      )
    }
  })
