import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue, Schema, SchemaIssue } from "effect"
import { TestClock } from "effect/testing"
import * as PlaybackTracker from "../../src/PlaybackTracker.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Event from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import type { ServerConnection } from "../support/loopbackServer.js"
import { clientFrameErrors, corpus } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"
import { barrier, connectHarness, responseCreated, responseDone, session } from "./harness.js"

const pcm = (ms: number) => Buffer.alloc(ms * 48).toString("base64") // pcm16 24 kHz: 48 bytes a millisecond
const audioDelta = (responseId: string, itemId: string, ms: number) => ({
  type: "response.output_audio.delta",
  event_id: "evt_a",
  response_id: responseId,
  item_id: itemId,
  output_index: 0,
  content_index: 0,
  delta: pcm(ms)
})
const created = responseCreated
const done = (id: string) =>
  responseDone(id, {
    usage: {
      total_tokens: 30,
      input_tokens: 10,
      output_tokens: 20,
      output_token_details: { text_tokens: 5, audio_tokens: 15 }
    }
  })

/** Model events up to and including the first with the tag. */
const untilTag = (events: Queue.Queue<RealtimeModelEvent>, tag: RealtimeModelEvent["_tag"]) =>
  takeUntil(events, (event) => event._tag === tag)

/** Client frames received up to and including the first of the type. */
const framesUntil = (server: ServerConnection, type: string) =>
  takeUntil(server.frames, (frame) => frame["type"] === type)

