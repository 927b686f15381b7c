/**
 * Bounded listener buffers on a real loopback socket: the connection waits for a full listener
 * without ever deadlocking, warns once per stall, loses nothing, and never lets a stalled
 * listener hold up sends or the close.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Logger, Ref, References, Stream } from "effect"
import type { Scope } from "effect"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { connectHarness } from "./harness.js"

const delta = (n: number) => ({
  type: "response.output_audio_transcript.delta",
  event_id: `e${n}`,
  response_id: "resp_1",
  item_id: "item_1",
  output_index: 0,
  content_index: 0,
  delta: String(n)
})

const range = (count: number) => Array.from({ length: count }, (_, n) => n)

/** Records the warnings logged about listeners behind, and signals the first. */
const stallLog = Effect.gen(function*() {
  const warnings = yield* Ref.make(0)
  const firstStall = yield* Deferred.make<void>()
  const logger = Logger.make(({ message }) => {
    if (String(message).includes("events behind")) {
      Effect.runSync(Ref.update(warnings, (n) => n + 1))
      Effect.runSync(Deferred.succeed(firstStall, undefined))
    }
  })
  return { warnings, firstStall, layer: Logger.layer([logger]) }
})

const deltasOf = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : [])

/** A listener that holds every event until `release`; `holding` completes once it holds its first. */
const heldListener = (
  subscribe: Effect.Effect<Stream.Stream<RealtimeModelEvent>, never, Scope.Scope>,
  release: Deferred.Deferred<void>,
  holding?: Deferred.Deferred<void>
) =>
  Effect.flatMap(
    subscribe,
    (stream) =>
      Effect.forkChild(Stream.runCollect(Stream.tap(stream, () =>
        Effect.andThen(
          holding === undefined ? Effect.void : Deferred.succeed(holding, undefined),
          Deferred.await(release)
        ))))
  )

/** A model with a listener of capacity 4 holding the event of the first frame, until `release`. */
const holdingFirstEvent = Effect.gen(function*() {
  const { model, next, server } = yield* connectHarness({}, { listenerBuffer: { capacity: 4 } })
  const release = yield* Deferred.make<void>()
  const holding = yield* Deferred.make<void>()
  const slow = yield* heldListener(model.subscribe, release, holding)
  yield* server.send(delta(0))
  yield* Deferred.await(holding)
  return { model, next, release, server, slow }
})

