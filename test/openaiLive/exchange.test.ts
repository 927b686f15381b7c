/**
 * A whole OpenAI Live call through the protocol, frames in and frames out: the session's start,
 * the user's audio and transcript, a task delegated to the Responses backend whose function call
 * the application answers, the model's reply, the model interrupting itself when the user speaks
 * over it, bad and unknown frames along the way; then a drop mid-turn and what `ended`, `classify`,
 * `open` and `resume` give the next connection (a new session with the conversation as history, or
 * a fork of the stored session), and the session's duration limit.
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Live from "openai/resources/live/live"
import * as Close from "../../src/internal/openaiLive/close.js"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import * as Send from "../../src/internal/openaiLive/send.js"
import type { LiveState } from "../../src/internal/openaiLive/state.js"
import { idle } from "../../src/PlaybackTracker.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import { drive } from "../support/steps.js"
import {
  base64,
  closed,
  framesOf,
  functionCallOf,
  heard,
  initial,
  json,
  modelAudio,
  pcm24,
  said,
  started,
  tags
} from "./support.js"

/** A call driven step by step, collecting every event, frame and verdict. */
const call = (state: LiveState) =>
  drive({ open: Protocol.open, receive: Receive.receive, send: Send.send, ended: Protocol.ended, json }, state)

const parameters = { type: "object", properties: { city: { type: "string" } } }
const tools = [{ name: "get_weather", parameters }]

/** The session.start of this call's settings, with `input` as its startup history when given. */
const start = (input?: Array<Live.InitialItem>): Live.ClientEvent => ({
  type: "session.start",
  session: {
    model: "gpt-live-1",
    instructions: "Be brief.",
    audio: { format: { type: "audio/pcm", rate: 24000 }, output: { voice: "marin" } },
    delegation: {
      type: "responses",
      responses: { model: "gpt-5.6", tools: [{ type: "function", name: "get_weather", parameters }] }
    },
    ...(input === undefined ? {} : { input })
  }
})

const weatherCall: Live.ResponseEvent = {
  type: "response.event",
  event_id: "ev_fc",
  delegation_id: "del_1",
  event: {
    type: "response.output_item.done",
    output_index: 0,
    item: {
      type: "function_call",
      id: "fc_1",
      call_id: "call_1",
      name: "get_weather",
      arguments: "{\"city\":\"Oslo\"}"
    }
  }
}

