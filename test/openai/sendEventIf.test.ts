/**
 * The conditional send on a real loopback socket: the connection's owner evaluates the predicate
 * over the model's state at the moment of sending, and the caller learns whether it was sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import * as PlaybackTracker from "../../src/PlaybackTracker.js"
import type { RealtimeModelState } from "../../src/RealtimeModel.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import type { ServerConnection } from "../support/loopbackServer.js"
import { barrier as markerBarrier, connectHarness, corpusViolations, responseCreated, responseDone } from "./harness.js"

const userInput = (text: string) => Send.UserInput.make({ userInput: text })

/** The types of the frames, and the text of each user message, in order. */
const summary = (frames: ReadonlyArray<Record<string, unknown>>): Array<string> =>
  frames.map((frame) => {
    if (frame["type"] !== "conversation.item.create") return String(frame["type"])
    const item = frame["item"] as { readonly content?: ReadonlyArray<{ readonly text?: string }> }
    return `item:${item.content?.[0]?.text}`
  })

/** Everything the client sent before a marker frame it sends now, each checked against the corpus. */
const barrier = (
  send: (event: Send.RealtimeModelSendEvent) => Effect.Effect<void, unknown>,
  server: ServerConnection
) =>
  Effect.tap(markerBarrier(send, server), (frames) => Effect.sync(() => expect(corpusViolations(frames)).toEqual([])))

/** A predicate that records every state it sees and answers `answer`. */
const recording = (answer: boolean) => {
  const seen: Array<RealtimeModelState> = []
  const predicate = (state: RealtimeModelState) => {
    seen.push(state)
    return answer
  }
  return { seen, predicate }
}

describe("sendEventIf", () => {
  it.effect("sends when the predicate holds and says so; the predicate sees the state", () =>
    Effect.gen(function*() {
      const { model, server } = yield* connectHarness()
      yield* server.next("session.update")
      const { predicate, seen } = recording(true)
      expect(yield* model.sendEventIf(userInput("hello"), predicate)).toBe(true)
      expect(seen).toEqual([{
        status: "connected",
        responseInFlight: false,
        responseId: null,
        queuedResponses: 0,
        playback: PlaybackTracker.idle
      }])
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:hello", "response.create"])
    }))

  it.effect("sends nothing when the predicate does not hold, and says so", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      const { predicate, seen } = recording(false)
      expect(yield* model.sendEventIf(userInput("feedback"), predicate)).toBe(false)
      expect(seen.map((state) => [state.responseInFlight, state.responseId])).toEqual([[true, "resp_1"]])
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([])
      // a refused send leaves nothing behind: the response's end asks for nothing
      yield* server.send(responseDone("resp_1"))
      yield* next("TurnEnded")
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([])
    }))

  it.effect("the predicate sees the turns waiting: a stacked input counts once", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      const { predicate, seen } = recording(true)
      yield* model.sendEventIf(userInput("one"), predicate)
      yield* model.sendEventIf(userInput("two"), predicate)
      yield* model.sendEventIf(Send.RawMessage.make({ type: "response.create" }), predicate)
      yield* model.sendEventIf(userInput("three"), predicate)
      yield* model.sendEventIf(userInput("four"), predicate)
      expect(seen.map((state) => state.queuedResponses)).toEqual([0, 1, 1, 2, 3])
    }))

  it.effect("is atomic: of many concurrent sends guarded by 'no response waiting', exactly one goes out", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      const texts = ["a", "b", "c", "d", "e", "f", "g", "h"]
      const results = yield* Effect.forEach(
        texts,
        (text) => model.sendEventIf(userInput(text), (state) => state.queuedResponses === 0),
        { concurrency: "unbounded" }
      )
      const winners = texts.filter((_, i) => results[i] === true)
      expect(winners).toHaveLength(1)
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([`item:${winners[0]}`])
    }))

  it.effect("the predicate sees the application's playback tracker", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const { model, server } = yield* connectHarness({ playbackTracker: tracker })
      yield* server.next("session.update")
      yield* tracker.onPlayMs("item_1", 0, 120)
      const { predicate, seen } = recording(false)
      expect(yield* model.sendEventIf(Send.Interrupt.make({}), predicate)).toBe(false)
      expect(seen.map((state) => state.playback)).toEqual([
        { currentItemId: "item_1", currentItemContentIndex: 0, elapsedMs: 120 }
      ])
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([])
    }))

  it.effect("a predicate that throws fails that call with the defect; the connection goes on", () =>
    Effect.gen(function*() {
      const { model, server } = yield* connectHarness()
      yield* server.next("session.update")
      const boom = new Error("predicate bug")
      const exit = yield* Effect.exit(model.sendEventIf(userInput("x"), () => {
        throw boom
      }))
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBe(boom)
      expect(yield* model.status).toBe("connected")
      yield* model.sendEvent(userInput("after"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:after", "response.create"])
    }))

  it.effect("fails like sendEvent when not connected, or when the event is invalid, without asking the predicate", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const { predicate, seen } = recording(true)
      const notConnected = yield* Effect.flip(model.sendEventIf(userInput("x"), predicate))
      expect([notConnected.reason, notConnected.eventTag]).toEqual(["NotConnected", "UserInput"])
      const invalid = yield* Effect.flip(
        model.sendEventIf(Send.Interrupt.make({ cancelResponseOnly: true }), predicate)
      )
      expect(invalid.reason).toBe("InvalidEvent")
      expect(seen).toEqual([])
    }))

  it.effect("after close it fails with Closed", () =>
    Effect.gen(function*() {
      const { model } = yield* connectHarness()
      yield* model.close
      const { predicate, seen } = recording(true)
      const error = yield* Effect.flip(model.sendEventIf(userInput("x"), predicate))
      expect(error.reason).toBe("Closed")
      expect(seen).toEqual([])
    }))
})
