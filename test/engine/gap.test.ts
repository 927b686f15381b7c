/**
 * The gap of a call, as its owner runs it: sends held while there is no connection, their
 * deadlines enforced by the owner (a send whose deadline passed, or whose caller stopped waiting,
 * is never written later), held sends handed to the next connection in order, and `Closed` when
 * the call ends. First without a socket, then against the embedded server on the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Queue, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Gap from "../../src/internal/engine/gap.js"
import type * as Mailbox from "../../src/internal/engine/mailbox.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import { RealtimeConnectError } from "../../src/RealtimeError.js"
import type { RealtimeSendError } from "../../src/RealtimeError.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { takeUntil } from "../support/queues.js"

const say = (text: string) => Send.UserInput.make({ userInput: text })

const sendOf = (event: Send.RealtimeModelSendEvent): Mailbox.Send => ({
  _tag: "Send",
  event,
  predicate: undefined,
  reply: Deferred.makeUnsafe<boolean, RealtimeSendError>()
})

describe("the gap, without a socket", () => {
  it.effect("audio is dropped and counted; a held send fails Reconnecting at its deadline, the others go on in order", () =>
    Effect.gen(function*() {
      const gap = Gap.make(Duration.seconds(10))
      // the owner's deadline timers post here, as they post to the call's queue
      const posted = yield* Queue.unbounded<Mailbox.Send>()
      const deadline = (send: Mailbox.Send, after: Duration.Duration) =>
        Effect.forkChild(Effect.andThen(Effect.sleep(after), Queue.offer(posted, send)), { startImmediately: true })
      const audio = sendOf(Send.SendAudio.make({ audio: new Uint8Array(4800), commit: false }))
      const first = sendOf(say("first"))
      const second = sendOf(say("second"))
      const third = sendOf(say("third"))
      yield* Gap.hold(gap, audio, deadline)
      expect(yield* Deferred.await(audio.reply)).toBe(false)
      yield* Gap.hold(gap, first, deadline)
      yield* TestClock.adjust("4 seconds")
      yield* Gap.hold(gap, second, deadline)
      yield* Gap.hold(gap, third, deadline)
      yield* TestClock.adjust("6 seconds")
      // only the first send's deadline has passed
      const due = yield* Queue.take(posted)
      expect(due).toBe(first)
      expect(yield* Queue.size(posted)).toBe(0)
      Gap.expire(gap, due)
      expect(yield* Effect.flip(Deferred.await(first.reply))).toMatchObject({
        reason: "Reconnecting",
        eventTag: "UserInput"
      })
      // a caller that stopped waiting withdraws its send
      expect(Gap.withdraw(gap, third)).toBe(true)
      const released = Gap.release(gap)
      expect(released.sends).toEqual([second])
      expect(released.audioBytes).toBe(4800)
      // a released send's timer is stopped: its deadline never reaches the owner
      yield* TestClock.adjust("1 minute")
      expect(yield* Queue.size(posted)).toBe(0)
      expect(yield* Deferred.isDone(second.reply)).toBe(false)
      // a deadline that comes after its send was released changes nothing
      Gap.expire(gap, second)
      expect(yield* Deferred.isDone(second.reply)).toBe(false)
    }))

  it.effect("when the call ends, held sends fail Closed at once, with what ended it as the cause", () =>
    Effect.gen(function*() {
      const gap = Gap.make(Duration.seconds(10))
      const deadline = (_: Mailbox.Send, after: Duration.Duration) => Effect.forkChild(Effect.sleep(after))
      const held = sendOf(say("are you there?"))
      yield* Gap.hold(gap, held, deadline)
      const refused = new RealtimeConnectError({ reason: "Unauthorized", message: "refused" })
      Gap.close(gap, refused)
      const exit = yield* Deferred.await(held.reply).pipe(Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(yield* Effect.flip(Deferred.await(held.reply))).toMatchObject({
        reason: "Closed",
        cause: { _tag: "RealtimeConnectError", reason: "Unauthorized" }
      })
      expect(Gap.release(gap).sends).toEqual([])
    }))
})

/** A model in a long gap: its connection dropped, the next dial 30 seconds away. */
const inTheGap = (sendTimeout: Duration.Input) =>
  Effect.gen(function*() {
    const server = yield* TestClock.withLive(
      RealtimeServer.make({ speed: 40, rules: [{ match: "name is", reply: "Nice to meet you, Ada." }] })
    )
    const model = yield* OpenAIRealtime.make({
      apiKey: "sk-gap",
      reconnect: { schedule: Schedule.spaced("30 seconds").pipe(Schedule.upTo({ times: 3 })), sendTimeout }
    }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({ url: server.url, initialSettings: { turnDetection: null } }))
    const until = (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate)
    yield* server.faults.refuseNext(1, 503)
    yield* server.faults.dropAll
    yield* until((event) => event._tag === "ConnectionStatusChanged" && event.status === "reconnecting")
    return { model, server, until }
  })

/** The texts of the user messages the server was given, in order. */
const userTexts = (server: RealtimeServer.RealtimeServer) =>
  Effect.map(
    server.received,
    (texts) =>
      texts.map((text) => JSON.parse(text) as { type: string; item?: { content?: Array<{ text?: string }> } })
        .filter((frame) => frame.type === "conversation.item.create")
        .map((frame) => frame.item?.content?.[0]?.text)
  )

describe("the gap of a call, enforced by its owner", () => {
  it.effect("a send whose deadline passed in the gap fails Reconnecting and is never written after the reconnect", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* inTheGap("3 seconds")
      const late = yield* Effect.forkChild(Effect.flip(model.sendEvent(say("hello?"))), { startImmediately: true })
      yield* Effect.yieldNow
      yield* TestClock.adjust("3 seconds")
      expect(yield* Fiber.join(late)).toMatchObject({ reason: "Reconnecting", eventTag: "UserInput" })
      // the next dial, 30 seconds after the first refused one, succeeds
      yield* TestClock.adjust("27 seconds")
      yield* until((event) => event._tag === "Reconnected")
      yield* Effect.orDie(model.sendEvent(say("Hello, my name is Ada")))
      yield* until((event) => event._tag === "TurnEnded")
      expect(yield* userTexts(server)).toEqual(["Hello, my name is Ada"])
    }))

  it.effect("a send whose caller stopped waiting is withdrawn; the sends still held reach the new connection in order", () =>
    Effect.gen(function*() {
      const { model, server, until } = yield* inTheGap("1 minute")
      const first = yield* Effect.forkChild(model.sendEvent(say("first")), { startImmediately: true })
      // the caller's own deadline is shorter than the gap's
      const impatient = yield* Effect.forkChild(
        model.sendEvent(say("impatient")).pipe(Effect.timeoutOption("5 seconds")),
        { startImmediately: true }
      )
      const last = yield* Effect.forkChild(model.sendEvent(say("Hello, my name is Ada")), { startImmediately: true })
      yield* Effect.yieldNow
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(impatient)).toMatchObject({ _tag: "None" })
      expect(first.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("25 seconds")
      yield* until((event) => event._tag === "Reconnected")
      yield* Fiber.join(first)
      yield* Fiber.join(last)
      yield* until((event) => event._tag === "TurnEnded")
      expect(yield* userTexts(server)).toEqual(["first", "Hello, my name is Ada"])
    }))
})
