/**
 * OpenAI Live's stall timer, over real WebSocket against a scripted server on 127.0.0.1 and on the
 * TestClock: a model turn whose audio stops mid-turn (no quiet follows) ends with `AudioDone` and
 * `TurnEnded`, its item completed, `quietMs` (800) after the last frame and not before; audio
 * before that deadline pushes it back; once the turn has ended, on the timer or on quiet audio, no
 * timer is left; the application's own audio does not keep a stalled turn open; a drop and the
 * call's close take the timer with them. And, on a connection driven without a socket, a timer's
 * wake that comes while frames wait for a full listener waits behind them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Fiber, Queue, Stream } from "effect"
import type { Scope } from "effect"
import { TestClock } from "effect/testing"
import * as Stepwise from "../../src/internal/engine/stepwise.js"
import * as EventHub from "../../src/internal/eventHub.js"
import * as Connection from "../../src/internal/openaiLive/connection.js"
import * as OpenAILive from "../../src/OpenAILive.js"
import type { RealtimeModelService } from "../../src/RealtimeModel.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as Loopback from "../support/loopbackServer.js"
import { connectedTo } from "../support/model.js"
import { takeUntil } from "../support/queues.js"
import { modelAudio, pcm24, ready, started, tags } from "./support.js"

/** The protocol's default: how long a turn may stay quiet. */
const quietMs = 800

/**
 * The TestClock, counting the sleeps in flight by their length: the stall timer's are at most
 * `quietMs` long (the keepalive's, the connect's and the session expiry's are seconds or more), so
 * they can be told apart.
 */
const countingClock = Effect.gen(function*() {
  const clock = (yield* Clock.clockWith(Effect.succeed)) as TestClock.TestClock
  const sleeping: Array<number> = []
  const counting: TestClock.TestClock = {
    ...clock,
    sleep: (duration) =>
      Effect.suspend(() => {
        const ms = Duration.toMillis(duration)
        sleeping.push(ms)
        return Effect.ensuring(
          clock.sleep(duration),
          Effect.sync(() => void sleeping.splice(sleeping.indexOf(ms), 1))
        )
      })
  }
  return { counting, timers: () => sleeping.filter((ms) => ms <= quietMs).length }
})

/** A call to the scripted server, its session started; its events in a queue. */
const call: Effect.Effect<
  {
    readonly model: RealtimeModelService
    readonly server: Loopback.ServerConnection
    readonly events: Queue.Queue<RealtimeModelEvent>
    readonly until: (predicate: (event: RealtimeModelEvent) => boolean) => Effect.Effect<Array<RealtimeModelEvent>>
  },
  never,
  Scope.Scope
> = Effect.gen(function*() {
  const loopback = yield* Loopback.make()
  const accepted = yield* Effect.forkChild(Effect.gen(function*() {
    const server = yield* Queue.take(loopback.connections)
    yield* server.next("session.start")
    yield* server.send(started())
    return server
  }))
  const { events, model, until } = yield* connectedTo(OpenAILive.make({ apiKey: "sk-test" }), loopback.url)
  const server = yield* Fiber.join(accepted)
  return { model, server, events, until }
})

const is = (tag: RealtimeModelEvent["_tag"]) => (event: RealtimeModelEvent) => event._tag === tag

/**
 * Whether the model's turn is open, as the connection's owner sees it once it has processed
 * everything before this request (a conditional send that is never sent).
 */
const turnOpen = (model: RealtimeModelService) =>
  Effect.gen(function*() {
    let open: boolean | undefined
    const sent = yield* model.sendEventIf(Send.RawMessage.make({ type: "never.sent" }), (state) => {
      open = state.responseInFlight
      return false
    })
    expect(sent).toBe(false)
    return open
  })

/** Everything the listener holds now. */
const drained = (events: Queue.Queue<RealtimeModelEvent>) => Effect.map(Queue.clear(events), (taken) => [...taken])

