import { describe, expect, it } from "@effect/vitest"
import { Effect, Result, Schema, SchemaAST } from "effect"
import { RealtimeConnectError, RealtimeConnectionLost, RealtimeProtocolError } from "../src/RealtimeError.js"
import * as Item from "../src/RealtimeItem.js"
import * as Event from "../src/RealtimeModelEvent.js"
import * as Send from "../src/RealtimeModelSendEvent.js"
import * as Settings from "../src/RealtimeSessionSettings.js"

/** The `_tag` literal of every member of a union of tagged structs. */
const tagsOf = (union: { readonly members: ReadonlyArray<Schema.Top> }): Array<string> =>
  union.members.map((member) => {
    const ast = member.ast
    const tag = SchemaAST.isObjects(ast)
      ? ast.propertySignatures.find((signature) => signature.name === "_tag")
      : undefined
    return tag !== undefined && SchemaAST.isLiteral(tag.type) ? String(tag.type.literal) : "?"
  }).sort()

const functionCall = Event.FunctionCall.make({
  name: "get_weather",
  callId: "call_1",
  arguments: "{\"city\":\"Oslo\"}",
  itemId: "item_7",
  previousItemId: null
})

const items: ReadonlyArray<Item.RealtimeItem> = [
  Item.UserMessage.make({
    itemId: "item_1",
    previousItemId: null,
    status: "completed",
    content: [
      Item.InputText.make({ text: "hi" }),
      Item.InputAudio.make({ audio: null, transcript: "hello" }),
      Item.InputImage.make({ imageUrl: "data:image/png;base64,AAAA", detail: "low" })
    ]
  }),
  Item.AssistantMessage.make({
    itemId: "item_2",
    previousItemId: "item_1",
    status: "in_progress",
    content: [Item.OutputText.make({ text: "hey" }), Item.OutputAudio.make({ audio: null, transcript: "hey there" })]
  }),
  Item.SystemMessage.make({
    itemId: "item_3",
    previousItemId: null,
    status: null,
    content: [Item.InputText.make({ text: "be brief" })]
  }),
  Item.ToolCall.make({
    itemId: "item_4",
    previousItemId: "item_2",
    callId: "call_1",
    name: "get_weather",
    arguments: "{}",
    status: "completed",
    output: "sunny"
  })
]

const events: ReadonlyArray<Event.RealtimeModelEvent> = [
  Event.ErrorEvent.make({ error: { type: "invalid_request_error", message: "nope" } }),
  Event.ErrorEvent.make({
    error: new RealtimeConnectionLost({
      reason: "ServerClosed",
      code: 4001,
      closeReason: "bye",
      message: "the server closed the connection"
    })
  }),
  functionCall,
  Event.Audio.make({ data: new Uint8Array([0, 1, 2, 255]), responseId: "resp_1", itemId: "item_2", contentIndex: 0 }),
  Event.AudioInterrupted.make({ itemId: "item_2", contentIndex: 0 }),
  Event.AudioDone.make({ itemId: "item_2", contentIndex: 0 }),
  Event.InputAudioTranscriptionCompleted.make({ itemId: "item_1", transcript: "hello" }),
  Event.InputAudioTimeoutTriggered.make({ itemId: "item_1", audioStartMs: 100, audioEndMs: 5100 }),
  Event.TranscriptDelta.make({ itemId: "item_2", delta: "he", responseId: "resp_1" }),
  Event.OutputTextDelta.make({ itemId: "item_2", delta: "hey", responseId: "resp_1" }),
  ...items.map((item) => Event.ItemUpdated.make({ item })),
  Event.ItemDeleted.make({ itemId: "item_3" }),
  Event.ConnectionStatusChanged.make({ status: "connecting" }),
  Event.ConnectionStatusChanged.make({ status: "connected" }),
  Event.ConnectionStatusChanged.make({ status: "disconnected" }),
  Event.EndOfStream.make({}),
  Event.TurnStarted.make({ responseId: "resp_1" }),
  Event.TurnEnded.make({ responseId: null }),
  Event.UsageUpdated.make({
    usage: {
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 30,
      inputTokenDetails: {
        textTokens: 4,
        audioTokens: 6,
        imageTokens: 0,
        cachedTokens: 2,
        cachedTokenDetails: { textTokens: 2, audioTokens: 0, imageTokens: null }
      },
      outputTokenDetails: { textTokens: 5, audioTokens: 15 }
    }
  }),
  Event.Other.make({ data: { type: "rate_limits.updated" } }),
  Event.Exception.make({ cause: new RealtimeProtocolError({ eventType: "x", message: "bad" }), context: "decoding" }),
  Event.RawServerEvent.make({ data: { type: "session.created", session: {} } }),
  Event.InputAudioTranscriptionDelta.make({
    itemId: "item_1",
    contentIndex: 0,
    delta: "hel",
    logprobs: [{ token: "hel", logprob: -0.2, bytes: [104, 101, 108] }]
  }),
  Event.InputAudioTranscriptionSegment.make({
    itemId: "item_1",
    contentIndex: 0,
    segmentId: "seg_1",
    text: "hello",
    speaker: "spk_1",
    start: 0,
    end: 0.4
  }),
  Event.DtmfReceived.make({ digit: "#", receivedAt: 1763605109 }),
  Event.FunctionCallsCancelled.make({ callIds: ["call_1", "call_2"] }),
  Event.McpCallStatus.make({ itemId: "mcp_1", outputIndex: 0, status: "completed" }),
  Event.McpCallArgumentsDelta.make({ responseId: "resp_1", itemId: "mcp_1", outputIndex: 0, delta: "{\"q\"" }),
  Event.McpCallArgumentsDone.make({ responseId: "resp_1", itemId: "mcp_1", outputIndex: null, arguments: "{\"q\":1}" }),
  Event.McpListToolsStatus.make({ itemId: "mcp_list_1", status: "failed" }),
  Event.RateLimitsUpdated.make({ rateLimits: [{ name: "tokens", limit: 50000, remaining: 49950, resetSeconds: 60 }] }),
  Event.ErrorEvent.make({
    error: new RealtimeConnectError({ reason: "Unauthorized", status: 401, message: "the server refused the key" })
  }),
  Event.ErrorEvent.make({
    error: new RealtimeConnectionLost({
      reason: "ServerClosed",
      code: 1001,
      closeReason: "Your session hit the maximum duration of 60 minutes.",
      message: "the server closed the connection",
      serverError: { type: "invalid_request_error", code: "session_expired" }
    })
  }),
  Event.Reconnected.make({
    cause: "dropped",
    attempts: 2,
    restored: { settings: true, items: 4, responseRequested: true },
    lost: { responseId: "resp_1", audioBytes: 4800, items: 1 }
  })
]