describe("server events → model events", () => {
  it.effect("maps audio, transcript, text, turns, usage, items and function calls", () =>
    Effect.gen(function*() {
      const { next, server } = yield* connectHarness()
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 100))
      yield* server.send({
        type: "response.output_audio_transcript.delta",
        event_id: "e",
        response_id: "resp_1",
        item_id: "item_1",
        output_index: 0,
        content_index: 0,
        delta: "Hel"
      })
      yield* server.send({
        type: "response.output_text.delta",
        event_id: "e",
        response_id: "resp_1",
        item_id: "item_1",
        output_index: 0,
        content_index: 0,
        delta: "txt"
      })
      yield* server.send({
        type: "response.output_audio.done",
        event_id: "e",
        response_id: "resp_1",
        item_id: "item_1",
        output_index: 0,
        content_index: 0
      })
      yield* server.send({
        type: "conversation.item.added",
        event_id: "e",
        previous_item_id: "item_0",
        item: {
          id: "item_1",
          object: "realtime.item",
          type: "message",
          status: "in_progress",
          role: "assistant",
          content: [{ type: "output_audio", transcript: "Hel" }]
        }
      })
      yield* server.send({
        type: "response.output_item.done",
        event_id: "e",
        response_id: "resp_1",
        output_index: 1,
        item: {
          id: "item_2",
          object: "realtime.item",
          type: "function_call",
          status: "completed",
          call_id: "call_9",
          name: "get_weather",
          arguments: "{\"city\":\"Oslo\"}"
        }
      })
      yield* server.send({ type: "conversation.item.deleted", event_id: "e", item_id: "item_0" })
      yield* server.send({
        type: "conversation.item.input_audio_transcription.completed",
        event_id: "e",
        item_id: "item_u",
        content_index: 0,
        transcript: "hi there"
      })
      yield* server.send({
        type: "input_audio_buffer.timeout_triggered",
        event_id: "e",
        audio_start_ms: 100,
        audio_end_ms: 5100,
        item_id: "item_t"
      })
      yield* server.send(done("resp_1"))

      expect(yield* next("TurnStarted")).toEqual(Event.TurnStarted.make({ responseId: "resp_1" }))
      const audio = yield* next("Audio")
      expect(audio).toMatchObject({ responseId: "resp_1", itemId: "item_1", contentIndex: 0 })
      expect(audio.data.byteLength).toBe(4800)
      expect(yield* next("TranscriptDelta")).toEqual(
        Event.TranscriptDelta.make({ itemId: "item_1", delta: "Hel", responseId: "resp_1" })
      )
      expect(yield* next("OutputTextDelta")).toEqual(
        Event.OutputTextDelta.make({ itemId: "item_1", delta: "txt", responseId: "resp_1" })
      )
      expect(yield* next("AudioDone")).toEqual(Event.AudioDone.make({ itemId: "item_1", contentIndex: 0 }))
      expect((yield* next("ItemUpdated")).item).toEqual({
        _tag: "AssistantMessage",
        itemId: "item_1",
        previousItemId: "item_0",
        status: "in_progress",
        content: [{ _tag: "OutputAudio", audio: null, transcript: "Hel" }]
      })
      expect((yield* next("ItemUpdated")).item).toMatchObject({
        _tag: "ToolCall",
        callId: "call_9",
        name: "get_weather",
        status: "completed"
      })
      expect(yield* next("FunctionCall")).toEqual(Event.FunctionCall.make({
        name: "get_weather",
        callId: "call_9",
        arguments: "{\"city\":\"Oslo\"}",
        itemId: "item_2",
        previousItemId: null
      }))
      expect(yield* next("ItemDeleted")).toEqual(Event.ItemDeleted.make({ itemId: "item_0" }))
      expect(yield* next("InputAudioTranscriptionCompleted")).toEqual(
        Event.InputAudioTranscriptionCompleted.make({ itemId: "item_u", transcript: "hi there" })
      )
      expect(yield* next("InputAudioTimeoutTriggered")).toEqual(
        Event.InputAudioTimeoutTriggered.make({ itemId: "item_t", audioStartMs: 100, audioEndMs: 5100 })
      )
      expect(yield* next("TurnEnded")).toEqual(Event.TurnEnded.make({ responseId: "resp_1" }))
      expect((yield* next("UsageUpdated")).usage).toMatchObject({
        inputTokens: 10,
        outputTokens: 20,
        totalTokens: 30,
        outputTokenDetails: { textTokens: 5, audioTokens: 15 }
      })
    }))

  it.effect("emits every frame raw first, passes unknown events on, and survives malformed frames", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.send({ type: "brand_new.event", event_id: "e", payload: 1 })
      expect((yield* next("RawServerEvent")).data).toMatchObject({ type: "brand_new.event" })
      expect((yield* next("Other")).data).toEqual({ type: "brand_new.event", event_id: "e", payload: 1 })
      yield* server.sendRaw("{ not json")
      const notJson = yield* next("Exception")
      expect(notJson.cause).toMatchObject({ _tag: "RealtimeProtocolError" })
      expect(notJson.cause.message).toContain("not JSON")
      // the JSON parser's own error is kept as the cause
      expect(notJson.cause.cause).toBeInstanceOf(SyntaxError)
      yield* server.send({ type: "response.output_audio.delta", event_id: "e", response_id: 7 })
      const invalid = yield* next("Exception")
      expect(invalid.cause).toMatchObject({ _tag: "RealtimeProtocolError", eventType: "response.output_audio.delta" })
      // the Schema's error is kept as the cause, with the issue that says what is wrong
      expect(invalid.cause.cause).toBeInstanceOf(Schema.SchemaError)
      expect(SchemaIssue.isIssue((invalid.cause.cause as Schema.SchemaError).issue)).toBe(true)
      expect(invalid.context).toContain("response.output_audio.delta")
      // still connected and working
      yield* server.send(created("resp_2"))
      expect((yield* next("TurnStarted")).responseId).toBe("resp_2")
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("maps server errors to ErrorEvent events and keeps going", () =>
    Effect.gen(function*() {
      const { next, server } = yield* connectHarness()
      const error = {
        type: "invalid_request_error",
        code: "invalid_value",
        message: "bad",
        param: null,
        event_id: "evt_x"
      }
      yield* server.send({ type: "error", event_id: "e", error })
      expect((yield* next("ErrorEvent")).error).toEqual(error)
    }))

  it.effect("every documented server example decodes without an Exception event", () =>
    Effect.gen(function*() {
      const { events, server } = yield* connectHarness()
      let sent = 0
      for (const event of corpus.serverEvents) {
        for (const example of event.examples) {
          yield* server.send(example)
          sent++
        }
      }
      const seen: Array<RealtimeModelEvent> = []
      let raw = 0
      while (raw < sent) {
        const event = yield* Queue.take(events)
        if (event._tag === "RawServerEvent") raw++
        seen.push(event)
      }
      const exceptions = seen.filter((event) => event._tag === "Exception")
      expect(exceptions).toEqual([])
      expect(sent).toBeGreaterThan(40)
    }))
})

