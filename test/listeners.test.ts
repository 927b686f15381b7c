import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Logger, Ref, References, Scope, Stream } from "effect"
import * as EventHub from "../src/internal/eventHub.js"
import { listen } from "../src/RealtimeModel.js"
import * as Event from "../src/RealtimeModelEvent.js"
import * as RealtimeTesting from "../src/RealtimeTesting.js"

const delta = (n: number) => Event.TranscriptDelta.make({ itemId: "item_1", delta: String(n), responseId: "resp_1" })
const deltas = (count: number) => Array.from({ length: count }, (_, n) => delta(n))
const status = (value: Event.ConnectionStatus) => Event.ConnectionStatusChanged.make({ status: value })
const end = Event.EndOfStream.make({})

const collect = (stream: Stream.Stream<Event.RealtimeModelEvent>) => Effect.forkChild(Stream.runCollect(stream))

describe("listeners", () => {
  it.effect("every listener gets every event after it subscribed, in order, ending with EndOfStream", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const first = yield* collect(yield* model.subscribe)
      const second = yield* collect(yield* model.subscribe)
      yield* model.connect()
      yield* Effect.forEach(deltas(2000), model.emit, { discard: true })
      yield* model.close
      const expected = [status("connecting"), status("connected"), ...deltas(2000), status("disconnected"), end]
      expect(yield* Fiber.join(first)).toEqual(expected)
      expect(yield* Fiber.join(second)).toEqual(expected)
    }))

  it.effect("a listener subscribed later sees only later events", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      yield* model.connect()
      yield* model.emit(delta(1))
      const late = yield* collect(yield* model.subscribe)
      yield* model.emit(delta(2))
      yield* model.close
      expect(yield* Fiber.join(late)).toEqual([delta(2), status("disconnected"), end])
    }))

  it.effect("a slow listener loses nothing and does not hold back a fast one", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const release = yield* Deferred.make<void>()
      const slowSeen = yield* Ref.make<Array<Event.RealtimeModelEvent>>([])
      const slow = yield* Effect.forkChild(
        Stream.runForEach(yield* model.subscribe, (event) =>
          Effect.andThen(Deferred.await(release), Ref.update(slowSeen, (seen) => [...seen, event])))
      )
      const fast = yield* collect(yield* model.subscribe)
      yield* model.connect()
      yield* Effect.forEach(deltas(500), model.emit, { discard: true })
      yield* model.close
      // the fast listener finishes while the slow one has not processed a single event
      const fastEvents = yield* Fiber.join(fast)
      expect(fastEvents).toHaveLength(504)
      expect(yield* Ref.get(slowSeen)).toEqual([])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(slow)
      expect(yield* Ref.get(slowSeen)).toEqual(fastEvents)
    }))

  it.effect("removing one listener leaves the others untouched", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const keeper = yield* collect(yield* model.subscribe)
      const leaverScope = yield* Scope.make()
      const leaver = yield* collect(yield* Scope.provide(model.subscribe, leaverScope))
      yield* model.connect()
      yield* model.emit(delta(1))
      yield* Scope.close(leaverScope, Exit.void)
      yield* model.emit(delta(2))
      yield* model.close
      expect(yield* Fiber.join(keeper)).toEqual([
        status("connecting"),
        status("connected"),
        delta(1),
        delta(2),
        status("disconnected"),
        end
      ])
      // the removed listener's stream simply stops; it got what was published before its removal
      const leaverEvents = yield* Fiber.join(leaver)
      expect(leaverEvents.some((event) => event._tag === "TranscriptDelta" && event.delta === "2")).toBe(false)
    }))

  it.effect("closing the model's scope ends every listener after disconnected and EndOfStream", () =>
    Effect.gen(function*() {
      const outer = yield* Scope.make()
      const model = yield* Scope.provide(RealtimeTesting.makeScripted(), outer)
      const listener = yield* collect(yield* model.subscribe)
      yield* Scope.provide(model.connect(), outer)
      yield* Scope.close(outer, Exit.void)
      expect(yield* Fiber.join(listener)).toEqual([
        status("connecting"),
        status("connected"),
        status("disconnected"),
        end
      ])
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("a bounded buffer applies backpressure, warns, and loses nothing", () =>
    Effect.gen(function*() {
      const logs = yield* Ref.make<Array<string>>([])
      const logger = Logger.make(({ message }) => {
        Effect.runSync(Ref.update(logs, (all) => [...all, String(message)]))
      })
      const model = yield* RealtimeTesting.makeScripted({ listenerBuffer: { capacity: 4 } })
      const release = yield* Deferred.make<void>()
      const seen = yield* Ref.make(0)
      const slow = yield* Effect.forkChild(
        Stream.runForEach(yield* model.subscribe, () =>
          Effect.andThen(Deferred.await(release), Ref.update(seen, (n) => n + 1)))
      )
      yield* model.connect()
      const publisher = yield* Effect.forkChild(
        Effect.forEach(deltas(50), model.emit, { discard: true }).pipe(
          Effect.andThen(model.close),
          Effect.provide(Logger.layer([logger])),
          Effect.provideService(References.MinimumLogLevel, "Warn")
        )
      )
      // the publisher cannot finish while the listener holds its buffer full
      yield* Effect.repeat(Effect.yieldNow, { times: 200 })
      expect(publisher.pollUnsafe()).toBeUndefined()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(publisher)
      yield* Fiber.join(slow)
      expect(yield* Ref.get(seen)).toBe(2 + 50 + 2)
      expect((yield* Ref.get(logs)).some((line) =>
        line.includes("events behind")
      )).toBe(true)
    }))
})

describe("listen", () => {
  it.effect("runs the handler for every event, logs a failing one and goes on", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const handled = yield* Ref.make<Array<string>>([])
      const fiber = yield* listen(model, (event) =>
        event._tag === "TranscriptDelta" && event.delta === "1"
          ? Effect.fail("boom")
          : Ref.update(handled, (all) => [...all, event._tag === "TranscriptDelta" ? event.delta : event._tag]))
      yield* model.connect()
      yield* Effect.forEach(deltas(3), model.emit, { discard: true })
      yield* model.close
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(handled)).toEqual([
        "ConnectionStatusChanged",
        "ConnectionStatusChanged",
        "0",
        "2",
        "ConnectionStatusChanged",
        "EndOfStream"
      ])
    }))

  it.effect("stops when its scope closes", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const count = yield* Ref.make(0)
      const scope = yield* Scope.make()
      const fiber = yield* Scope.provide(listen(model, () => Ref.update(count, (n) => n + 1)), scope)
      yield* model.connect()
      yield* Scope.close(scope, Exit.void)
      expect(fiber.pollUnsafe()).not.toBeUndefined()
      const before = yield* Ref.get(count)
      yield* model.emit(delta(1))
      expect(yield* Ref.get(count)).toBe(before)
    }))
})

