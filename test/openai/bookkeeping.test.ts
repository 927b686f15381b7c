import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Queue } from "effect"
import * as EventHub from "../../src/internal/eventHub.js"
import * as Connection from "../../src/internal/realtime/connection.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"

const frame = (value: unknown): Connection.Inbound => ({ _tag: "Frame", text: JSON.stringify(value) })

describe("connection bookkeeping over a long session", () => {
  it.scoped("stays bounded across thousands of responses with interrupts", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const inbound = yield* Queue.unbounded<Connection.Inbound>()
      const written: Array<string> = []
      const span = yield* Effect.makeSpanScoped("test")
      const connection = yield* Connection.make({
        hub,
        write: (text) => Effect.sync(() => void written.push(text)),
        inbound,
        settings: {},
        customTracker: undefined,
        span,
        onLost: () => Effect.void
      })
      const processor = yield* Effect.fork(connection.process)
      const drained = Effect.repeat(Effect.yieldNow(), { until: () => Effect.runSync(Queue.size(inbound)) <= 0 })
      for (let r = 0; r < 2_000; r++) {
        const responseId = `resp_${r}`
        yield* Queue.offerAll(inbound, [
          frame({ type: "response.created", event_id: "e", response: { id: responseId } }),
          ...Array.from({ length: 3 }, () =>
            frame({ type: "response.output_audio.delta", event_id: "e", response_id: responseId, item_id: `item_${r}`, content_index: 0, delta: "AAAA" })),
          ...(r % 10 === 0 ? [] : [frame({ type: "response.done", event_id: "e", response: { id: responseId, status: "completed" } })])
        ])
        if (r % 10 === 0) {
          // the user barges in during every tenth response, which then ends cancelled
          yield* drained
          yield* connection.send(Send.Interrupt.make({}))
          yield* Queue.offer(inbound, frame({ type: "response.done", event_id: "e", response: { id: responseId, status: "cancelled" } }))
        }
      }
      yield* drained
      yield* Effect.yieldNow()
      const sizes = yield* connection.bookkeeping
      expect(sizes.audioItems).toBeLessThanOrEqual(8)
      expect(sizes.responseSpans).toBe(0)
      expect(sizes.interruptedResponses).toBe(0)
      // every barge-in truncated and cancelled the response in flight
      expect(written.filter((text) => text.includes("response.cancel"))).toHaveLength(200)
      yield* Fiber.interrupt(processor)
    }))
})