describe("send events → client frames", () => {
  it.effect("converts every send kind to frames that validate against the corpus schemas", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.next("session.update")
      const send = model.sendEvent
      yield* send(Send.UserInput.make({ userInput: "hello" }))
      yield* server.send(created("resp_1"))
      yield* server.send(done("resp_1"))
      yield* next("TurnEnded")
      yield* send(Send.UserInput.make({
        userInput: {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "look" }, {
            type: "input_image",
            imageUrl: "data:image/png;base64,AAAA",
            detail: "low"
          }]
        }
      }))
      yield* send(Send.SendAudio.make({ audio: new Uint8Array([1, 2, 3]), commit: true }))
      yield* send(Send.ToolOutput.make({
        toolCall: Event.FunctionCall.make({
          name: "f",
          callId: "call_1",
          arguments: "{}",
          itemId: "item_9",
          previousItemId: null
        }),
        output: "{\"ok\":true}",
        startResponse: false
      }))
      yield* send(Send.SessionUpdate.make({
        sessionSettings: {
          instructions: "new",
          turnDetection: { type: "server_vad", threshold: 0.6, interruptResponse: false },
          tools: [{ name: "f", description: "d" }],
          toolChoice: "auto"
        }
      }))
      yield* send(Send.RawMessage.make({ type: "conversation.item.retrieve", otherData: { item_id: "item_9" } }))
      const frames = yield* barrier(send, server)
      for (const frame of frames) {
        expect({ type: frame["type"], errors: clientFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
      }
      expect(frames.map((frame) => frame["type"])).toEqual([
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "response.create",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "conversation.item.create",
        "session.update",
        "conversation.item.retrieve"
      ])
      expect(frames[0]).toMatchObject({
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }
      })
      expect(frames[2]).toMatchObject({
        item: {
          content: [{ type: "input_text" }, {
            type: "input_image",
            image_url: "data:image/png;base64,AAAA",
            detail: "low"
          }]
        }
      })
      expect(frames[4]).toEqual({ type: "input_audio_buffer.append", audio: "AQID" })
      expect(frames[6]).toMatchObject({
        item: { type: "function_call_output", call_id: "call_1", output: "{\"ok\":true}" }
      })
      expect(frames[7]).toMatchObject({
        session: {
          type: "realtime",
          instructions: "new",
          audio: { input: { turn_detection: { type: "server_vad", threshold: 0.6, interrupt_response: false } } }
        }
      })
    }))

  it.effect("holds a response.create while a response is in flight, then sends it", () =>
    Effect.gen(function*() {
      const { model, server } = yield* connectHarness()
      yield* model.sendEvent(Send.UserInput.make({ userInput: "one" }))
      yield* server.send(created("resp_1"))
      yield* model.sendEvent(Send.UserInput.make({ userInput: "two" }))
      const before = yield* barrier(model.sendEvent, server)
      expect(before.filter((frame) => frame["type"] === "response.create")).toHaveLength(1)
      yield* server.send(done("resp_1"))
      const after = yield* framesUntil(server, "response.create")
      expect(after.at(-1)?.["type"]).toBe("response.create")
    }))

  it.effect("a response.create the server rejects releases the sequence", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* model.sendEvent(Send.UserInput.make({ userInput: "one" }))
      const create = (yield* framesUntil(server, "response.create")).at(-1)!
      yield* server.send({
        type: "error",
        event_id: "e",
        error: { type: "invalid_request_error", code: "bad", message: "no", event_id: create["event_id"] }
      })
      yield* next("ErrorEvent")
      yield* model.sendEvent(Send.UserInput.make({ userInput: "two" }))
      const frames = yield* framesUntil(server, "response.create")
      expect(frames.at(-1)?.["type"]).toBe("response.create")
    }))
})

