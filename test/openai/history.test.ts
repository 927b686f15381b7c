import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Queue, Stream } from "effect"
import * as EventHub from "../../src/internal/eventHub.js"
import * as Connection from "../../src/internal/openai/connection.js"
import * as History from "../../src/internal/openai/history.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import { RealtimeConnectError, RealtimeConnectionLost } from "../../src/RealtimeError.js"
import * as RealtimeItem from "../../src/RealtimeItem.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { isRetryable } from "../../src/RealtimeReconnect.js"
import * as Loopback from "../support/loopbackServer.js"
import { takeUntil } from "../support/queues.js"

const assistant = (itemId: string, transcript: string | null): RealtimeModelEvent => ({
  _tag: "ItemUpdated",
  item: RealtimeItem.AssistantMessage.make({
    itemId,
    previousItemId: null,
    status: "completed",
    content: [RealtimeItem.OutputAudio.make({ audio: null, transcript })]
  })
})
const user = (itemId: string, content: ReadonlyArray<RealtimeItem.UserContent>): RealtimeModelEvent => ({
  _tag: "ItemUpdated",
  item: RealtimeItem.UserMessage.make({ itemId, previousItemId: null, status: "completed", content })
})
/** Feeds the memory what a connection would publish, in order. */
const observeAll = (history: History.History, events: ReadonlyArray<RealtimeModelEvent>) =>
  events.forEach((event) => History.observe(history, event))

const call = {
  _tag: "FunctionCall",
  name: "lookup",
  callId: "call_1",
  arguments: "{}",
  itemId: "fc_1",
  previousItemId: null
} as const

