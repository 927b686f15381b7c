/**
 * The listeners' hub on Effect's own `PubSub` (unbounded), for the benchmark's A/B against the
 * library's hub (`src/internal/eventHub.ts`, an inbox per listener): the same interface, each
 * listener a `PubSub` subscription whose stream ends after `EndOfStream`. Unbounded only: the
 * bench's listeners are.
 */
import { Effect, PubSub, Stream } from "effect"
import type { EventHub } from "../../src/internal/eventHub.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"

const endOfStream: RealtimeModelEvent = { _tag: "EndOfStream" }

/** A hub whose fan-out is a `PubSub`. */
export const make = (): Effect.Effect<EventHub> =>
  Effect.map(PubSub.unbounded<RealtimeModelEvent>(), (pubsub) => {
    let listeners = 0
    let closed = false
    const offerAllUnsafe = (events: ReadonlyArray<RealtimeModelEvent>): boolean => {
      for (const event of events) PubSub.publishUnsafe(pubsub, event)
      return false
    }
    return {
      capacity: undefined,
      publish: (event) => Effect.sync(() => void offerAllUnsafe([event])),
      publishAll: (events) => Effect.sync(() => void offerAllUnsafe(events)),
      offerAllUnsafe,
      isFullUnsafe: () => false,
      whenRoomUnsafe: (f) => {
        f()
        return () => {}
      },
      listenerCountUnsafe: () => listeners,
      shutdown: Effect.sync(() => {
        closed = true
        offerAllUnsafe([endOfStream])
      }),
      subscribe: Effect.suspend(() =>
        closed ? Effect.succeed(Stream.succeed(endOfStream)) : Effect.map(
          Effect.acquireRelease(
            Effect.andThen(Effect.sync(() => listeners++), PubSub.subscribe(pubsub)),
            () => Effect.sync(() => listeners--)
          ),
          (subscription) =>
            Stream.fromSubscription(subscription).pipe(Stream.takeUntil((event) => event._tag === "EndOfStream"))
        )
      )
    }
  })
