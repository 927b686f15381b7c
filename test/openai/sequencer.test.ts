/**
 * The response sequencer on a real loopback socket: never two `response.create` in flight, and no
 * request left waiting forever, whatever the server said or failed to say.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { barrier, connectHarness, responseCreated, responseDone } from "./harness.js"

const created = responseCreated
const done = (id: string) => responseDone(id)
const busy = (eventId: unknown) => ({
  type: "error",
  event_id: "e",
  error: {
    type: "invalid_request_error",
    code: "conversation_already_has_active_response",
    message: "Conversation already has an active response in progress",
    event_id: eventId
  }
})
const userInput = (text: string) => Send.UserInput.make({ userInput: text })

const creates = (frames: ReadonlyArray<Record<string, unknown>>) =>
  frames.filter((frame) => frame["type"] === "response.create")

/** A response (resp_1) in flight, and a second user turn waiting behind it. */
const secondTurnWaiting = Effect.gen(function*() {
  const harness = yield* connectHarness()
  yield* harness.model.sendEvent(userInput("one"))
  yield* harness.server.next("response.create")
  yield* harness.server.send(created("resp_1"))
  yield* harness.next("TurnStarted")
  yield* harness.model.sendEvent(userInput("two"))
  return harness
})

describe("response sequencer", () => {
  it.effect("an active response never seen created: the refused create goes out again at its response.done", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* model.sendEvent(userInput("one"))
      const create = yield* server.next("response.create")
      // attached mid-response: the server is busy with a response the client never saw created
      yield* server.send(busy(create["event_id"]))
      yield* next("ErrorEvent")
      yield* model.sendEvent(userInput("two"))
      expect(creates(yield* barrier(model.sendEvent, server))).toHaveLength(0)
      yield* server.send(done("resp_unseen"))
      const retried = yield* server.next("response.create")
      expect(retried["event_id"]).not.toBe(create["event_id"])
      // and the sequence goes on as usual
      yield* server.send(created("resp_2"))
      yield* server.send(done("resp_2"))
      yield* next("TurnEnded")
      yield* next("TurnEnded")
      yield* model.sendEvent(userInput("three"))
      yield* server.next("response.create")
    }))

  it.effect("a missed response.done: the next response.created ends the previous response", () =>
    Effect.gen(function*() {
      const { model, server } = yield* secondTurnWaiting
      expect(creates(yield* barrier(model.sendEvent, server))).toHaveLength(0)
      // resp_1's response.done never comes; the server starts resp_2 (voice activity) and ends it
      yield* server.send(created("resp_2"))
      yield* server.send(done("resp_2"))
      yield* server.next("response.create")
    }))

  it.effect("a missed response.done with nothing after it: the held request is sent as a probe after 30 s of silence", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* secondTurnWaiting
      yield* TestClock.adjust("29 seconds")
      expect(creates(yield* barrier(model.sendEvent, server))).toHaveLength(0)
      yield* TestClock.adjust("2 seconds")
      const probe = creates(yield* barrier(model.sendEvent, server))
      expect(probe).toHaveLength(1)
      // the server was still busy after all: it refuses the probe, and the request waits for the done
      yield* server.send(busy(probe[0]!["event_id"]))
      yield* next("ErrorEvent")
      expect(creates(yield* barrier(model.sendEvent, server))).toHaveLength(0)
      yield* server.send(done("resp_1"))
      yield* server.next("response.create")
    }))

  it.effect("a response.done of a response never seen while our create is unanswered sends nothing more", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* model.sendEvent(userInput("one"))
      yield* server.next("response.create")
      yield* model.sendEvent(userInput("two"))
      yield* server.send(done("resp_other"))
      yield* next("TurnEnded")
      // still one create in flight
      expect(creates(yield* barrier(model.sendEvent, server))).toHaveLength(0)
      yield* server.send(created("resp_1"))
      yield* server.send(done("resp_1"))
      yield* server.next("response.create")
    }))
})
