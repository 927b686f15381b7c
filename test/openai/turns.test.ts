/**
 * One `response.create` per turn, on a real loopback socket: user inputs (and tool outputs) stacked
 * before their response starts share one `response.create`; the next turn gets its own; an
 * application's own `response.create` is a turn of its own; never two in flight.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Sequencer from "../../src/internal/openai/sequencer.js"
import * as Event from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import type { ServerConnection } from "../support/loopbackServer.js"
import { barrier as markerBarrier, connectHarness, corpusViolations, responseCreated, responseDone } from "./harness.js"

const userInput = (text: string) => Send.UserInput.make({ userInput: text })

/** The types of the frames, and the text of each user message, in order. */
const summary = (frames: ReadonlyArray<Record<string, unknown>>): Array<string> =>
  frames.map((frame) => {
    if (frame["type"] !== "conversation.item.create") return String(frame["type"])
    const item = frame["item"] as {
      readonly type: string
      readonly content?: ReadonlyArray<{ readonly text?: string }>
    }
    return item.type === "message" ? `item:${item.content?.[0]?.text}` : `item:${item.type}`
  })

/** Everything the client sent before a marker frame it sends now, each checked against the corpus. */
const barrier = (
  send: (event: Send.RealtimeModelSendEvent) => Effect.Effect<void, unknown>,
  server: ServerConnection
) =>
  Effect.tap(markerBarrier(send, server), (frames) => Effect.sync(() => expect(corpusViolations(frames)).toEqual([])))

describe("one response.create per turn", () => {
  it.effect("user inputs stacked while a response is in flight share one response.create; the next turn gets its own", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      // the server started a response on its own (voice activity): it is in flight
      yield* server.send(responseCreated("resp_vad"))
      yield* next("TurnStarted")
      yield* model.sendEvent(userInput("one"))
      yield* model.sendEvent(userInput("two"))
      yield* model.sendEvent(userInput("three"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:one", "item:two", "item:three"])
      yield* server.send(responseDone("resp_vad"))
      yield* next("TurnEnded")
      const turn = yield* barrier(model.sendEvent, server)
      expect(summary(turn)).toEqual(["response.create"])
      expect(turn[0]).not.toHaveProperty("response")
      // the next turn: its input waits for this response, then gets a response.create of its own
      yield* server.send(responseCreated("resp_2"))
      yield* next("TurnStarted")
      yield* model.sendEvent(userInput("four"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:four"])
      yield* server.send(responseDone("resp_2"))
      yield* next("TurnEnded")
      const nextTurn = yield* barrier(model.sendEvent, server)
      expect(summary(nextTurn)).toEqual(["response.create"])
      expect(nextTurn[0]!["event_id"]).not.toBe(turn[0]!["event_id"])
    }))

  it.effect("inputs sent concurrently while a response is in flight still produce one response.create", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      const texts = ["a", "b", "c", "d", "e"]
      yield* Effect.forEach(texts, (text) => model.sendEvent(userInput(text)), { concurrency: "unbounded" })
      const stacked = summary(yield* barrier(model.sendEvent, server))
      expect([...stacked].sort()).toEqual(texts.map((text) => `item:${text}`))
      yield* server.send(responseDone("resp_1"))
      yield* next("TurnEnded")
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["response.create"])
    }))

  it.effect("an input added after a response.create went out starts the follow-up turn, shared by later inputs", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* model.sendEvent(userInput("one"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:one", "response.create"])
      // "two" reached the server after the response.create: that response does not answer it
      yield* model.sendEvent(userInput("two"))
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      yield* model.sendEvent(userInput("three"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:two", "item:three"])
      yield* server.send(responseDone("resp_1"))
      yield* next("TurnEnded")
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["response.create"])
    }))

  it.effect("tool outputs and user inputs waiting together share one response.create; startResponse: false asks none", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      const call = Event.FunctionCall.make({
        name: "get_weather",
        callId: "call_1",
        arguments: "{\"city\":\"Oslo\"}",
        itemId: "item_fc",
        previousItemId: null
      })
      yield* model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: "sunny" }))
      yield* model.sendEvent(userInput("and tomorrow?"))
      yield* model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: "again", startResponse: false }))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([
        "item:function_call_output",
        "item:and tomorrow?",
        "item:function_call_output"
      ])
      yield* server.send(responseDone("resp_1"))
      yield* next("TurnEnded")
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["response.create"])
    }))

  it.effect("an application's own response.create is a turn of its own: kept with its body, in order, one at a time", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      yield* server.send(responseCreated("resp_1"))
      yield* next("TurnStarted")
      yield* model.sendEvent(userInput("one"))
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "response.create",
          otherData: { response: { conversation: "none", instructions: "Summarise." } }
        })
      )
      yield* model.sendEvent(userInput("two"))
      yield* model.sendEvent(userInput("three"))
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual(["item:one", "item:two", "item:three"])

      const turns: Array<Record<string, unknown>> = []
      for (const id of ["resp_1", "resp_2", "resp_3"]) {
        if (id !== "resp_1") {
          yield* server.send(responseCreated(id))
          yield* next("TurnStarted")
          // still one in flight: nothing more goes out until it is done
          expect(summary(yield* barrier(model.sendEvent, server))).toEqual([])
        }
        yield* server.send(responseDone(id))
        yield* next("TurnEnded")
        const sent = yield* barrier(model.sendEvent, server)
        expect(summary(sent)).toEqual(["response.create"])
        turns.push(sent[0]!)
      }
      // "one", then the application's request with its body, then "two" and "three" together
      expect(turns.map((frame) => frame["response"])).toEqual([
        undefined,
        { conversation: "none", instructions: "Summarise." },
        undefined
      ])
      yield* server.send(responseCreated("resp_4"))
      yield* server.send(responseDone("resp_4"))
      yield* next("TurnEnded")
      expect(summary(yield* barrier(model.sendEvent, server))).toEqual([])
    }))
})