describe("OpenAI Live: a model turn whose audio stops", () => {
  it.effect("ends with AudioDone and TurnEnded, its item completed, quietMs after the last audio and not before", () =>
    Effect.gen(function*() {
      const { events, model, server, until } = yield* call
      yield* server.send(modelAudio(200))
      const opened = yield* until(is("Audio"))
      expect(tags(opened).slice(-3)).toEqual(["TurnStarted", "ItemUpdated", "Audio"])

      yield* TestClock.adjust(quietMs - 1)
      expect(yield* turnOpen(model)).toBe(true)
      expect(yield* drained(events)).toEqual([])

      yield* TestClock.adjust(1)
      const ended = yield* until(is("TurnEnded"))
      expect(tags(ended)).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
      expect(ended[0]).toEqual({ _tag: "AudioDone", itemId: "live_item_2", contentIndex: 0 })
      expect(ended[1]).toMatchObject({ item: { _tag: "AssistantMessage", itemId: "live_item_2", status: "completed" } })
      expect(ended[2]).toEqual({ _tag: "TurnEnded", responseId: "live_resp_1" })
      expect(yield* turnOpen(model)).toBe(false)

      // no timer is left: a later advance publishes nothing
      yield* TestClock.adjust("10 seconds")
      expect(yield* turnOpen(model)).toBe(false)
      expect(yield* drained(events)).toEqual([])
    }).pipe(Effect.scoped))

  it.effect("audio arriving before the deadline pushes it back", () =>
    Effect.gen(function*() {
      const { events, model, server, until } = yield* call
      yield* server.send(modelAudio(200))
      yield* until(is("Audio"))
      yield* TestClock.adjust(600)
      yield* server.send(modelAudio(200))
      yield* until(is("Audio"))

      // the first audio's deadline (800) passes: the turn stays open until 600 + 800
      yield* TestClock.adjust(quietMs - 1)
      expect(yield* turnOpen(model)).toBe(true)
      expect(yield* drained(events)).toEqual([])

      yield* TestClock.adjust(1)
      expect(tags(yield* until(is("TurnEnded")))).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
      expect(yield* Clock.currentTimeMillis).toBe(600 + quietMs)
    }).pipe(Effect.scoped))

  it.effect("the application's own audio does not keep a stalled turn open", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* call
      yield* server.send(modelAudio(200))
      yield* until(is("Audio"))
      // the user's microphone goes on streaming while the model's audio has stopped
      for (let at = 100; at < quietMs; at += 100) {
        yield* TestClock.adjust(100)
        yield* model.sendEvent(Send.SendAudio.make({ audio: pcm24(100), commit: false }))
      }
      yield* TestClock.adjust(100)
      expect(tags(yield* until(is("TurnEnded")))).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
      expect(yield* Clock.currentTimeMillis).toBe(quietMs)
    }).pipe(Effect.scoped))
})