describe("event hub", () => {
  it.effect("a listener that has reached EndOfStream is forgotten: it retains nothing published later", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      // the listener's scope stays open: only the EndOfStream ends it
      const ended = yield* collect(yield* hub.subscribe)
      yield* hub.publishAll([delta(1), end])
      expect(yield* Fiber.join(ended)).toEqual([delta(1), end])
      expect(hub.listenerCountUnsafe()).toBe(0)
      const live = yield* collect(yield* hub.subscribe)
      yield* hub.publishAll([...deltas(1000), end])
      expect(yield* Fiber.join(live)).toHaveLength(1001)
      expect(hub.listenerCountUnsafe()).toBe(0)
    }))

  it.effect("what is published while a listener is busy reaches it as one chunk, in order", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const pull = yield* Stream.toPull(yield* hub.subscribe)
      hub.offerAllUnsafe([delta(1)])
      hub.offerAllUnsafe([delta(2), delta(3)])
      hub.offerAllUnsafe([delta(4)])
      expect(yield* pull).toEqual([delta(1), delta(2), delta(3), delta(4)])
      // a pull that waits is woken once, with everything published before it runs
      const waiting = yield* Effect.forkChild(pull)
      yield* Effect.yieldNow
      hub.offerAllUnsafe([delta(5)])
      hub.offerAllUnsafe([delta(6)])
      expect(yield* Fiber.join(waiting)).toEqual([delta(5), delta(6)])
      hub.offerAllUnsafe([delta(7), end])
      expect(yield* pull).toEqual([delta(7), end])
      expect(yield* Effect.exit(pull)).toSatisfy(Exit.isFailure)
    }))

  it.effect("a pull interrupted while it waits loses nothing: the next pull gets what was published", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const pull = yield* Stream.toPull(yield* hub.subscribe)
      const other = yield* collect(yield* hub.subscribe)
      const waiting = yield* Effect.forkChild(pull)
      yield* Effect.yieldNow
      // published in the same turn as the interruption, before the woken pull could run
      hub.offerAllUnsafe([delta(1)])
      yield* Fiber.interrupt(waiting)
      hub.offerAllUnsafe([delta(2)])
      yield* Effect.yieldNow
      expect(yield* pull).toEqual([delta(1), delta(2)])
      yield* hub.shutdown
      expect(yield* pull).toEqual([end])
      expect(yield* Fiber.join(other)).toEqual([delta(1), delta(2), end])
    }))

  it.effect("after shutdown every listener ends, and a later subscriber gets only EndOfStream", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make({ capacity: 2 })
      const before = yield* collect(yield* hub.subscribe)
      yield* hub.shutdown
      expect(yield* Fiber.join(before)).toEqual([end])
      expect(yield* Stream.runCollect(yield* hub.subscribe)).toEqual([end])
    }))
})