describe("bounded listener buffers", () => {
  it.effect("a full buffer: one warning for the stall, sends still go through, nothing is dropped", () => {
    const test = Effect.gen(function*() {
      const log = yield* stallLog
      return yield* Effect.gen(function*() {
        // the listener holds its first event, then falls behind for good: one stall
        const { model, next, release, server, slow } = yield* holdingFirstEvent
        for (const n of range(49)) yield* server.send(delta(n + 1))
        yield* Deferred.await(log.firstStall)
        // the connection waits for the listener, but a send is served meanwhile
        yield* model.sendEvent(Send.RawMessage.make({ type: "output_audio_buffer.clear" }))
        yield* server.next("output_audio_buffer.clear")
        expect(yield* Ref.get(log.warnings)).toBe(1)
        yield* Deferred.succeed(release, undefined)
        // the connection picks the frames up again once the listener has room
        for (const _ of range(50)) yield* next("TranscriptDelta")
        yield* model.close
        const events = yield* Fiber.join(slow)
        expect(deltasOf(events)).toEqual(range(50).map(String))
        expect(events.at(-1)?._tag).toBe("EndOfStream")
      }).pipe(Effect.provide(log.layer))
    })
    return Effect.provideService(test, References.MinimumLogLevel, "Warn")
  })

  it.effect("past the backlog limit the socket stops being read, and every frame still arrives once the listener catches up", () =>
    Effect.gen(function*() {
      const paused = yield* Deferred.make<void>()
      const logger = Logger.make(({ message }) => {
        if (String(message).includes("the socket is not read")) Effect.runSync(Deferred.succeed(paused, undefined))
      })
      return yield* Effect.gen(function*() {
        const { model, next, release, server, slow } = yield* holdingFirstEvent
        // far more than the 1024 frames the connection lets wait before it stops reading the socket
        for (const n of range(2999)) yield* server.send(delta(n + 1))
        yield* Deferred.await(paused)
        yield* Deferred.succeed(release, undefined)
        for (const _ of range(3000)) yield* next("TranscriptDelta")
        yield* model.close
        const events = yield* Fiber.join(slow)
        expect(deltasOf(events)).toEqual(range(3000).map(String))
      }).pipe(Effect.provide(Logger.layer([logger])), Effect.provideService(References.MinimumLogLevel, "Debug"))
    }))

  it.effect("a bounded listener that keeps up makes the connection wait for nothing: no warning", () =>
    Effect.gen(function*() {
      const log = yield* stallLog
      yield* Effect.gen(function*() {
        const { model, next, server } = yield* connectHarness({}, { listenerBuffer: { capacity: 64 } })
        for (const n of range(10)) yield* server.send(delta(n))
        for (const _ of range(10)) yield* next("TranscriptDelta")
        yield* model.close
      }).pipe(Effect.provide(log.layer))
      expect(yield* Ref.get(log.warnings)).toBe(0)
    }))

  it.effect("a listener that sends while its own buffer is full does not deadlock the connection", () =>
    Effect.gen(function*() {
      const { model, server } = yield* connectHarness({}, { listenerBuffer: { capacity: 2 } })
      const stream = yield* model.subscribe
      const replying = yield* Effect.forkChild(
        stream.pipe(
          Stream.filter((event) => event._tag === "TranscriptDelta"),
          Stream.take(20),
          Stream.mapEffect((event) =>
            Effect.as(
              model.sendEvent(Send.RawMessage.make({ type: "output_audio_buffer.clear", otherData: {} })),
              event
            )
          ),
          Stream.runCollect
        )
      )
      for (const n of range(20)) yield* server.send(delta(n))
      expect(deltasOf(yield* Fiber.join(replying))).toEqual(range(20).map(String))
      for (const _ of range(20)) yield* server.next("output_audio_buffer.clear")
    }))

  it.effect("close is not held up by a stalled listener, which still ends with disconnected and EndOfStream", () =>
    Effect.gen(function*() {
      const log = yield* stallLog
      yield* Effect.gen(function*() {
        const { model, server } = yield* connectHarness({}, { listenerBuffer: { capacity: 1 } })
        const release = yield* Deferred.make<void>()
        const slow = yield* heldListener(model.subscribe, release)
        for (const n of range(10)) yield* server.send(delta(n))
        yield* Deferred.await(log.firstStall)
        yield* model.close
        expect(yield* model.status).toBe("disconnected")
        yield* Deferred.succeed(release, undefined)
        const tags = (yield* Fiber.join(slow)).map((event) => event._tag)
        expect(tags.slice(-2)).toEqual(["ConnectionStatusChanged", "EndOfStream"])
      }).pipe(Effect.provide(log.layer))
    }))

  it.live("a send after the server dropped the socket, before the connection processed the drop, fails with Closed", () =>
    Effect.gen(function*() {
      const log = yield* stallLog
      const socketEnded = yield* Deferred.make<void>()
      const endLogger = Logger.make(({ message }) => {
        if (String(message).includes("the socket ended")) Effect.runSync(Deferred.succeed(socketEnded, undefined))
      })
      yield* Effect.gen(function*() {
        const { model, server } = yield* connectHarness({}, { listenerBuffer: { capacity: 1 } })
        const release = yield* Deferred.make<void>()
        yield* heldListener(model.subscribe, release)
        for (const n of range(5)) yield* server.send(delta(n))
        yield* Deferred.await(log.firstStall)
        // the owner is stalled with frames unprocessed; the drop reaches it only after them
        yield* server.close(4001, "bye")
        const send = model.sendEvent(Send.RawMessage.make({ type: "output_audio_buffer.clear" }))
        // once the socket reader has seen the close, a send fails at once, though the owner is still stalled
        yield* Deferred.await(socketEnded)
        const error = yield* Effect.flip(send)
        expect(error.reason).toBe("Closed")
        expect(error.message).toContain("the server closed the connection (code 4001: bye)")
        expect(yield* model.status).toBe("connected")
        yield* Deferred.succeed(release, undefined)
      }).pipe(
        Effect.provide(Logger.layer([endLogger], { mergeWithExisting: true })),
        Effect.provide(log.layer),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
    }))
})