describe("RealtimeModelEvent", () => {
  it("has an example of every kind here", () => {
    const tags = new Set(events.map((event) => event._tag))
    expect([...tags].sort()).toEqual(tagsOf(Event.RealtimeModelEvent))
  })

  it.each(events.map((event) => [event._tag, event] as const))("%s round-trips through JSON", (_, event) => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Event.RealtimeModelEvent)(event)))
    const decoded = Schema.decodeUnknownSync(Event.RealtimeModelEvent)(json)
    if (event._tag === "Exception") {
      // a defect comes back as a plain error-like value with the same message
      expect(decoded._tag).toBe("Exception")
      expect(decoded).toMatchObject({ context: "decoding", cause: { message: "bad" } })
      // the cause is typed: a RealtimeProtocolError, with no cast
      expect(decoded._tag === "Exception" && decoded.cause.eventType).toBe("x")
      expect(decoded._tag === "Exception" && decoded.cause instanceof RealtimeProtocolError).toBe(true)
    } else {
      expect(decoded).toEqual(event)
    }
  })

  it("encodes audio as base64 for JSON", () => {
    const encoded = Schema.encodeSync(Event.Audio)(
      Event.Audio.make({ data: new Uint8Array([1, 2, 3]), responseId: "r", itemId: "i", contentIndex: 0 })
    )
    expect(encoded.data).toBe("AQID")
  })
})

const sends: ReadonlyArray<Send.RealtimeModelSendEvent> = [
  Send.RawMessage.make({ type: "output_audio_buffer.clear", otherData: { event_id: "e1" } }),
  Send.UserInput.make({ userInput: "hello" }),
  Send.UserInput.make({
    userInput: {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "what is this?" }, {
        type: "input_image",
        imageUrl: "https://x/y.png",
        detail: "high"
      }]
    }
  }),
  Send.SendAudio.make({ audio: new Uint8Array([9, 8, 7]), commit: true }),
  Send.ToolOutput.make({ toolCall: functionCall, output: "sunny", startResponse: false }),
  Send.Interrupt.make({}),
  Send.Interrupt.make({ responseId: "resp_1", cancelResponseOnly: true }),
  Send.SessionUpdate.make({
    sessionSettings: {
      instructions: "be nice",
      voice: "marin",
      outputAudioFormat: "g711_ulaw",
      turnDetection: { type: "server_vad", threshold: 0.5, interruptResponse: true },
      tools: [{ name: "get_weather", parameters: { type: "object" } }]
    }
  })
]