describe("OpenAI Live: the stall timer's life", () => {
  it.effect("one timer while the turn is open, re-armed by each frame and never stacked; none once it ended", () =>
    Effect.gen(function*() {
      const clock = yield* countingClock
      yield* Effect.gen(function*() {
        const { events, model, server, until } = yield* call
        expect(clock.timers()).toBe(0)
        yield* server.send(modelAudio(200))
        yield* until(is("Audio"))
        expect(clock.timers()).toBe(1)
        for (let chunk = 0; chunk < 5; chunk++) {
          yield* TestClock.adjust(300)
          yield* server.send(modelAudio(100))
          yield* until(is("Audio"))
        }
        expect(clock.timers()).toBe(1)
        // quiet audio ends the turn: the timer goes with it
        yield* server.send(modelAudio(quietMs, 0))
        expect(tags(yield* until(is("TurnEnded")))).toEqual(["Audio", "AudioDone", "ItemUpdated", "TurnEnded"])
        expect(yield* turnOpen(model)).toBe(false)
        expect(clock.timers()).toBe(0)
        yield* TestClock.adjust("10 seconds")
        expect(yield* drained(events)).toEqual([])

        // a turn that stalls: armed, then gone once its quiet's step ran
        yield* server.send(modelAudio(200))
        yield* until(is("Audio"))
        expect(clock.timers()).toBe(1)
        yield* TestClock.adjust(quietMs)
        yield* until(is("TurnEnded"))
        expect(clock.timers()).toBe(0)
      }).pipe(Effect.provideService(Clock.Clock, clock.counting), Effect.scoped)
    }))

  it.effect("a drop mid-turn cuts the turn and takes the timer with it", () =>
    Effect.gen(function*() {
      const clock = yield* countingClock
      yield* Effect.gen(function*() {
        const { events, server, until } = yield* call
        yield* server.send(modelAudio(200))
        yield* until(is("Audio"))
        expect(clock.timers()).toBe(1)
        yield* server.close(1011, "gone")
        const cut = yield* until(is("EndOfStream"))
        // the connection's end closed the turn, cut off: no AudioDone, the item incomplete
        expect(tags(cut)).not.toContain("AudioDone")
        expect(cut).toContainEqual({ _tag: "TurnEnded", responseId: "live_resp_1" })
        expect(clock.timers()).toBe(0)
        yield* TestClock.adjust("10 seconds")
        expect(yield* drained(events)).toEqual([])
      }).pipe(Effect.provideService(Clock.Clock, clock.counting), Effect.scoped)
    }))

  it.effect("closing the call takes the timer with it: nothing comes at its deadline", () =>
    Effect.gen(function*() {
      const clock = yield* countingClock
      yield* Effect.gen(function*() {
        const { events, model, server, until } = yield* call
        yield* server.send(modelAudio(200))
        yield* until(is("Audio"))
        expect(clock.timers()).toBe(1)
        yield* model.close
        expect(tags(yield* until(is("EndOfStream")))).toEqual(["ConnectionStatusChanged", "EndOfStream"])
        expect(clock.timers()).toBe(0)
        yield* TestClock.adjust("10 seconds")
        expect(yield* drained(events)).toEqual([])
      }).pipe(Effect.provideService(Clock.Clock, clock.counting), Effect.scoped)
    }))
})

describe("OpenAI Live's connection, driven without a socket: the timer behind a full listener", () => {
  it.effect("a wake that comes while frames wait for a full listener waits behind them: their audio keeps the turn open", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make({ capacity: 2 })
      const span = yield* Effect.makeSpanScoped("test")
      const connection = yield* Stepwise.make(Connection.steps, {
        hub,
        write: () => Effect.void,
        customTracker: undefined,
        span,
        memory: { state: ready(), notes: [], lastEnd: undefined }
      })
      // a listener, subscribed now, that takes nothing until the gate opens
      const gate = yield* Deferred.make<void>()
      const seen = yield* Queue.unbounded<RealtimeModelEvent>()
      const stream = yield* hub.subscribe
      yield* Effect.forkScoped(
        Effect.andThen(Deferred.await(gate), Stream.runForEach(stream, (event) => Queue.offer(seen, event)))
      )
      yield* Effect.forkScoped(connection.run)
      const frame = JSON.stringify(modelAudio(100))
      const chunk = pcm24(100).byteLength
      yield* connection.deliver([frame, frame, frame])
      // the first frame's events filled the listener: the owner holds the other two
      expect((yield* connection.bookkeeping).turn?.audioBytes).toBe(chunk)

      // the turn's deadline passes while the frames wait: the timer's wake waits behind them
      yield* TestClock.adjust(quietMs)
      expect((yield* connection.bookkeeping).turn?.audioBytes).toBe(chunk)

      // the listener catches up: the held audio comes first and keeps the turn open
      yield* Deferred.succeed(gate, undefined)
      let audio = 0
      const caughtUp = yield* takeUntil(seen, (event) => event._tag === "Audio" && ++audio === 3)
      expect(tags(caughtUp)).toEqual(["TurnStarted", "ItemUpdated", "Audio", "Audio", "Audio"])
      expect((yield* connection.bookkeeping).turn?.audioBytes).toBe(3 * chunk)

      // and ends quietMs after it was processed
      yield* TestClock.adjust(quietMs - 1)
      expect((yield* connection.bookkeeping).turn).not.toBeNull()
      yield* TestClock.adjust(1)
      expect(tags(yield* takeUntil(seen, is("TurnEnded")))).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
      expect((yield* connection.bookkeeping).turn).toBeNull()
    }))
})