describe("a whole OpenAI Live exchange", () => {
  it("start → the user asks → a delegated tool call → the reply → the model yields → a drop → a new session with the conversation", () => {
    const live = call(initial({ instructions: "Be brief.", voice: "marin", tools }))

    // the first connection: session.start, then session.started
    const first = live.open()
    expect(first.forkOf).toBeNull()
    expect(live.frames.splice(0)).toEqual([start()])
    live.server(started("live_sess_1"))
    expect(live.verdicts.splice(0)).toEqual([
      { _tag: "SessionStarted", sessionId: "live_sess_1", expiresAt: 1_800_000_000 },
      { _tag: "TurnBoundary" }
    ])

    // the user speaks: the audio goes as it is; the server transcribes it
    const audio = pcm24(40)
    live.send(SendEvent.SendAudio.make({ audio }))
    expect(live.frames.splice(0)).toEqual([{ type: "session.input_audio.append", audio: base64(audio) }])
    live.server(heard("What's the weather", 0, 900))
    live.server(heard(" in Oslo?", 900, 1400))

    // a bad frame and an unknown one: an Exception and an Other, the call goes on
    live.server("{oops")
    live.server(JSON.stringify({ type: "session.future_event", value: 1 }))
    expect(tags(live.events.splice(0))).toEqual([
      "Other", // session.started
      "ItemUpdated",
      "InputAudioTranscriptionDelta",
      "InputAudioTranscriptionDelta",
      "Exception",
      "Other"
    ])

    // the model delegates to the backend, which calls the function; the application answers
    const delegation: Live.DelegationCreatedEvent = {
      type: "session.delegation.created",
      event_id: "ev_del",
      offset_ms: 1500,
      delegation: { id: "del_1", target: "responses", type: "delegation", response_id: "resp_1" }
    }
    live.server(delegation)
    live.server(weatherCall)
    const toolCall = functionCallOf(live.events)
    expect(toolCall).toMatchObject({ name: "get_weather", callId: "call_1", arguments: "{\"city\":\"Oslo\"}" })
    live.send(SendEvent.ToolOutput.make({ toolCall, output: "{\"celsius\":-4}" }))
    expect(live.frames.splice(0)).toEqual([
      {
        type: "response.item.create",
        item: { type: "function_call_output", call_id: "call_1", output: "{\"celsius\":-4}" }
      },
      { type: "response.create" }
    ])
    live.server({
      type: "response.event",
      event_id: "ev_done",
      delegation_id: "del_1",
      event: {
        type: "response.completed",
        response: { usage: { input_tokens: 50, output_tokens: 8, total_tokens: 58 } }
      }
    })
    expect(tags(live.events.splice(0))).toEqual([
      "Other", // the delegation to the backend
      "ItemUpdated", // the tool call, in progress
      "FunctionCall",
      "ItemUpdated", // the tool call, completed with its output
      "UsageUpdated",
      "Other" // the backend's completed response
    ])

    // the model answers: its audio and transcript under one turn, ended by quiet
    live.server(modelAudio(400))
    live.server(said("It is minus four in Oslo.", 2000, 3500))
    live.server(modelAudio(1100))
    live.server(modelAudio(800, 0))
    const reply = live.events.splice(0)
    expect(tags(reply)).toEqual([
      "InputAudioTranscriptionCompleted", // the user's words end where the model's turn begins
      "ItemUpdated",
      "TurnStarted",
      "ItemUpdated",
      "Audio",
      "TranscriptDelta",
      "Audio",
      "Audio",
      "AudioDone",
      "ItemUpdated",
      "TurnEnded"
    ])
    expect(reply[2]).toEqual({ _tag: "TurnStarted", responseId: "live_resp_3" })
    expect(live.verdicts.splice(0)).toEqual([{ _tag: "TurnBoundary" }])

    // the model starts a long answer; the user speaks over it and the model stops: it interrupted itself
    live.server(modelAudio(500))
    live.server(said("The northern lights are", 5000, 5800))
    live.server(heard("Sorry, one more", 5600, 6200))
    live.server(modelAudio(850, 0))
    const yielded = live.events.splice(0)
    expect(yielded).toContainEqual({ _tag: "AudioInterrupted", itemId: "live_item_6", contentIndex: 0 })
    expect(yielded).toContainEqual({ _tag: "TurnEnded", responseId: "live_resp_5" })
    expect(live.verdicts.splice(0)).toEqual([{ _tag: "PlaybackInterrupted", itemId: "live_item_6" }])

    // the user goes on; the model starts again, and the connection drops mid-turn
    live.server(modelAudio(300))
    live.server(said("Go ahead", 6500, 7000))
    const ended = live.ended()
    // the user's words were completed when the model's turn opened; the cut turn ends incomplete
    expect(tags(ended.events)).toEqual(["ItemUpdated", "TurnEnded"])
    expect(ended.events[0]).toMatchObject({ item: { _tag: "AssistantMessage", status: "incomplete" } })
    expect(ended.lostResponseId).toBe("live_resp_8")
    expect(ended.lostCalls).toEqual([])
    expect(Close.classify(live.state, { code: 1006, reason: undefined })._tag).toBe("Retryable")

    // the next connection: a new session whose startup history is the conversation so far
    live.frames.splice(0)
    const second = live.open()
    expect(second.restoredBy).toBe("history")
    expect(second.forkOf).toBeNull()
    expect(live.frames.splice(0)).toEqual([
      start([
        { type: "message", role: "user", content: [{ type: "input_text", text: "What's the weather in Oslo?" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "It is minus four in Oslo." }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "The northern lights are" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Sorry, one more" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Go ahead" }] }
      ])
    ])
    expect(Protocol.resume(live.state)).toEqual({ frames: [], ids: new Set(), lost: 0 })
  })

  it("a delegation unanswered at a drop is lost: its output is refused on the next connection", () => {
    const live = call(initial({}))
    live.open()
    live.server(started())
    live.server({
      type: "session.delegation.created",
      event_id: "ev_del",
      offset_ms: 10,
      delegation: { id: "del_9", target: "client", type: "delegation" }
    })
    const toolCall = functionCallOf(live.events)
    expect(live.ended().lostCalls).toEqual(["del_9"])
    live.open()
    live.server(started("live_sess_2"))
    const refusal = Send.send(live.state, SendEvent.ToolOutput.make({ toolCall, output: "done" }), idle)
    expect(refusal).toMatchObject({ _tag: "RealtimeSendError", reason: "InvalidEvent" })
  })

  it("a stored session: the next connection forks it; when it cannot be forked, a new session with the history", () => {
    const live = call(initial({}, { store: true }))
    expect(live.open().forkOf).toBeNull()
    live.server(started("live_sess_7"))
    live.server(heard("Hello", 0, 400))
    live.server(modelAudio(300))
    live.server(said("Hi!", 500, 900))
    live.ended()
    live.frames.splice(0)
    const fork = live.open()
    expect(fork).toMatchObject({ forkOf: "live_sess_7", restoredBy: "fork" })
    expect(live.frames.splice(0)).toEqual([
      { type: "session.start", session: { audio: { format: { type: "audio/pcm", rate: 24000 } } } }
    ])
    // the fork is refused: expired, so the next start is a new session with the conversation
    expect(Close.classifyHandshake(live.state, 404)._tag).toBe("Expired")
    const fresh = Protocol.open(Protocol.expire(live.state))
    expect(fresh.forkOf).toBeNull()
    expect(framesOf(fresh)).toMatchObject([{
      type: "session.start",
      session: {
        store: true,
        input: [
          { role: "user", content: [{ text: "Hello" }] },
          { role: "assistant", content: [{ text: "Hi!" }] }
        ]
      }
    }])
  })

  it("the session's duration limit: session.closed expired → a new session with the conversation", () => {
    const live = call(initial({}))
    live.open()
    live.server(started())
    live.server(heard("Still there?", 0, 500))
    live.server(closed("expired", 7200))
    expect(live.verdicts.at(-1)).toEqual({ _tag: "SessionClosed", reason: "expired" })
    expect(Close.classify(live.state, { code: 1000, reason: "" })._tag).toBe("Expired")
    live.ended()
    const next = Protocol.open(Protocol.expire(live.state))
    expect(next.restoredBy).toBe("history")
    expect(framesOf(next)).toMatchObject([{
      session: { input: [{ role: "user", content: [{ text: "Still there?" }] }] }
    }])
  })

  it("the application's close: session.closed close_requested ends the call", () => {
    const live = call(initial({}))
    live.open()
    live.server(started())
    live.server(closed("close_requested"))
    expect(Close.classify(live.state, { code: 1000, reason: "" })).toEqual({
      _tag: "Ended",
      message: "the session was closed on request"
    })
  })
})
