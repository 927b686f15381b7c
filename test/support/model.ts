/** A model connected for a test: its events in a queue, and a way to wait for the one that matters. */
import { Effect, Queue, Stream } from "effect"
import type { Scope } from "effect"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import type { RealtimeModelService } from "../../src/RealtimeModel.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import type { RealtimeSessionSettingsInput } from "../../src/RealtimeSessionSettings.js"
import type { RealtimeWebSocket } from "../../src/RealtimeWebSocket.js"
import { takeUntil } from "./queues.js"

/** Makes the model with Node's WebSocket, subscribes one listener, connects to `url` (dying if it cannot). */
export const connectedTo = (
  make: Effect.Effect<RealtimeModelService, never, Scope.Scope | RealtimeWebSocket>,
  url: string,
  initialSettings: RealtimeSessionSettingsInput = {}
) =>
  Effect.gen(function*() {
    const model = yield* make.pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({ url, initialSettings }))
    const until = (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate)
    return { model, events, until }
  })
