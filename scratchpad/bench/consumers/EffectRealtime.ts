/**
 * effect-realtime's `OpenAIRealtime`, with one or several listeners: each listener is a Stream
 * subscription drained by its own fiber. Its interrupt is the library's `Interrupt` send event
 * (truncate at the playback position, cancel the response).
 */
import { Effect, Redacted, Stream } from "effect"
import * as NodeRealtimeWebSocket from "../../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../../src/OpenAIRealtime.js"
import { Interrupt } from "../../../src/RealtimeModelSendEvent.js"
import { BenchError } from "../BenchError.js"
import { endpointUrl } from "../Consumer.js"
import type { Consumer } from "../Consumer.js"

/** The effect-realtime consumer with `listeners` listeners per connection. */
export const effectRealtime = (listeners: number): Consumer => ({
  name: `effect-realtime (${listeners} listener${listeners === 1 ? "" : "s"})`,
  listeners,
  connect: (endpoint, receivers) =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      for (const receiver of receivers) {
        const events = yield* model.subscribe
        yield* Effect.forkScoped(Stream.runForEach(events, (event) => {
          if (event._tag !== "Audio") return Effect.void
          // scoped to the response being played, as a careful application does
          return receiver.onAudio(event.data.byteLength)
            ? Effect.ignore(model.sendEvent(Interrupt.make({ responseId: event.responseId })))
            : Effect.void
        }))
      }
      yield* model.connect({ apiKey: Redacted.make("bench"), url: endpointUrl(endpoint) }).pipe(
        Effect.mapError((cause) =>
          new BenchError({ message: `effect-realtime could not connect: ${cause.message}`, cause })
        )
      )
    })
})
