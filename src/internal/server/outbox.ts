/**
 * The frames one embedded-server connection sends, whatever its protocol: one at a time (a
 * permit, so the frames of a response and of the connection never interleave mid-way), each
 * encoded by the front-end, with the frame faults applied after the Nth frame (a frame that is not
 * JSON, one of a type no client knows, an abrupt drop) and an optional delay before every frame.
 * Once the connection is dropped or ended nothing more goes out.
 *
 * The sent count and the ended flag belong to the outbox and change only inside its permit.
 */
import { Effect, Semaphore } from "effect"
import type { FrameFaults } from "./faults.js"
import type { Json } from "./objects.js"

/** What an outbox writes with, and how its protocol spells a frame. */
export interface OutboxOptions<F = Json> {
  readonly faults: FrameFaults
  /** Sends one text frame. */
  readonly send: (text: string) => Effect.Effect<void>
  /** Drops the connection without a close handshake. */
  readonly terminate: Effect.Effect<void>
  /** The text of one frame (an OpenAI event gets its `event_id` here). */
  readonly encode: (frame: F) => Effect.Effect<string>
  /** A frame of a type no client knows, for `unknownEventAfterEvents`. */
  readonly unknownFrame: Effect.Effect<string>
}

/** One connection's way out. */
export interface Outbox<F = Json> {
  /** Sends one frame, waiting for the permit. */
  readonly emit: (frame: F) => Effect.Effect<void>
  /** Sends one frame; the caller holds the permit (see `exclusive`). */
  readonly emitHeld: (frame: F) => Effect.Effect<void>
  /** Runs `effect` holding the permit: no other frame goes out meanwhile. */
  readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Stops every later frame (the connection is being closed or was dropped). */
  readonly end: Effect.Effect<void>
}

/** A new outbox. */
export const make = <F = Json>(options: OutboxOptions<F>): Effect.Effect<Outbox<F>> =>
  Effect.map(Semaphore.make(1), (sending) => {
    const { faults } = options
    let sent = 0
    let ended = false
    const emitHeld = (frame: F): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (ended) return
        if (faults.delayMs !== undefined && faults.delayMs > 0) yield* Effect.sleep(faults.delayMs)
        yield* options.send(yield* options.encode(frame))
        sent++
        if (faults.nonJsonAfterEvents === sent) yield* options.send("this frame is not JSON {")
        if (faults.unknownEventAfterEvents === sent) yield* options.send(yield* options.unknownFrame)
        if (faults.closeAfterEvents === sent) {
          ended = true
          yield* Effect.logDebug("dropping the connection (fault injection)")
          yield* options.terminate
        }
      })
    const exclusive = <A, E, R>(effect: Effect.Effect<A, E, R>) => sending.withPermit(effect)
    return {
      emit: (frame) => exclusive(emitHeld(frame)),
      emitHeld,
      exclusive,
      end: Effect.sync(() => {
        ended = true
      })
    }
  })
