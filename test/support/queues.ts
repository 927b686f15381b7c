/** Waiting on a Queue for what a test expects, instead of sleeping. */
import { Effect, Queue } from "effect"

/** Takes items until one satisfies `predicate`; returns every item taken, that one last. */
export const takeUntil = <A>(queue: Queue.Dequeue<A>, predicate: (item: A) => boolean): Effect.Effect<Array<A>> =>
  Effect.gen(function*() {
    const taken: Array<A> = []
    for (;;) {
      const item = yield* Queue.take(queue)
      taken.push(item)
      if (predicate(item)) return taken
    }
  })

/** Takes items until one satisfies `predicate`, and returns that one. */
export const takeFirst = <A, B extends A>(
  queue: Queue.Dequeue<A>,
  predicate: (item: A) => item is B
): Effect.Effect<B> => Effect.map(takeUntil(queue, predicate), (taken) => taken[taken.length - 1] as B)
