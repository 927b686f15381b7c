/**
 * Connects an `OpenAIRealtime` model to a scripted loopback server and records what each side sees.
 */
import { Effect, Queue, Redacted, Stream } from "effect"
import type { Scope } from "effect"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelConfig, RealtimeModelService } from "../../src/RealtimeModel.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as Loopback from "../support/loopbackServer.js"
import { clientFrameErrors } from "../support/protocolCorpus.js"
import { takeFirst, takeUntil } from "../support/queues.js"

export interface Harness {
  readonly model: RealtimeModelService
  readonly server: Loopback.ServerConnection
  readonly events: Queue.Queue<RealtimeModelEvent>
  /** Takes model events until one with the tag arrives; returns it. */
  readonly next: <Tag extends RealtimeModelEvent["_tag"]>(
    tag: Tag
  ) => Effect.Effect<Extract<RealtimeModelEvent, { _tag: Tag }>>
  /** Every model event received so far that is still queued, without waiting. */
  readonly drain: Effect.Effect<ReadonlyArray<RealtimeModelEvent>>
}

export const session = (extra: Record<string, unknown> = {}) => ({
  type: "realtime",
  id: "sess_1",
  object: "realtime.session",
  model: "gpt-realtime",
  audio: {
    input: { format: { type: "audio/pcm", rate: 24000 }, turn_detection: null },
    output: { format: { type: "audio/pcm", rate: 24000 }, voice: "marin" }
  },
  ...extra
})

export const connectHarness = (
  config: Omit<RealtimeModelConfig, "url"> = {},
  options: OpenAIRealtime.OpenAIRealtimeOptions = {}
): Effect.Effect<Harness, never, Scope.Scope> =>
  Effect.gen(function*() {
    const loopback = yield* Loopback.make()
    const model = yield* OpenAIRealtime.make(options).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    const stream = yield* model.subscribe
    yield* Effect.forkScoped(Stream.runForEach(stream, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({ apiKey: Redacted.make("sk-test-key"), ...config, url: loopback.url }))
    const server = yield* Queue.take(loopback.connections)
    const next = <Tag extends RealtimeModelEvent["_tag"]>(tag: Tag) =>
      takeFirst(events, (event): event is Extract<RealtimeModelEvent, { _tag: Tag }> => event._tag === tag)
    return { model, server, events, next, drain: Queue.clear(events) }
  })

/** A server `response.created` frame for the response id. */
export const responseCreated = (id: string) => ({
  type: "response.created",
  event_id: "e",
  response: { id, object: "realtime.response", status: "in_progress" }
})

/** A server `response.done` frame for the response id, completed, with any extra response fields. */
export const responseDone = (id: string, extra: Record<string, unknown> = {}) => ({
  type: "response.done",
  event_id: "e",
  response: { id, object: "realtime.response", status: "completed", ...extra }
})

/**
 * A marker round trip: the client sends a raw frame of an unusual type, and once the server has
 * it, everything sent before has arrived. Returns those earlier frames.
 */
export const barrier = (
  send: (event: Send.RealtimeModelSendEvent) => Effect.Effect<void, unknown>,
  server: Loopback.ServerConnection
) =>
  Effect.gen(function*() {
    yield* Effect.orDie(send(Send.RawMessage.make({ type: "output_audio_buffer.clear" })))
    const frames = yield* takeUntil(server.frames, (frame) => frame["type"] === "output_audio_buffer.clear")
    return frames.slice(0, -1)
  })

/** Each frame's schema violations against the protocol corpus, as `type: error` lines (none for valid frames). */
export const corpusViolations = (frames: ReadonlyArray<Record<string, unknown>>): Array<string> =>
  frames.flatMap((frame) => clientFrameErrors(frame).map((error) => `${frame["type"]}: ${error}`))
