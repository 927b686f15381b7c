/**
 * effect-realtime's `OpenAIRealtime`, with one or several listeners: each listener is a Stream
 * subscription drained by its own fiber. Its interrupt is the library's `Interrupt` send event
 * (truncate at the playback position, cancel the response). The idle workload (e) also makes it
 * with other transport options, or made and never connected.
 */
import { Effect, Option, Redacted, Stream } from "effect"
import * as Model from "../../../src/internal/engine/model.js"
import { provider } from "../../../src/internal/openai/provider.js"
import * as NodeRealtimeWebSocket from "../../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../../src/OpenAIRealtime.js"
import { Interrupt } from "../../../src/RealtimeModelSendEvent.js"
import type { TransportOptions } from "../../../src/RealtimeReconnect.js"
import { BenchError } from "../BenchError.js"
import { endpointUrl } from "../Consumer.js"
import type { Consumer } from "../Consumer.js"
import * as PubSubHub from "../PubSubHub.js"

/** How the model is made beyond its listener count; the defaults are the library's own. */
export interface EffectRealtimeOptions {
  /** The row label; by default the listener count. */
  readonly name?: string
  readonly transport?: TransportOptions
  /** False: the model is made (and its listeners subscribed) but never connected. Default true. */
  readonly connect?: boolean
  /** `"pubsub"`: the listeners' hub on Effect's `PubSub` instead of the library's (the A/B rows). */
  readonly hub?: "pubsub"
}

/** The model as `OpenAIRealtime.make` makes it, or with the A/B's hub. */
const makeModel = (options: EffectRealtimeOptions) => {
  const transport = options.transport === undefined ? {} : { transport: options.transport }
  return options.hub === undefined
    ? OpenAIRealtime.make(transport)
    : Model.make(provider, { ...transport, hub: () => PubSubHub.make() }, Effect.succeed(Option.none()))
}

/** The effect-realtime consumer with `listeners` listeners per connection. */
export const effectRealtime = (listeners: number, options: EffectRealtimeOptions = {}): Consumer => ({
  name: options.name ??
    `effect-realtime${options.hub === "pubsub" ? ", PubSub hub" : ""} (${listeners} listener${
      listeners === 1 ? "" : "s"
    })`,
  listeners,
  connect: (endpoint, receivers) =>
    Effect.gen(function*() {
      const model = yield* makeModel(options).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
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
      if (options.connect === false) return
      yield* model.connect({ apiKey: Redacted.make("bench"), url: endpointUrl(endpoint) }).pipe(
        Effect.mapError((cause) =>
          new BenchError({ message: `effect-realtime could not connect: ${cause.message}`, cause })
        )
      )
    })
})
