import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as EventHub from "../../src/internal/eventHub.js"
import * as Connection from "../../src/internal/openai/connection.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"

const frame = (value: unknown): Connection.Delivery => JSON.stringify(value)

describe("connection bookkeeping over a long session", () => {
  it.effect("stays bounded across thousands of responses with interrupts", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const written: Array<string> = []
      const span = yield* Effect.makeSpanScoped("test")
      const connection = yield* Connection.make({
        hub,
        write: (text) => Effect.sync(() => void written.push(text)),
        settings: {},
        customTracker: undefined,
        span
      })
      const processor = yield* Effect.forkChild(connection.run)
      for (let r = 0; r < 2_000; r++) {
        const responseId = `resp_${r}`
        yield* connection.deliver([
          frame({ type: "response.created", event_id: "e", response: { id: responseId } }),
          ...Array.from({ length: 3 }, () =>
            frame({
              type: "response.output_audio.delta",
              event_id: "e",
              response_id: responseId,
              item_id: `item_${r}`,
              content_index: 0,
              delta: "AAAA"
            })),
          ...(r % 10 === 0
            ? []
            : [frame({ type: "response.done", event_id: "e", response: { id: responseId, status: "completed" } })])
        ])
        if (r % 10 === 0) {
          // the user barges in during every tenth response, which then ends cancelled; the
          // interrupt reaches the connection after the frames delivered before it
          yield* connection.send(Send.Interrupt.make({}))
          yield* connection.deliver([
            frame({ type: "response.done", event_id: "e", response: { id: responseId, status: "cancelled" } })
          ])
        }
      }
      // answered by the connection once it has processed everything delivered before
      const sizes = yield* connection.bookkeeping
      expect(sizes.audioItems).toBeLessThanOrEqual(8)
      expect(sizes.responseSpans).toBe(0)
      expect(sizes.interruptedResponses).toBe(0)
      // every barge-in truncated and cancelled the response in flight
      expect(written.filter((text) => text.includes("response.cancel"))).toHaveLength(200)
      yield* Fiber.interrupt(processor)
    }))
})