describe("RealtimeModelSendEvent", () => {
  it("has an example of every kind here", () => {
    expect([...new Set(sends.map((event) => event._tag))].sort()).toEqual(tagsOf(Send.RealtimeModelSendEvent))
  })

  it.each(sends.map((event) => [event._tag, event] as const))("%s round-trips through JSON", (_, event) => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Send.RealtimeModelSendEvent)(event)))
    expect(Schema.decodeUnknownSync(Send.RealtimeModelSendEvent)(json)).toEqual(event)
  })

  it("fills in defaults", () => {
    expect(Send.Interrupt.make({})).toEqual({
      _tag: "Interrupt",
      forceResponseCancel: false,
      responseId: null,
      cancelResponseOnly: false,
      playbackOnly: false
    })
    expect(Send.SendAudio.make({ audio: new Uint8Array() }).commit).toBe(false)
    expect(Send.ToolOutput.make({ toolCall: functionCall, output: "x" }).startResponse).toBe(true)
  })

  it.effect("accepts the valid interrupt combinations", () =>
    Effect.gen(function*() {
      for (
        const event of [
          Send.Interrupt.make({}),
          Send.Interrupt.make({ forceResponseCancel: true }),
          Send.Interrupt.make({ responseId: "r", playbackOnly: true }),
          Send.Interrupt.make({ responseId: "r", cancelResponseOnly: true, forceResponseCancel: true })
        ]
      ) {
        expect(yield* Send.validate(event)).toEqual(event)
      }
    }))

  it.effect.each(
    [
      [{ playbackOnly: true, cancelResponseOnly: true, responseId: "r" }, "playbackOnly cannot be combined"],
      [{ playbackOnly: true, forceResponseCancel: true }, "playbackOnly cannot be combined"],
      [{ cancelResponseOnly: true }, "cancelResponseOnly needs the responseId"]
    ] as const
  )("rejects the interrupt %j", ([options, message]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Send.validate(Send.Interrupt.make(options)))
      expect(error.reason).toBe("InvalidEvent")
      expect(error.eventTag).toBe("Interrupt")
      expect(error.message).toContain(message)
    }))

  it.effect("rejects an event built without its schema", () =>
    Effect.gen(function*() {
      const forged = { _tag: "SendAudio", audio: "not bytes", commit: false } as unknown as Send.RealtimeModelSendEvent
      const error = yield* Effect.flip(Send.validate(forged))
      expect(error.reason).toBe("InvalidEvent")
      expect(error.message).toContain("audio")
    }))
})

describe("RealtimeSessionSettings", () => {
  it("decodes every audio format spelling to the canonical name", () => {
    const settings = Schema.decodeUnknownSync(Settings.RealtimeSessionSettings)({
      inputAudioFormat: { type: "audio/pcm", rate: 24000 },
      outputAudioFormat: "audio/pcma"
    })
    expect(settings).toEqual({ inputAudioFormat: "pcm16", outputAudioFormat: "g711_alaw" })
  })

  it("rejects out-of-range values with a message naming the field", () => {
    const result = Schema.decodeUnknownResult(Settings.RealtimeSessionSettings)({ speed: 3 })
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) expect(String(result.failure)).toContain("speed")
    expect(Result.isFailure(Schema.decodeUnknownResult(Settings.RealtimeSessionSettings)({ tools: [{ name: "" }] })))
      .toBe(true)
    expect(
      Result.isFailure(
        Schema.decodeUnknownResult(Settings.RealtimeSessionSettings)({ turnDetection: { type: "push" } })
      )
    ).toBe(true)
  })

  it("round-trips a full settings object", () => {
    const full: Settings.RealtimeSessionSettings = {
      modelName: "gpt-realtime",
      instructions: "You are helpful.",
      prompt: { id: "pmpt_1", version: "2", variables: { city: "Oslo" } },
      outputModalities: ["audio"],
      voice: "marin",
      speed: 1.1,
      inputAudioFormat: "pcm16",
      outputAudioFormat: "g711_ulaw",
      inputAudioTranscription: { model: "gpt-4o-mini-transcribe", language: "en" },
      inputAudioNoiseReduction: { type: "near_field" },
      turnDetection: { type: "semantic_vad", eagerness: "high", createResponse: true, interruptResponse: false },
      tools: [{ name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } }],
      toolChoice: { type: "function", name: "lookup" },
      tracing: { workflowName: "support", groupId: "g1" },
      maxOutputTokens: "inf",
      reasoning: { effort: "low" }
    }
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Settings.RealtimeSessionSettings)(full)))
    expect(Schema.decodeUnknownSync(Settings.RealtimeSessionSettings)(json)).toEqual(full)
  })
})
