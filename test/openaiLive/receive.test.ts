/**
 * Server events → events and verdicts, one event type at a time: the session's start and close,
 * errors (before and after the start), the model's audio and transcripts drawn into turns, the
 * user's transcript into items, delegations and backend function calls, backend usage, DTMF and
 * the telephony events, every event passed on as `Other`, and the frames that are not Live events.
 * Every fixture is written as the `openai` package's `ServerEvent` (checked when the tests compile).
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Live from "openai/resources/live/live"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import { serverEventTypes } from "../../src/internal/openaiLive/wire.js"
import { RealtimeProtocolError } from "../../src/RealtimeError.js"
import {
  closed,
  eventsOf,
  feed,
  functionCallOf,
  heard,
  initial,
  last,
  modelAudio,
  pcm24,
  ready,
  said,
  started,
  tags
} from "./support.js"

const receive = (state: Parameters<typeof Receive.receive>[0], event: Live.ServerEvent | string, at?: number) =>
  Receive.receive(state, typeof event === "string" ? event : JSON.stringify(event), at)

describe("the session's start", () => {
  it("session.started: the connection is usable, with the session's id and end", () => {
    const step = receive(Protocol.open(initial()).state, started("live_sess_9", 1_900_000_000))
    expect(step.verdicts).toEqual([
      { _tag: "SessionStarted", sessionId: "live_sess_9", expiresAt: 1_900_000_000 },
      { _tag: "TurnBoundary" }
    ])
    // listeners get it as it came: the session's id and when it expires
    expect(step.events).toEqual([{ _tag: "Other", data: started("live_sess_9", 1_900_000_000) }])
    expect(step.state.ready).toBe(true)
    expect(step.state.sessionId).toBe("live_sess_9")
  })

  it("an error before session.started refuses the start; after it, the call goes on", () => {
    const error: Live.ErrorEvent = {
      type: "error",
      event_id: "ev_err",
      error: {
        type: "invalid_request_error",
        code: "unknown_parameter",
        message: "Unknown voice",
        param: "session.audio.output.voice"
      }
    }
    const before = receive(Protocol.open(initial()).state, error)
    expect(before.verdicts).toEqual([{ _tag: "StartRefused", message: "Unknown voice" }])
    expect(before.events).toEqual([{
      _tag: "ErrorEvent",
      error: {
        type: "invalid_request_error",
        code: "unknown_parameter",
        message: "Unknown voice",
        param: "session.audio.output.voice",
        event_id: null
      }
    }])
    const after = receive(ready(), { ...error, error: { ...error.error, client_event_id: "cmd_1" } })
    expect(after.verdicts).toEqual([])
    expect(after.events).toMatchObject([{ _tag: "ErrorEvent", error: { event_id: "cmd_1" } }])
  })
})

describe("session.closed", () => {
  it("gives its reason to the engine and the whole event to the listeners", () => {
    const event = closed("expired", 7200)
    const step = receive(ready(), event)
    expect(step.verdicts).toEqual([{ _tag: "SessionClosed", reason: "expired" }])
    expect(step.events).toEqual([{ _tag: "Other", data: event }])
    expect(step.state.closedReason).toBe("expired")
  })
})

describe("the model's turns", () => {
  it("speech opens a turn; its audio and transcript go under one item; quiet past quietMs ends it", () => {
    const steps = feed(
      ready(),
      modelAudio(0, 0), // an empty chunk is no speech
      modelAudio(100, 0), // quiet before the turn is not passed on
      modelAudio(200),
      said("Hello", 1000, 1200),
      modelAudio(400, 0),
      modelAudio(400, 0)
    )
    const events = eventsOf(steps)
    expect(tags(events)).toEqual([
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
    expect(events[0]).toEqual({ _tag: "TurnStarted", responseId: "live_resp_1" })
    expect(events[2]).toMatchObject({
      _tag: "Audio",
      responseId: "live_resp_1",
      itemId: "live_item_2",
      contentIndex: 0
    })
    const audio = events[2]
    if (audio?._tag === "Audio") expect(audio.data).toEqual(pcm24(200))
    expect(events[3]).toEqual({
      _tag: "TranscriptDelta",
      itemId: "live_item_2",
      delta: "Hello",
      responseId: "live_resp_1"
    })
    expect(events[7]).toEqual({
      _tag: "ItemUpdated",
      item: {
        _tag: "AssistantMessage",
        itemId: "live_item_2",
        previousItemId: null,
        status: "completed",
        content: [{ _tag: "OutputAudio", audio: null, transcript: "Hello" }]
      }
    })
    expect(last(steps).verdicts).toEqual([{ _tag: "TurnBoundary" }])
    expect(last(steps).state.history).toEqual([{ role: "assistant", text: "Hello" }])
  })

  it("quiet shorter than quietMs keeps the turn open", () => {
    const steps = feed(ready(), modelAudio(200), modelAudio(700, 0), modelAudio(200))
    expect(tags(eventsOf(steps))).toEqual(["TurnStarted", "ItemUpdated", "Audio", "Audio", "Audio"])
    expect(last(steps).state.turn?.audioBytes).toBe(pcm24(1100).byteLength)
  })

  it("G.711 audio is read in its own format", () => {
    const muLawSilence = new Uint8Array(800).fill(0xff)
    const state = ready({ inputAudioFormat: "g711_ulaw" })
    const quiet = receive(state, {
      type: "session.output_audio.delta",
      delta: Buffer.from(muLawSilence).toString("base64")
    })
    expect(quiet.events).toEqual([])
    const loud = receive(state, {
      type: "session.output_audio.delta",
      delta: Buffer.from(new Uint8Array(800).fill(0x20)).toString("base64")
    })
    expect(tags(loud.events)).toEqual(["TurnStarted", "ItemUpdated", "Audio"])
  })

  it("a transcript delta long after the last one ends the turn and opens another", () => {
    const steps = feed(ready(), said("First.", 0, 500), said("Second.", 2000, 2500))
    expect(tags(eventsOf(steps))).toEqual([
      "TurnStarted",
      "ItemUpdated",
      "TranscriptDelta",
      "ItemUpdated",
      "TurnEnded",
      "TurnStarted",
      "ItemUpdated",
      "TranscriptDelta"
    ])
  })

  it("the model stopping within yieldMs of the user speaking over it interrupted itself", () => {
    const steps = feed(
      ready(),
      modelAudio(300),
      said("Let me tell you about", 1000, 2000),
      heard("Wait", 1800, 2100),
      modelAudio(900, 0)
    )
    const events = eventsOf(steps)
    expect(tags(events)).toEqual([
      "TurnStarted",
      "ItemUpdated",
      "Audio",
      "TranscriptDelta",
      "ItemUpdated",
      "InputAudioTranscriptionDelta",
      "Audio",
      "AudioInterrupted",
      "ItemUpdated",
      "TurnEnded"
    ])
    expect(events.find((event) => event._tag === "AudioInterrupted")).toEqual({
      _tag: "AudioInterrupted",
      itemId: "live_item_2",
      contentIndex: 0
    })
    expect(events.some((event) => event._tag === "AudioDone")).toBe(false)
    expect(last(steps).verdicts).toContainEqual({ _tag: "PlaybackInterrupted", itemId: "live_item_2" })
    const closing = [...events].reverse().find((event) => event._tag === "ItemUpdated")
    expect(closing).toMatchObject({ item: { _tag: "AssistantMessage", itemId: "live_item_2", status: "incomplete" } })
  })

  it("a backchannel the model talks through is not an interruption", () => {
    const steps = feed(
      ready(),
      modelAudio(300),
      said("The lights form when", 1000, 2000),
      heard("mm-hm", 1500, 1700),
      said(" charged particles hit the air.", 2000, 4000),
      modelAudio(900, 0)
    )
    const events = eventsOf(steps)
    expect(events.some((event) => event._tag === "AudioInterrupted")).toBe(false)
    expect(events).toContainEqual({ _tag: "AudioDone", itemId: "live_item_2", contentIndex: 0 })
  })
})

describe("the user's transcript", () => {
  it("opens a user item, completed when the model's next turn opens", () => {
    const steps = feed(ready(), heard("What's the", 0, 300), heard(" weather?", 300, 700), modelAudio(100))
    const events = eventsOf(steps)
    expect(events.slice(0, 3)).toEqual([
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "UserMessage",
          itemId: "live_item_1",
          previousItemId: null,
          status: "in_progress",
          content: [{ _tag: "InputAudio", audio: null, transcript: null }]
        }
      },
      {
        _tag: "InputAudioTranscriptionDelta",
        itemId: "live_item_1",
        contentIndex: 0,
        delta: "What's the",
        logprobs: null
      },
      {
        _tag: "InputAudioTranscriptionDelta",
        itemId: "live_item_1",
        contentIndex: 0,
        delta: " weather?",
        logprobs: null
      }
    ])
    expect(events.slice(3, 5)).toEqual([
      { _tag: "InputAudioTranscriptionCompleted", itemId: "live_item_1", transcript: "What's the weather?" },
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "UserMessage",
          itemId: "live_item_1",
          previousItemId: null,
          status: "completed",
          content: [{ _tag: "InputAudio", audio: null, transcript: "What's the weather?" }]
        }
      }
    ])
    expect(tags(events.slice(5))).toEqual(["TurnStarted", "ItemUpdated", "Audio"])
    expect(last(steps).state.history).toEqual([{ role: "user", text: "What's the weather?" }])
  })

  it("words after a long pause are a new user item", () => {
    const steps = feed(ready(), heard("One.", 0, 300), heard("Two.", 2000, 2300))
    expect(tags(eventsOf(steps))).toEqual([
      "ItemUpdated",
      "InputAudioTranscriptionDelta",
      "InputAudioTranscriptionCompleted",
      "ItemUpdated",
      "ItemUpdated",
      "InputAudioTranscriptionDelta"
    ])
  })
})

describe("delegation", () => {
  it("a client delegation is a FunctionCall under the delegation's id, with the user's words", () => {
    const delegation: Live.DelegationCreatedEvent = {
      type: "session.delegation.created",
      event_id: "ev_del",
      offset_ms: 4200,
      delegation: { id: "del_1", target: "client", type: "delegation" }
    }
    const steps = feed(ready(), heard("Book a table", 0, 800), delegation)
    const call = functionCallOf(eventsOf(steps))
    expect(call).toEqual({
      _tag: "FunctionCall",
      name: Receive.clientDelegationName,
      callId: "del_1",
      arguments: JSON.stringify({ transcript: "Book a table", offsetMs: 4200 }),
      itemId: "live_item_2",
      previousItemId: "live_item_1"
    })
    expect(last(steps).state.pendingCalls.get("del_1")).toEqual({ _tag: "Client", delegationId: "del_1" })
    expect(last(steps).verdicts).toEqual([])
  })

  it("a delegation to the Responses backend is passed on: its work arrives as response events", () => {
    const delegation: Live.DelegationCreatedEvent = {
      type: "session.delegation.created",
      event_id: "ev_del",
      offset_ms: 0,
      delegation: { id: "del_2", target: "responses", type: "delegation", response_id: "resp_1" }
    }
    const step = receive(ready({ tools: [{ name: "get_weather" }] }), delegation)
    expect(step.events).toEqual([{ _tag: "Other", data: delegation }])
    expect(step.state.pendingCalls.size).toBe(0)
  })

  it("a backend function call is a FunctionCall with its name and arguments", () => {
    const event: Live.ResponseEvent = {
      type: "response.event",
      event_id: "ev_resp",
      delegation_id: "del_2",
      event: {
        type: "response.output_item.done",
        output_index: 0,
        sequence_number: 4,
        item: {
          type: "function_call",
          id: "fc_1",
          call_id: "call_1",
          name: "get_weather",
          arguments: "{\"city\":\"Oslo\"}"
        }
      }
    }
    const step = receive(ready({ tools: [{ name: "get_weather" }] }), event)
    expect(functionCallOf(step.events)).toEqual({
      _tag: "FunctionCall",
      name: "get_weather",
      callId: "call_1",
      arguments: "{\"city\":\"Oslo\"}",
      itemId: "live_item_1",
      previousItemId: null
    })
    expect(step.state.pendingCalls.get("call_1")).toEqual({
      _tag: "Backend",
      name: "get_weather",
      delegationId: "del_2"
    })
  })

  it("the backend's completed response gives its usage, and is passed on", () => {
    const event: Live.ResponseEvent = {
      type: "response.event",
      event_id: "ev_done",
      event: {
        type: "response.completed",
        response: {
          usage: {
            input_tokens: 120,
            output_tokens: 30,
            total_tokens: 150,
            input_tokens_details: { cached_tokens: 64 },
            output_tokens_details: { reasoning_tokens: 10 }
          }
        }
      }
    }
    const step = receive(ready(), event)
    expect(step.events).toEqual([
      {
        _tag: "UsageUpdated",
        usage: {
          inputTokens: 120,
          outputTokens: 30,
          totalTokens: 150,
          inputTokenDetails: {
            textTokens: null,
            audioTokens: null,
            imageTokens: null,
            cachedTokens: 64,
            cachedTokenDetails: null
          },
          outputTokenDetails: null
        }
      },
      { _tag: "Other", data: event }
    ])
  })

  it("any other backend event is passed on", () => {
    const event: Live.ResponseEvent = {
      type: "response.event",
      event_id: "ev_delta",
      delegation_id: "del_2",
      event: { type: "response.output_text.delta", delta: "Oslo: -4" }
    }
    expect(receive(ready(), event).events).toEqual([{ _tag: "Other", data: event }])
  })
})

describe("telephony", () => {
  const dtmf: Live.ServerEvent = { type: "transport.dtmf.received", event: "5", event_id: "ev_dtmf" }

  it("a keypress is DtmfReceived, stamped with the arrival time the engine gives", () => {
    expect(receive(ready(), dtmf, 1_700_000_000_500).events).toEqual([
      { _tag: "DtmfReceived", digit: "5", receivedAt: 1_700_000_000.5 }
    ])
    expect(receive(ready(), dtmf).events).toEqual([{ _tag: "Other", data: dtmf }])
  })

  it("a failed outbound call is an error event", () => {
    const failed: Live.ServerEvent = {
      type: "transport.failed",
      event_id: "ev_fail",
      session_id: "live_sess_1",
      error: { type: "call_error", code: "busy", message: "The callee is busy" }
    }
    expect(receive(ready(), failed).events).toEqual([
      { _tag: "ErrorEvent", error: { type: "call_error", code: "busy", message: "The callee is busy", param: null } }
    ])
  })
})

describe("events passed on as Other", () => {
  const passed: ReadonlyArray<Live.ServerEvent> = [
    {
      type: "session.updated",
      event_id: "e1",
      session: { id: "s", expires_at: 1, model: "gpt-live-1", status: "active" }
    },
    { type: "session.input_audio.muted", event_id: "e2" },
    { type: "session.input_audio.unmuted", event_id: "e3" },
    { type: "session.output_audio.fixture.playing", event_id: "e4" },
    { type: "session.output_audio.fixture.played", event_id: "e5" },
    { type: "session.instructions.appended", event_id: "e6", start_ms: 1, end_ms: 1 },
    { type: "session.thinking.appended", event_id: "e7", start_ms: 1, end_ms: 1 },
    { type: "session.commentary.appended", event_id: "e8", start_ms: 1, end_ms: 1 },
    { type: "session.input_audio.append", audio: "AAAA" },
    { type: "decision.item.deleted", event_id: "e9", item_id: "di_1" },
    { type: "session.usage.updated", event_id: "e10", usage: { seconds: 61 }, context_window: { usage_ratio: 0.2 } },
    { type: "info", event_id: "e11", code: "data_channel_permissions", message: "applied" },
    { type: "transport.dtmf.send", event_id: "e12", event: "1" },
    { type: "transport.dtmf.sent", event_id: "e13", event: "1" },
    { type: "transport.ringing", event_id: "e14", session_id: "s" },
    { type: "transport.answered", event_id: "e15", session_id: "s" }
  ]

  // the Decisions API's events (their payloads are whole Decision objects; the protocol reads no field of them)
  const decisions = [
    { type: "decision.event", event_id: "e16", delegation_id: null, source_event_id: "e0", trigger_id: "t1" },
    { type: "decision.item.created", event_id: "e17", item: { id: "di_2", type: "message", role: "user" } }
  ]

  it("each, as it arrived, changing nothing", () => {
    const state = ready()
    for (const event of [...passed, ...decisions]) {
      const step = Receive.receive(state, JSON.stringify(event))
      expect(step.events).toEqual([{ _tag: "Other", data: event }])
      expect(step.state).toBe(state)
    }
  })

  it("the list covers every type the protocol passes on (the rest are read)", () => {
    const passes = Object.entries(serverEventTypes).filter(([, handling]) => handling === "pass").map(([type]) => type)
    const covered = new Set<string>([...passed, ...decisions].map((event) => event.type))
    expect(passes.filter((type) => !covered.has(type))).toEqual([])
  })

  it("an event type the package does not know is passed on too", () => {
    const event = { type: "session.something_new", event_id: "e", value: 1 }
    expect(Receive.receive(ready(), JSON.stringify(event)).events).toEqual([{ _tag: "Other", data: event }])
  })
})

describe("frames that are not Live events", () => {
  const exceptionOf = (text: string) => {
    const state = ready()
    const step = Receive.receive(state, text)
    expect(step.state).toBe(state)
    expect(step.events).toHaveLength(1)
    const event = step.events[0]
    if (event?._tag !== "Exception") throw new Error(`expected an Exception, got ${event?._tag}`)
    expect(event.cause).toBeInstanceOf(RealtimeProtocolError)
    expect(event.context).toBe("OpenAI Live server event")
    return event.cause
  }

  it("not JSON", () => {
    expect(exceptionOf("{not json").message).toContain("not JSON")
  })

  it("JSON that is not an object", () => {
    expect(exceptionOf("[1,2]").message).toContain("not an object")
  })

  it("an object without a type", () => {
    expect(exceptionOf(JSON.stringify({ delta: "x" })).message).toContain("without a string type")
  })

  it("a read event whose fields do not match", () => {
    const cause = exceptionOf(JSON.stringify({ type: "session.output_transcript.delta", delta: 5 }))
    expect(cause.eventType).toBe("session.output_transcript.delta")
    expect(cause.message).toContain("does not match its schema")
  })
})

describe("a call announced twice", () => {
  const call: Live.ResponseEvent = {
    type: "response.event",
    event_id: "ev_fc",
    event: {
      type: "response.output_item.done",
      item: { type: "function_call", call_id: "call_7", name: "lookup", arguments: "{}" }
    }
  }

  it("is asked once, while it waits and after it was answered", () => {
    const steps = feed(ready({ tools: [{ name: "lookup" }] }), call, call)
    expect(eventsOf(steps).filter((event) => event._tag === "FunctionCall")).toHaveLength(1)
    const answered = { ...last(steps).state, pendingCalls: new Map(), answeredCalls: ["call_7"] }
    expect(eventsOf(feed(answered, call)).filter((event) => event._tag === "FunctionCall")).toEqual([])
  })
})

describe("a stream that stops", () => {
  it("stallAfter is quietMs while a turn is open; stalled ends the turn", () => {
    expect(Protocol.stallAfter(ready())).toBeNull()
    const state = last(feed(ready(), modelAudio(200), said("Hi", 0, 200))).state
    expect(Protocol.stallAfter(state)).toBe(800)
    const step = Protocol.stalled(state)
    expect(tags(step.events)).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
    expect(step.verdicts).toEqual([{ _tag: "TurnBoundary" }])
    expect(Protocol.stalled(step.state).events).toEqual([])
    expect(Protocol.stallAfter(step.state)).toBeNull()
  })

  it("a turn that ended on quiet audio leaves no limit; a model that yielded to the user stalls interrupted", () => {
    expect(Protocol.stallAfter(last(feed(ready(), modelAudio(200), modelAudio(800, 0))).state)).toBeNull()
    const yielding = last(feed(ready(), modelAudio(300), said("The northern", 0, 600), heard("Wait", 400, 700))).state
    expect(Protocol.stallAfter(yielding)).toBe(800)
    const step = Protocol.stalled(yielding)
    expect(tags(step.events)).toEqual(["AudioInterrupted", "ItemUpdated", "TurnEnded"])
    expect(step.events[1]).toMatchObject({ item: { status: "incomplete" } })
    expect(step.verdicts).toContainEqual({ _tag: "PlaybackInterrupted", itemId: "live_item_2" })
  })
})

describe("a transcript that runs behind the audio", () => {
  it("words arriving after the turn ended on quiet go to that turn's item and line", () => {
    const steps = feed(
      ready(),
      modelAudio(600),
      said("It is cold", 0, 600),
      modelAudio(900, 0),
      said(" in Oslo.", 600, 900)
    )
    const late = last(steps)
    expect(late.events).toEqual([
      { _tag: "TranscriptDelta", itemId: "live_item_2", delta: " in Oslo.", responseId: "live_resp_1" },
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "AssistantMessage",
          itemId: "live_item_2",
          previousItemId: null,
          status: "completed",
          content: [{ _tag: "OutputAudio", audio: null, transcript: "It is cold in Oslo." }]
        }
      }
    ])
    expect(late.state.history).toEqual([{ role: "assistant", text: "It is cold in Oslo." }])
    expect(late.state.turn).toBeNull()
  })

  it("words long after the last turn open a new one; a new session's timeline starts again", () => {
    const ended = last(feed(ready(), modelAudio(600), said("Hi", 5000, 5600), modelAudio(900, 0))).state
    expect(tags(receive(ended, said("Later", 9000, 9300)).events)).toEqual([
      "TurnStarted",
      "ItemUpdated",
      "TranscriptDelta"
    ])
    const next = Receive.receive(Protocol.open(ended).state, JSON.stringify(started("live_sess_2"))).state
    expect(tags(receive(next, said("Hello again", 0, 400)).events)).toEqual([
      "TurnStarted",
      "ItemUpdated",
      "TranscriptDelta"
    ])
  })
})