describe("the call's memory (history)", () => {
  it("a truncated reply is replayed only up to the heard share of its transcript, in whole words", () => {
    const replayedText = (audioEndMs: number, receivedMs: number) => {
      const history = History.make({})
      observeAll(history, [assistant("item_a", "one two three four")])
      History.truncated(history, "item_a", 0, audioEndMs, receivedMs)
      const frame = History.replay(history).frames[0]
      return frame?.item.type === "message" ? frame.item.content[0]?.text : undefined
    }
    // 18 characters: half is 9, inside "three", which was not heard whole
    expect(replayedText(500, 1000)).toBe("one two")
    // 8 characters end exactly where "two" does
    expect(replayedText(450, 1000)).toBe("one two")
    expect(replayedText(1000, 1000)).toBe("one two three four")
    // nothing heard: nothing said again, and nothing counted as lost
    expect(replayedText(0, 1000)).toBeUndefined()
    const history = History.make({})
    observeAll(history, [assistant("item_a", "one two")])
    History.truncated(history, "item_a", 0, 0, 1000)
    expect(History.replay(history).lost).toBe(0)
    // cut before any of the transcript came: the transcript that comes after is not replayed either
    const early = History.make({})
    History.truncated(early, "item_c", 0, 200, 1000)
    observeAll(early, [
      { _tag: "TranscriptDelta", itemId: "item_c", responseId: "resp_1", delta: "late words" },
      assistant("item_c", "late words")
    ])
    expect(History.replay(early).frames).toEqual([])
  })

  it("replays messages as text, audio as its transcript, calls and their outputs, in order", () => {
    const history = History.make({ instructions: "be brief" })
    History.sent(history, Send.UserInput.make({ userInput: "my name is Ada" }))
    // the server acknowledges the message this client sent: same item, now named
    observeAll(history, [user("item_u1", [RealtimeItem.InputText.make({ text: "my name is Ada" })])])
    observeAll(history, [
      { _tag: "TranscriptDelta", itemId: "item_a1", delta: "Hello ", responseId: "r1" },
      { _tag: "TranscriptDelta", itemId: "item_a1", delta: "Ada.", responseId: "r1" }
    ])
    observeAll(history, [{
      _tag: "ItemUpdated",
      item: RealtimeItem.ToolCall.make({
        itemId: "fc_1",
        previousItemId: null,
        callId: "call_1",
        name: "lookup",
        arguments: "{}",
        status: "completed",
        output: null
      })
    }])
    History.sent(history, Send.ToolOutput.make({ toolCall: call, output: "42", startResponse: true }))
    History.sent(history, Send.SessionUpdate.make({ sessionSettings: { voice: "marin" } }))
    const replay = History.replay(history)
    expect(replay.frames.map((frame) => frame.item)).toEqual([
      { id: "item_u1", type: "message", role: "user", content: [{ type: "input_text", text: "my name is Ada" }] },
      { id: "item_a1", type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello Ada." }] },
      { id: "fc_1", type: "function_call", call_id: "call_1", name: "lookup", arguments: "{}" },
      { id: "item_replayed_1", type: "function_call_output", call_id: "call_1", output: "42" }
    ])
    expect([...replay.ids]).toEqual(["item_u1", "item_a1", "fc_1", "item_replayed_1"])
    expect(replay.lost).toBe(0)
    expect(history.settings).toEqual({ instructions: "be brief", voice: "marin" })
  })

  it("a message sent and never acknowledged is replayed under a fresh id, once", () => {
    const history = History.make({})
    History.sent(history, Send.UserInput.make({ userInput: "are you there?" }))
    const first = History.replay(history)
    expect(first.frames.map((frame) => frame.item)).toEqual([
      {
        id: "item_replayed_1",
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "are you there?" }]
      }
    ])
    // the new session's echo is the same item, not another
    observeAll(history, [user("item_replayed_1", [RealtimeItem.InputText.make({ text: "are you there?" })])])
    expect(History.replay(history).frames).toHaveLength(1)
  })

  it("user audio without a transcript is lost (and counted); a deleted item is gone; a completed transcript fills in", () => {
    const history = History.make({})
    observeAll(history, [
      user("item_u1", [RealtimeItem.InputAudio.make({ audio: null, transcript: null })]),
      user("item_u2", [RealtimeItem.InputAudio.make({ audio: null, transcript: null })]),
      assistant("item_a1", "Sure."),
      assistant("item_a2", "Deleted."),
      { _tag: "ItemDeleted", itemId: "item_a2" },
      { _tag: "InputAudioTranscriptionCompleted", itemId: "item_u2", transcript: "book a table" }
    ])
    const replay = History.replay(history)
    expect(replay.frames.map((frame) => [frame.item.id, JSON.stringify(frame.item)])).toEqual([
      ["item_u2", expect.stringContaining("book a table")],
      ["item_a1", expect.stringContaining("Sure.")]
    ])
    expect(replay.lost).toBe(1)
  })

  it.effect("a tool output written just before the socket ends is remembered, and its response is still owed", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const span = yield* Effect.makeSpanScoped("test")
      const history = History.make({})
      const written: Array<string> = []
      const connection = yield* Connection.make({
        hub,
        write: (text) => Effect.sync(() => void written.push(text)),
        settings: {},
        customTracker: undefined,
        span,
        history
      })
      const owner = yield* Effect.forkChild(connection.run)
      yield* connection.send(Send.ToolOutput.make({ toolCall: call, output: "42", startResponse: true }))
      // the server never saw it: the socket ends before any response.created
      yield* connection.deliver([{ _tag: "Closed", by: "transport", code: 1006, reason: undefined }])
      const outcome = yield* Fiber.join(owner)
      expect(outcome._tag).toBe("Lost")
      expect(written.map((text) => JSON.parse(text).type)).toEqual(["conversation.item.create", "response.create"])
      expect(connection.unanswered()).toEqual({ turns: [{ _tag: "Auto" }], cutOff: null })
      expect(History.replay(history).frames.map((frame) => frame.item.type)).toEqual(["function_call_output"])
    }))
})

describe("a rollover's hand-over", () => {
  it.effect("sends waiting on the old connection go first to the new one, in order; its frames stay for the drain", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const span = yield* Effect.makeSpanScoped("test")
      const writer = (into: Array<string>) => (text: string) => Effect.sync(() => void into.push(text))
      const oldWrites: Array<string> = []
      const newWrites: Array<string> = []
      const make = (into: Array<string>) =>
        Connection.make({ hub, write: writer(into), settings: {}, customTracker: undefined, span })
      const old = yield* make(oldWrites)
      const next = yield* make(newWrites)
      const events = yield* Queue.unbounded<RealtimeModelEvent>()
      yield* Effect.forkScoped(Stream.runForEach(yield* hub.subscribe, (event) => Queue.offer(events, event)))
      // two sends and a frame reach the old connection after its last run
      const first = yield* Effect.forkChild(old.send(Send.RawMessage.make({ type: "first" })), {
        startImmediately: true
      })
      yield* old.deliver([JSON.stringify({ type: "rate_limits.updated", event_id: "e1", rate_limits: [] })])
      const second = yield* Effect.forkChild(old.send(Send.RawMessage.make({ type: "second" })), {
        startImmediately: true
      })
      old.handOverUnsafe(next)
      const third = yield* Effect.forkChild(next.send(Send.RawMessage.make({ type: "third" })), {
        startImmediately: true
      })
      yield* Effect.forkChild(next.run)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      yield* Fiber.join(third)
      expect(newWrites.map((text) => JSON.parse(text).type)).toEqual(["first", "second", "third"])
      // the old connection drains its frame and writes nothing more
      yield* old.deliver([{ _tag: "Closed", by: "server", code: 1000, reason: undefined }])
      expect((yield* old.run)._tag).toBe("Lost")
      expect(oldWrites).toEqual([])
      expect((yield* takeUntil(events, (event) => event._tag === "RateLimitsUpdated")).at(-1)?._tag).toBe(
        "RateLimitsUpdated"
      )
    }))
})