describe("interruption", () => {
  const interruptFrames = (frames: ReadonlyArray<Record<string, unknown>>) =>
    frames.filter((frame) => frame["type"] === "conversation.item.truncate" || frame["type"] === "response.cancel")

  it.effect("custom tracker: 500 ms heard of a 1000 ms item → truncate at 500, AudioInterrupted, cancel", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const { events, model, next, server } = yield* connectHarness({ playbackTracker: tracker })
      yield* server.send({ type: "session.updated", event_id: "e", session: session() })
      yield* server.send(created("resp_1"))
      for (let i = 0; i < 10; i++) yield* server.send(audioDelta("resp_1", "item_1", 100))
      for (let i = 0; i < 10; i++) yield* next("Audio")
      yield* tracker.onPlayMs("item_1", 0, 500)
      yield* model.sendEvent(Send.Interrupt.make({}))
      expect(yield* next("AudioInterrupted")).toEqual(
        Event.AudioInterrupted.make({ itemId: "item_1", contentIndex: 0 })
      )
      const frames = interruptFrames(yield* barrier(model.sendEvent, server))
      expect(frames).toEqual([
        { type: "conversation.item.truncate", item_id: "item_1", content_index: 0, audio_end_ms: 500 },
        { type: "response.cancel", response_id: "resp_1" }
      ])
      for (const frame of frames) expect(clientFrameErrors(frame)).toEqual([])
      expect(yield* tracker.getState).toEqual(PlaybackTracker.idle)
      // audio of the interrupted response still arriving is dropped until its response.done
      yield* server.send(audioDelta("resp_1", "item_1", 100))
      yield* server.send(done("resp_1"))
      const untilDone = yield* untilTag(events, "TurnEnded")
      expect(untilDone.filter((event) => event._tag === "Audio")).toEqual([])
    }))

  it.effect("played past the end with no response in flight → no truncate, no cancel", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const { model, next, server } = yield* connectHarness({ playbackTracker: tracker })
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 300))
      yield* server.send(done("resp_1"))
      yield* next("TurnEnded")
      yield* tracker.onPlayMs("item_1", 0, 450)
      yield* model.sendEvent(Send.Interrupt.make({}))
      yield* next("AudioInterrupted")
      expect(interruptFrames(yield* barrier(model.sendEvent, server))).toEqual([])
    }))

  it.effect("unknown playback position → no truncate", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const { model, next, server } = yield* connectHarness({ playbackTracker: tracker })
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 300))
      yield* next("Audio")
      yield* model.sendEvent(Send.Interrupt.make({}))
      const frames = interruptFrames(yield* barrier(model.sendEvent, server))
      expect(frames.map((frame) => frame["type"])).toEqual(["response.cancel"])
    }))

  const cancelCases: ReadonlyArray<readonly [boolean, boolean, ReadonlyArray<string>]> = [
    [true, false, []],
    [false, false, ["response.cancel"]],
    [true, true, ["response.cancel"]]
  ]
  it.effect.each(cancelCases)(
    "server auto-cancel %s, forced %s → cancel frames %j",
    ([autoCancel, force, expected]) =>
      Effect.gen(function*() {
        const tracker = yield* PlaybackTracker.make
        const { model, next, server } = yield* connectHarness({ playbackTracker: tracker })
        yield* server.send({
          type: "session.updated",
          event_id: "e",
          session: session({
            audio: { input: { turn_detection: { type: "server_vad", interrupt_response: autoCancel } }, output: {} }
          })
        })
        yield* next("Other")
        yield* server.send(created("resp_1"))
        yield* next("TurnStarted")
        yield* model.sendEvent(Send.Interrupt.make({ forceResponseCancel: force }))
        const frames = interruptFrames(yield* barrier(model.sendEvent, server))
        expect(frames.filter((frame) => frame["type"] === "response.cancel").map((frame) => frame["type"])).toEqual(
          expected
        )
      })
  )

  it.effect("default tracker: elapsed is Clock time since the item's first audio, bounded by audio received", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 1000))
      yield* next("Audio")
      yield* TestClock.adjust("320 millis")
      yield* model.sendEvent(Send.Interrupt.make({}))
      yield* next("AudioInterrupted")
      const frames = interruptFrames(yield* barrier(model.sendEvent, server))
      expect(frames[0]).toEqual({
        type: "conversation.item.truncate",
        item_id: "item_1",
        content_index: 0,
        audio_end_ms: 320
      })
    }))

  it.effect("server speech_started barges in like the application's interrupt", () =>
    Effect.gen(function*() {
      const { next, server, model } = yield* connectHarness()
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 2000))
      yield* next("Audio")
      yield* TestClock.adjust("5 seconds")
      yield* server.send({
        type: "input_audio_buffer.speech_started",
        event_id: "e",
        audio_start_ms: 10,
        item_id: "item_u"
      })
      yield* next("AudioInterrupted")
      const frames = interruptFrames(yield* barrier(model.sendEvent, server))
      // elapsed 5000 ms is bounded by the 2000 ms received; the response is in flight so it is truncated
      expect(frames[0]).toEqual({
        type: "conversation.item.truncate",
        item_id: "item_1",
        content_index: 0,
        audio_end_ms: 2000
      })
    }))

  it.effect("response-scoped modes: cancelResponseOnly cancels only; playbackOnly cancels nothing", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const { model, next, server } = yield* connectHarness({ playbackTracker: tracker })
      yield* server.send(created("resp_1"))
      yield* server.send(audioDelta("resp_1", "item_1", 1000))
      yield* next("Audio")
      yield* tracker.onPlayMs("item_1", 0, 200)
      yield* model.sendEvent(Send.Interrupt.make({ responseId: "resp_1", cancelResponseOnly: true }))
      expect(interruptFrames(yield* barrier(model.sendEvent, server))).toEqual([{
        type: "response.cancel",
        response_id: "resp_1"
      }])
      expect((yield* tracker.getState).elapsedMs).toBe(200)
      yield* model.sendEvent(Send.Interrupt.make({ responseId: "resp_1", playbackOnly: true }))
      yield* next("AudioInterrupted")
      expect(interruptFrames(yield* barrier(model.sendEvent, server))).toEqual([
        { type: "conversation.item.truncate", item_id: "item_1", content_index: 0, audio_end_ms: 200 }
      ])
      // an interrupt scoped to another response leaves this playback alone
      yield* tracker.onPlayMs("item_1", 0, 100)
      yield* model.sendEvent(Send.Interrupt.make({ responseId: "resp_other", playbackOnly: true }))
      expect(interruptFrames(yield* barrier(model.sendEvent, server))).toEqual([])
      expect((yield* tracker.getState).elapsedMs).toBe(100)
    }))
})
