import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Fiber, Redacted, Scope, Stream } from "effect"
import * as PlaybackTracker from "../src/PlaybackTracker.js"
import { RealtimeConnectError, RealtimeSendError } from "../src/RealtimeError.js"
import { RealtimeModel } from "../src/RealtimeModel.js"
import type { RealtimeModelState } from "../src/RealtimeModel.js"
import * as Event from "../src/RealtimeModelEvent.js"
import * as Send from "../src/RealtimeModelSendEvent.js"
import * as RealtimeTesting from "../src/RealtimeTesting.js"

const status = (value: Event.ConnectionStatus) => Event.ConnectionStatusChanged.make({ status: value })
const turn = (id: string) => [Event.TurnStarted.make({ responseId: id }), Event.TurnEnded.make({ responseId: id })]

const collect = (stream: Stream.Stream<Event.RealtimeModelEvent>) => Effect.forkChild(Stream.runCollect(stream))

describe("scripted model", () => {
  it.effect("answers each expected send with its events: by value, by tag and by predicate", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        onConnect: [Event.Other.make({ data: "ready" })],
        steps: [
          { expect: Send.UserInput.make({ userInput: "hi" }), emit: turn("r1") },
          { expect: "SendAudio", emit: turn("r2") },
          { expect: (event) => event._tag === "Interrupt" && event.forceResponseCancel, emit: turn("r3") }
        ]
      })
      const events = yield* collect(yield* model.subscribe)
      yield* model.connect()
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hi" }))
      yield* model.sendEvent(Send.SendAudio.make({ audio: new Uint8Array([1, 2]) }))
      yield* model.sendEvent(Send.Interrupt.make({ forceResponseCancel: true }))
      expect(yield* model.remainingSteps).toBe(0)
      expect((yield* model.sent).map((event) => event._tag)).toEqual(["UserInput", "SendAudio", "Interrupt"])
      yield* model.close
      expect(yield* Fiber.join(events)).toEqual([
        status("connecting"),
        status("connected"),
        Event.Other.make({ data: "ready" }),
        ...turn("r1"),
        ...turn("r2"),
        ...turn("r3"),
        status("disconnected"),
        Event.EndOfStream.make({})
      ])
    }))

  it.effect("a step can make the send fail", () =>
    Effect.gen(function*() {
      const failure = new RealtimeSendError({ reason: "Transport", message: "socket write failed" })
      const model = yield* RealtimeTesting.makeScripted({ steps: [{ expect: "UserInput", fail: failure }] })
      yield* model.connect()
      expect(yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "x" })))).toEqual(failure)
    }))

  it.effect("strict mode refuses an unexpected send and keeps the step", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({ strict: true, steps: [{ expect: "UserInput" }] })
      yield* model.connect()
      const error = yield* Effect.flip(model.sendEvent(Send.Interrupt.make({})))
      expect(error.reason).toBe("InvalidEvent")
      expect(error.message).toContain("expects UserInput next")
      expect(yield* model.remainingSteps).toBe(1)
      yield* model.sendEvent(Send.UserInput.make({ userInput: "x" }))
      expect(yield* model.remainingSteps).toBe(0)
    }))

  it.effect("strict mode makes a scope that ends with unconsumed steps a defect", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(
        Effect.flatMap(
          RealtimeTesting.makeScripted({ strict: true, steps: [{ expect: "UserInput" }, { expect: "SendAudio" }] }),
          (model) => model.connect()
        )
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const defect = Cause.squash(exit.cause)
        expect(defect).toBeInstanceOf(RealtimeTesting.ScriptIncomplete)
        expect(defect).toMatchObject({ remaining: 2 })
        expect(String(defect)).toContain("expecting UserInput")
      }
    }))

  it.effect("lenient mode records and ignores unexpected sends", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({ steps: [{ expect: "SendAudio" }] })
      yield* model.connect()
      yield* model.sendEvent(Send.UserInput.make({ userInput: "unplanned" }))
      expect(yield* model.remainingSteps).toBe(1)
      expect((yield* model.sent).map((event) => event._tag)).toEqual(["UserInput"])
    }))

  it.effect("a connect error fails connect after connecting, then disconnected", () =>
    Effect.gen(function*() {
      const failure = new RealtimeConnectError({ reason: "Unauthorized", status: 401, message: "bad key" })
      const model = yield* RealtimeTesting.makeScripted({ connectError: failure })
      const listenerScope = yield* Scope.make()
      const events = yield* Effect.forkChild(
        Stream.runCollect(Stream.take(yield* Scope.provide(model.subscribe, listenerScope), 2))
      )
      expect(yield* Effect.flip(model.connect())).toEqual(failure)
      expect(yield* Fiber.join(events)).toEqual([status("connecting"), status("disconnected")])
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("records every connect without the secret", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      yield* model.connect({
        apiKey: Redacted.make("sk-very-secret"),
        url: "ws://127.0.0.1:1/v1/realtime",
        headers: { "X-Api-Key": Redacted.make("sk-header-secret") },
        initialSettings: { voice: "marin" },
        callId: "call_9"
      })
      const connects = yield* model.connects
      expect(connects).toEqual([{
        url: "ws://127.0.0.1:1/v1/realtime",
        headerNames: ["X-Api-Key"],
        initialSettings: { voice: "marin" },
        callId: "call_9",
        apiKeyAvailable: true,
        customPlaybackTracker: false
      }])
      expect(JSON.stringify(connects)).not.toContain("secret")
    }))

  it.effect("never reads the environment: the same with and without OPENAI_API_KEY", () =>
    Effect.gen(function*() {
      const run = (env: Record<string, string>) =>
        Effect.gen(function*() {
          const model = yield* RealtimeTesting.makeScripted({
            steps: [{ expect: "UserInput", emit: turn("resp_1") }]
          })
          const events = yield* collect(Stream.takeUntil(yield* model.subscribe, (event) => event._tag === "TurnEnded"))
          yield* model.connect({ url: "ws://127.0.0.1:1/v1/realtime" })
          yield* model.sendEvent(Send.UserInput.make({ userInput: "hi" }))
          return { connects: yield* model.connects, events: yield* Fiber.join(events) }
        }).pipe(
          Effect.scoped,
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
        )
      const without = yield* run({})
      const withKey = yield* run({ OPENAI_API_KEY: "sk-from-the-environment" })
      expect(withKey).toEqual(without)
      expect(without.connects.map((connect) => connect.apiKeyAvailable)).toEqual([false])
      expect(without.events.map((event) => event._tag)).toEqual([
        "ConnectionStatusChanged",
        "ConnectionStatusChanged",
        "TurnStarted",
        "TurnEnded"
      ])
    }))

  it.effect("connect twice fails, close is idempotent, sends before connect and after close fail typed", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      const before = yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "x" })))
      expect(before.reason).toBe("NotConnected")
      yield* model.connect({ apiKey: "k" })
      expect((yield* Effect.flip(model.connect({ apiKey: "k" }))).reason).toBe("AlreadyConnected")
      expect(yield* model.status).toBe("connected")
      yield* model.close
      yield* model.close
      const after = yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "x" })))
      expect(after.reason).toBe("Closed")
      expect(after.eventTag).toBe("UserInput")
    }))

  it.effect("an invalid send fails typed before it reaches the script", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({ strict: true, steps: [{ expect: "Interrupt" }] })
      yield* model.connect()
      const error = yield* Effect.flip(model.sendEvent(Send.Interrupt.make({ cancelResponseOnly: true })))
      expect(error.reason).toBe("InvalidEvent")
      expect(yield* model.remainingSteps).toBe(1)
      yield* model.sendEvent(Send.Interrupt.make({}))
      expect(yield* model.remainingSteps).toBe(0)
    }))

  it.effect("sendEventIf: a refused send consumes no step and is not recorded; an accepted one plays its step", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted({
        strict: true,
        steps: [{ expect: "UserInput", emit: [Event.TurnStarted.make({ responseId: "r1" })] }]
      })
      const events = yield* collect(yield* model.subscribe)
      yield* model.connect()
      const seen: Array<RealtimeModelState> = []
      const refuse = (state: RealtimeModelState) => {
        seen.push(state)
        return false
      }
      expect(yield* model.sendEventIf(Send.UserInput.make({ userInput: "late" }), refuse)).toBe(false)
      expect(yield* model.remainingSteps).toBe(1)
      expect(yield* model.sent).toEqual([])
      expect(yield* model.sendEventIf(Send.UserInput.make({ userInput: "now" }), () => true)).toBe(true)
      expect(yield* model.remainingSteps).toBe(0)
      expect(yield* model.sent).toEqual([Send.UserInput.make({ userInput: "now" })])
      expect(seen).toEqual([{
        status: "connected",
        responseInFlight: false,
        responseId: null,
        queuedResponses: 0,
        playback: PlaybackTracker.idle
      }])
      yield* model.close
      expect(yield* Fiber.join(events)).toEqual([
        status("connecting"),
        status("connected"),
        Event.TurnStarted.make({ responseId: "r1" }),
        status("disconnected"),
        Event.EndOfStream.make({})
      ])
    }))

  it.effect("sendEventIf: the state follows the turns the model emits and the tracker given to connect", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const model = yield* RealtimeTesting.makeScripted({ steps: [{ expect: "UserInput", emit: turn("r1") }] })
      yield* model.connect({ playbackTracker: tracker })
      const idleNow = (state: RealtimeModelState) => !state.responseInFlight
      yield* model.emit(Event.TurnStarted.make({ responseId: "r0" }))
      yield* tracker.onPlayMs("item_1", 0, 40)
      const seen: Array<RealtimeModelState> = []
      yield* model.sendEventIf(Send.Interrupt.make({}), (state) => {
        seen.push(state)
        return false
      })
      expect(seen).toEqual([{
        status: "connected",
        responseInFlight: true,
        responseId: "r0",
        queuedResponses: 0,
        playback: { currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 40 }
      }])
      expect(yield* model.sendEventIf(Send.UserInput.make({ userInput: "x" }), idleNow)).toBe(false)
      yield* model.emit(Event.TurnEnded.make({ responseId: "r0" }))
      expect(yield* model.sendEventIf(Send.UserInput.make({ userInput: "x" }), idleNow)).toBe(true)
      // the step's own turn started and ended
      expect(yield* model.sendEventIf(Send.UserInput.make({ userInput: "y" }), idleNow)).toBe(true)
      expect((yield* model.sent).map((event) => event._tag)).toEqual(["UserInput", "UserInput"])
    }))

  it.effect("sendEventIf fails typed when not connected, without asking the predicate", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.makeScripted()
      let asked = 0
      const error = yield* Effect.flip(model.sendEventIf(Send.UserInput.make({ userInput: "x" }), () => {
        asked++
        return true
      }))
      expect([error.reason, asked]).toEqual(["NotConnected", 0])
    }))

  it.effect("the layer provides the same instance as RealtimeModel and ScriptedRealtimeModel", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeModel
      const scripted = yield* RealtimeTesting.ScriptedRealtimeModel
      yield* model.connect()
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hello" }))
      expect(yield* scripted.sent).toEqual([Send.UserInput.make({ userInput: "hello" })])
    }).pipe(Effect.scoped, Effect.provide(RealtimeTesting.layerScripted({ steps: [{ expect: "UserInput" }] }))))
})
