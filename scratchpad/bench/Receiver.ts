/**
 * What every consumer reports into: one `Receiver` per listener. It counts audio chunks, checks
 * their decoded size, records the server-send -> listener-receipt latency of each chunk (the
 * server records the send time of the n-th audio frame; streams are ordered, so the n-th chunk a
 * listener receives is that frame), samples the heap, and tells the consumer when the script wants
 * an interrupt.
 */
import { Deferred, Effect } from "effect"
import { AUDIO_DELTA_BYTES } from "./Script.js"

/** Receipt bookkeeping of one listener; `onAudio` is called synchronously on every audio chunk. */
export interface Receiver {
  /** Records one audio chunk; returns true when the consumer should send an interrupt now. */
  readonly onAudio: (byteLength: number) => boolean
  readonly received: () => number
  readonly latenciesMs: () => Float64Array
  /** Completes when every expected chunk arrived, or fails on a chunk of the wrong size. */
  readonly done: Effect.Effect<void, string>
}

/** Shared by the receivers of one run: the send times the server records, and the heap peak. */
export interface ReceiverOptions {
  readonly expectedAudio: number
  readonly sendTimes: Float64Array
  readonly interruptAfterAudio: ReadonlyArray<number>
  /** Only one listener per connection drives interrupts. */
  readonly drivesInterrupts: boolean
  readonly heap: HeapPeak | null
}

/** The largest `heapUsed` seen, sampled every 500 chunks. */
export interface HeapPeak {
  peak: number
}

/** Makes a receiver expecting `expectedAudio` chunks. */
export const makeReceiver = (options: ReceiverOptions): Effect.Effect<Receiver> =>
  Effect.map(Deferred.make<void, string>(), (finished) => {
    const latencies = new Float64Array(options.expectedAudio)
    const interrupts = options.drivesInterrupts ? options.interruptAfterAudio : []
    let count = 0
    let nextInterrupt = 0
    if (options.expectedAudio === 0) Deferred.doneUnsafe(finished, Effect.void)
    const onAudio = (byteLength: number): boolean => {
      const now = performance.now()
      if (byteLength !== AUDIO_DELTA_BYTES) {
        Deferred.doneUnsafe(
          finished,
          Effect.fail(`audio chunk ${count + 1} has ${byteLength} bytes, expected ${AUDIO_DELTA_BYTES}`)
        )
        return false
      }
      if (count < latencies.length) latencies[count] = now - (options.sendTimes[count] ?? now)
      count++
      if (options.heap !== null && count % 500 === 0) {
        options.heap.peak = Math.max(options.heap.peak, process.memoryUsage().heapUsed)
      }
      if (count === options.expectedAudio) Deferred.doneUnsafe(finished, Effect.void)
      if (interrupts[nextInterrupt] === count) {
        nextInterrupt++
        return true
      }
      return false
    }
    return {
      onAudio,
      received: () => count,
      latenciesMs: () => latencies.subarray(0, Math.min(count, latencies.length)),
      done: Deferred.await(finished)
    }
  })
