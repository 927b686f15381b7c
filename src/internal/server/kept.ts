/**
 * What the connections of one protocol front-end share across the server: values kept by id
 * (Gemini's resumption handles, OpenAI Live's stored sessions), which later connections restore,
 * and the connections open now, which a test reaches at the moment it chooses.
 *
 * Both live in one Ref each; each change is one `Ref.update` or `Ref.modify`.
 */
import { Effect, Option, Ref } from "effect"
import type { Scope } from "effect"

/** Values kept by id, and the open connections of a front-end. */
export interface Kept<V, C> {
  /** Keeps `value` under `id`, replacing what it held. */
  readonly put: (id: string, value: V) => Effect.Effect<void>
  /** The value kept under `id`; none for an id never given or forgotten. */
  readonly get: (id: string) => Effect.Effect<Option.Option<V>>
  /** Forgets every value; returns how many there were. */
  readonly forget: Effect.Effect<number>
  /** Counts a connection open while the scope lasts. */
  readonly register: (connection: C) => Effect.Effect<void, never, Scope.Scope>
  /** The connections open now. */
  readonly open: Effect.Effect<ReadonlyArray<C>>
}

/** A new, empty store. */
export const make = <V, C>(): Effect.Effect<Kept<V, C>> =>
  Effect.gen(function*() {
    const values = yield* Ref.make(new Map<string, V>())
    const open = yield* Ref.make(new Set<C>())
    return {
      put: (id, value) => Ref.update(values, (map) => new Map(map).set(id, value)),
      get: (id) => Effect.map(Ref.get(values), (map) => Option.fromUndefinedOr(map.get(id))),
      forget: Ref.modify(values, (map) => [map.size, new Map()]),
      register: (connection) =>
        Effect.asVoid(Effect.acquireRelease(
          Ref.update(open, (set) => new Set(set).add(connection)),
          () =>
            Ref.update(open, (set) => {
              const next = new Set(set)
              next.delete(connection)
              return next
            })
        )),
      open: Effect.map(Ref.get(open), (set) => [...set])
    }
  })
