/**
 * What the harness reads of the process's memory: a full collection (the bench runs under
 * `node --expose-gc`) and the heap and resident set after it.
 */
import { Effect } from "effect"

/** Runs a full GC when the process was started with `--expose-gc`; nothing otherwise. */
export const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) collect()
}

/** Heap in use and resident set size, in bytes. */
export interface Footprint {
  readonly heap: number
  readonly rss: number
}

/**
 * The footprint after two full collections with a turn of the event loop between them, so that
 * objects freed by finalizers and weak callbacks of the first are gone in the second.
 */
export const footprint: Effect.Effect<Footprint> = Effect.gen(function*() {
  gc()
  yield* Effect.sleep("20 millis")
  gc()
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed, rss: usage.rss }
})