describe("inbox", () => {
  it.effect("gives everything offered before the consumer runs as one chunk, in order", () =>
    Effect.gen(function*() {
      const inbox = EventHub.makeInboxUnsafe<number>()
      expect(inbox.offerAllUnsafe([1, 2])).toBe(true)
      expect(inbox.offerUnsafe(3)).toBe(true)
      expect(inbox.sizeUnsafe()).toBe(3)
      expect(yield* inbox.takeAll).toEqual([1, 2, 3])
      const waiting = yield* Effect.forkChild(inbox.takeAll)
      yield* Effect.yieldNow
      inbox.offerUnsafe(4)
      inbox.offerAllUnsafe([5, 6])
      expect(yield* Fiber.join(waiting)).toEqual([4, 5, 6])
      expect(inbox.sizeUnsafe()).toBe(0)
    }))

  it.effect("once ended it refuses offers, gives what is left, then fails with Done", () =>
    Effect.gen(function*() {
      const inbox = EventHub.makeInboxUnsafe<number>()
      const waiting = yield* Effect.forkChild(Effect.exit(inbox.takeAll))
      yield* Effect.yieldNow
      inbox.endUnsafe()
      expect(Exit.isFailure(yield* Fiber.join(waiting))).toBe(true)
      const other = EventHub.makeInboxUnsafe<number>()
      other.offerAllUnsafe([1, 2])
      other.endUnsafe()
      expect(other.isEndedUnsafe()).toBe(true)
      expect(other.offerUnsafe(3)).toBe(false)
      expect(other.offerAllUnsafe([4])).toBe(false)
      expect(yield* other.takeAll).toEqual([1, 2])
      expect(Exit.isFailure(yield* Effect.exit(other.takeAll))).toBe(true)
    }))

  it.effect("takeAllUnsafe drains without waiting, and afterTake runs after each take that took something", () =>
    Effect.gen(function*() {
      let takes = 0
      const inbox = EventHub.makeInboxUnsafe<string>(() => takes++)
      expect(inbox.takeAllUnsafe()).toEqual([])
      expect(takes).toBe(0)
      inbox.offerAllUnsafe(["a", "b"])
      expect(inbox.takeAllUnsafe()).toEqual(["a", "b"])
      expect(takes).toBe(1)
      inbox.offerUnsafe("c")
      expect(yield* inbox.takeAll).toEqual(["c"])
      expect(takes).toBe(2)
    }))
})