describe("which failures are worth another connection", () => {
  const lost = (fields: Partial<ConstructorParameters<typeof RealtimeConnectionLost>[0]>) =>
    new RealtimeConnectionLost({ reason: "Dropped", message: "lost", ...fields })
  const dial = (reason: RealtimeConnectError["reason"], status?: number) =>
    new RealtimeConnectError({ reason, message: "dial", ...(status !== undefined ? { status } : {}) })

  it("drops, timeouts, the service going away, server errors and 5xx are retried", () => {
    expect(isRetryable(lost({ code: 1006 }))).toBe(true)
    expect(isRetryable(lost({}))).toBe(true)
    expect(isRetryable(lost({ code: 1001, serverError: { type: "invalid_request_error", code: "session_expired" } })))
      .toBe(true)
    expect(isRetryable(lost({ code: 1011, serverError: { type: "server_error" } }))).toBe(true)
    expect(isRetryable(lost({ reason: "KeepaliveTimeout" }))).toBe(true)
    expect(isRetryable(dial("Timeout"))).toBe(true)
    expect(isRetryable(dial("Refused"))).toBe(true)
    expect(isRetryable(dial("Handshake", 503))).toBe(true)
    expect(isRetryable(dial("Handshake", 429))).toBe(true)
  })

  it("refused credentials, bad configuration, quota, oversized frames and deliberate closes are not", () => {
    expect(isRetryable(dial("Unauthorized", 401))).toBe(false)
    expect(isRetryable(dial("Unauthorized", 403))).toBe(false)
    expect(isRetryable(dial("MissingApiKey"))).toBe(false)
    expect(isRetryable(dial("InvalidConfig"))).toBe(false)
    expect(isRetryable(dial("Handshake", 404))).toBe(false)
    expect(isRetryable(lost({ code: 1000 }))).toBe(false)
    expect(isRetryable(lost({ code: 1008 }))).toBe(false)
    expect(isRetryable(lost({ code: 1011, serverError: { type: "insufficient_quota", code: "insufficient_quota" } })))
      .toBe(false)
    expect(isRetryable(lost({ code: 1009, reason: "FrameTooLarge" }))).toBe(false)
  })
})

describe("the frame size limit", () => {
  it.effect("a frame over maxFrameSize ends the connection with FrameTooLarge; the frames before it are kept", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const model = yield* OpenAIRealtime.make({ apiKey: "k", transport: { maxFrameSize: 2048 } }).pipe(
        Effect.provide(NodeRealtimeWebSocket.layer)
      )
      const events = yield* Queue.unbounded<RealtimeModelEvent>()
      yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
      yield* Effect.orDie(model.connect({ url: loopback.url }))
      const server = yield* Queue.take(loopback.connections)
      yield* server.send({ type: "rate_limits.updated", event_id: "e1", rate_limits: [] })
      // 1500 characters, 3000 bytes: only the byte count is over the limit
      yield* server.send({ type: "x.large", event_id: "e2", padding: "é".repeat(1500) })
      const end = yield* takeUntil(events, (event) => event._tag === "EndOfStream")
      expect(end.some((event) => event._tag === "RateLimitsUpdated")).toBe(true)
      const error = end.find((event) => event._tag === "ErrorEvent")
      expect(error).toMatchObject({ error: { _tag: "RealtimeConnectionLost", reason: "FrameTooLarge", code: 1009 } })
      expect(error?._tag === "ErrorEvent" ? error.error.message : "").toMatch(
        /frame of 30\d\d bytes, over the limit of 2048/
      )
      expect(end.some((event) => event._tag === "RawServerEvent" && JSON.stringify(event.data).includes("x.large")))
        .toBe(false)
    }))
})