describe("the sequencer's turn rules, as pure bookkeeping", () => {
  const busy = "conversation_already_has_active_response"
  const body = { instructions: "Summarise." }
  const types = (frame: Record<string, unknown> | undefined) =>
    frame === undefined ? undefined : [frame["type"], frame["response"]]

  it("a refused application request goes out first at the next done, then the inputs' turn", () => {
    const sequencer = Sequencer.make(30_000)
    const first = Sequencer.request(sequencer, Sequencer.manual(body), 0)
    expect(types(first)).toEqual(["response.create", body])
    expect(Sequencer.request(sequencer, Sequencer.auto, 1)).toBeUndefined()
    // the server was busy with a response we never saw
    expect(Sequencer.error(sequencer, busy, first!["event_id"] as string, 2)).toBeUndefined()
    expect(Sequencer.waitingTurns(sequencer)).toBe(2)
    expect(types(Sequencer.done(sequencer, "resp_unseen", 3))).toEqual(["response.create", body])
    Sequencer.created(sequencer, "resp_1", 4)
    expect(types(Sequencer.done(sequencer, "resp_1", 5))).toEqual(["response.create", undefined])
    expect(Sequencer.waitingTurns(sequencer)).toBe(0)
  })

  it("a refused automatic request with inputs waiting behind it goes out once, for all of them", () => {
    const sequencer = Sequencer.make(30_000)
    const first = Sequencer.request(sequencer, Sequencer.auto, 0)
    expect(Sequencer.request(sequencer, Sequencer.auto, 1)).toBeUndefined()
    Sequencer.error(sequencer, busy, first!["event_id"] as string, 2)
    expect(Sequencer.waitingTurns(sequencer)).toBe(1)
    expect(types(Sequencer.done(sequencer, null, 3))).toEqual(["response.create", undefined])
    expect(Sequencer.waitingTurns(sequencer)).toBe(0)
  })

  it("an error ending our request sends the next turn at once; a stale response is probed one turn at a time", () => {
    const sequencer = Sequencer.make(1_000)
    const first = Sequencer.request(sequencer, Sequencer.auto, 0)
    Sequencer.request(sequencer, Sequencer.manual(body), 0)
    Sequencer.request(sequencer, Sequencer.auto, 0)
    expect(types(Sequencer.error(sequencer, "invalid_value", first!["event_id"] as string, 10))).toEqual([
      "response.create",
      body
    ])
    expect(Sequencer.probe(sequencer, 500)).toBeUndefined()
    expect(types(Sequencer.probe(sequencer, 1_010))).toEqual(["response.create", undefined])
    expect(Sequencer.probe(sequencer, 5_000)).toBeUndefined()
  })
})
