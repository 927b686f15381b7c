/**
 * Send events → client events: audio appended as it is, typed user input as instructions, tool
 * outputs through delegation (commentary or thinking for a client delegation; a function call
 * output and `response.create` for the backend), interrupts (what Live allows, and the refusal
 * where it allows nothing), raw messages. Every expected frame is written as the `openai`
 * package's `ClientEvent` (checked when the tests compile).
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Live from "openai/resources/live/live"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import * as Send from "../../src/internal/openaiLive/send.js"
import type { LiveState } from "../../src/internal/openaiLive/state.js"
import type { PlaybackState } from "../../src/PlaybackTracker.js"
import { idle } from "../../src/PlaybackTracker.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import {
  accepted,
  base64,
  eventsOf,
  feed,
  framesOf,
  functionCallOf,
  heard,
  last,
  modelAudio,
  pcm24,
  ready,
  refused,
  said
} from "./support.js"

const send = (state: LiveState, event: SendEvent.RealtimeModelSendEvent, playback: PlaybackState = idle) =>
  Send.send(state, event, playback)

describe("SendAudio", () => {
  it("appends the audio as it is, in the session's format; commit sends nothing", () => {
    const audio = pcm24(20)
    const step = accepted(send(ready(), SendEvent.SendAudio.make({ audio, commit: true })))
    expect(framesOf(step)).toEqual([
      { type: "session.input_audio.append", audio: base64(audio) } satisfies Live.ClientEvent
    ])
    expect(framesOf(accepted(send(ready(), SendEvent.SendAudio.make({ audio: new Uint8Array(0), commit: true })))))
      .toEqual([])
  })
})

describe("UserInput", () => {
  it("goes in as instructions, marked as the user's typed words, with a completed user item", () => {
    const step = accepted(send(ready(), SendEvent.UserInput.make({ userInput: "What's the weather in Oslo?" })))
    expect(framesOf(step)).toEqual([
      {
        type: "session.instructions.append",
        content: "The user typed: What's the weather in Oslo?",
        delegation_id: null
      } satisfies Live.ClientEvent
    ])
    expect(step.events).toEqual([{
      _tag: "ItemUpdated",
      item: {
        _tag: "UserMessage",
        itemId: "live_item_1",
        previousItemId: null,
        status: "completed",
        content: [{ _tag: "InputText", text: "What's the weather in Oslo?" }]
      }
    }])
    expect(step.state.history).toEqual([{ role: "user", text: "What's the weather in Oslo?" }])
  })

  it("a message too long for one append goes in parts, each saying which part of how many it is", () => {
    const text = Array.from({ length: 400 }, (_, index) => `word${index}`).join(" ")
    const step = accepted(send(ready(), SendEvent.UserInput.make({ userInput: text })))
    const contents = framesOf(step).map((frame) => (frame as Live.InstructionsAppendEvent).content)
    expect(contents.length).toBeGreaterThan(1)
    contents.forEach((content, index) => {
      expect(content.startsWith(`The user typed (part ${index + 1} of ${contents.length}): `)).toBe(true)
      expect(content.length).toBeLessThanOrEqual(Send.appendChars)
    })
    expect(contents.map((content) => Send.typedOf(content)?.text).join(" ")).toBe(text)
    expect(Send.typedOf(contents[1]!)).toMatchObject({ index: 2, of: contents.length })
    // one user item, with the whole text
    expect(step.state.history).toEqual([{ role: "user", text }])
  })

  it("text parts are joined; an image is refused", () => {
    const text = SendEvent.UserInput.make({
      userInput: {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "One." }, { type: "input_text", text: "Two." }]
      }
    })
    expect(framesOf(accepted(send(ready(), text)))).toMatchObject([{ content: "The user typed: One.\nTwo." }])
    const image = SendEvent.UserInput.make({
      userInput: {
        type: "message",
        role: "user",
        content: [{ type: "input_image", imageUrl: "data:image/png;base64,AA" }]
      }
    })
    const refusal = refused(send(ready(), image))
    expect(refusal.reason).toBe("InvalidEvent")
    expect(refusal.eventTag).toBe("UserInput")
  })
})

describe("ToolOutput", () => {
  const clientDelegation: Live.DelegationCreatedEvent = {
    type: "session.delegation.created",
    event_id: "ev_del",
    offset_ms: 100,
    delegation: { id: "del_1", target: "client", type: "delegation" }
  }
  const backendCall: Live.ResponseEvent = {
    type: "response.event",
    event_id: "ev_resp",
    delegation_id: "del_2",
    event: {
      type: "response.output_item.done",
      item: { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" }
    }
  }

  it("a client delegation's result is commentary under its id (the model says it), then nothing waits", () => {
    const steps = feed(ready(), clientDelegation)
    const toolCall = functionCallOf(eventsOf(steps))
    const step = accepted(
      send(last(steps).state, SendEvent.ToolOutput.make({ toolCall, output: "A table for two at 8." }))
    )
    expect(framesOf(step)).toEqual([
      {
        type: "session.commentary.append",
        content: "A table for two at 8.",
        delegation_id: "del_1"
      } satisfies Live.ClientEvent
    ])
    expect(step.events).toEqual([{
      _tag: "ItemUpdated",
      item: {
        _tag: "ToolCall",
        itemId: toolCall.itemId,
        previousItemId: null,
        callId: "del_1",
        name: Receive.clientDelegationName,
        arguments: toolCall.arguments,
        status: "completed",
        output: "A table for two at 8."
      }
    }])
    expect(step.state.pendingCalls.size).toBe(0)
    // answered: a second output is refused
    expect(refused(send(step.state, SendEvent.ToolOutput.make({ toolCall, output: "again" }))).message).toContain(
      "no call del_1 is waiting"
    )
  })

  it("startResponse: false gives a client delegation's result as silent thinking", () => {
    const steps = feed(ready(), clientDelegation)
    const toolCall = functionCallOf(eventsOf(steps))
    const step = accepted(
      send(last(steps).state, SendEvent.ToolOutput.make({ toolCall, output: "noted", startResponse: false }))
    )
    expect(framesOf(step)).toEqual([
      { type: "session.thinking.append", content: "noted", delegation_id: "del_1" } satisfies Live.ClientEvent
    ])
  })

  it("a backend call's output is a function_call_output item, then response.create (unless startResponse: false)", () => {
    const state = ready({ tools: [{ name: "get_weather" }] })
    const steps = feed(state, backendCall)
    const toolCall = functionCallOf(eventsOf(steps))
    const step = accepted(send(last(steps).state, SendEvent.ToolOutput.make({ toolCall, output: "{\"celsius\":-4}" })))
    expect(framesOf(step)).toEqual([
      {
        type: "response.item.create",
        item: { type: "function_call_output", call_id: "call_1", output: "{\"celsius\":-4}" }
      } satisfies Live.ClientEvent,
      { type: "response.create" } satisfies Live.ClientEvent
    ])
    const quiet = accepted(
      send(last(steps).state, SendEvent.ToolOutput.make({ toolCall, output: "{}", startResponse: false }))
    )
    expect(framesOf(quiet)).toEqual([
      { type: "response.item.create", item: { type: "function_call_output", call_id: "call_1", output: "{}" } }
    ])
  })
})

describe("Interrupt", () => {
  const playing = (itemId: string, elapsedMs: number): PlaybackState => ({
    currentItemId: itemId,
    currentItemContentIndex: 0,
    elapsedMs
  })

  it("stops the item playing, drops the rest of its turn, and tells the model what was heard", () => {
    const steps = feed(ready(), modelAudio(1000), said("One two three four", 0, 1000))
    const state = last(steps).state
    const step = accepted(send(state, SendEvent.Interrupt.make({}), playing("live_item_2", 500)))
    expect(step.events).toEqual([{ _tag: "AudioInterrupted", itemId: "live_item_2", contentIndex: 0 }])
    expect(step.verdicts).toEqual([{ _tag: "PlaybackInterrupted", itemId: "live_item_2" }])
    expect(framesOf(step)).toEqual([
      {
        type: "session.thinking.append",
        content: "Playback of your last words was stopped; the user heard only: \"One two\"",
        delegation_id: null
      } satisfies Live.ClientEvent
    ])
    expect(step.state.turn?.muted).toBe(true)
    // the rest of the turn is not passed on, and its end keeps what was heard
    const after = feed(step.state, modelAudio(200), said(" five", 1000, 1200), modelAudio(900, 0))
    expect(eventsOf(after).map((event) => event._tag)).toEqual(["ItemUpdated", "TurnEnded"])
    expect(last(after).state.history).toEqual([{ role: "assistant", text: "One two" }])
  })

  it("playbackOnly stops playback without a word to the model", () => {
    const state = last(feed(ready(), modelAudio(1000), said("Hello there", 0, 1000))).state
    const step = accepted(send(state, SendEvent.Interrupt.make({ playbackOnly: true }), playing("live_item_2", 100)))
    expect(step.frames).toEqual([])
    expect(step.events).toEqual([{ _tag: "AudioInterrupted", itemId: "live_item_2", contentIndex: 0 }])
  })

  it("after the turn ended, the item's line keeps what was heard", () => {
    const state = last(feed(ready(), modelAudio(1000), said("One two three four", 0, 1000), modelAudio(900, 0))).state
    expect(state.turn).toBeNull()
    const step = accepted(send(state, SendEvent.Interrupt.make({}), playing("live_item_2", 500)))
    expect(step.state.history).toEqual([{ role: "assistant", text: "One two" }])
    expect(framesOf(step)).toMatchObject([{
      content: "Playback of your last words was stopped; the user heard only: \"One two\""
    }])
  })

  it("nothing playing: nothing reported, nothing sent; a responseId that is not the playing turn's changes nothing", () => {
    expect(accepted(send(ready(), SendEvent.Interrupt.make({})))).toMatchObject({
      events: [],
      frames: [],
      verdicts: []
    })
    const state = last(feed(ready(), modelAudio(1000))).state
    const other = accepted(
      send(state, SendEvent.Interrupt.make({ responseId: "live_resp_99" }), playing("live_item_2", 100))
    )
    expect(other).toMatchObject({ events: [], frames: [], verdicts: [] })
    expect(other.state.turn?.muted).toBe(false)
  })

  it("cancelResponseOnly is refused: Live cannot cancel on the client's word", () => {
    const refusal = refused(
      send(ready(), SendEvent.Interrupt.make({ responseId: "live_resp_1", cancelResponseOnly: true }))
    )
    expect(refusal.reason).toBe("InvalidEvent")
    expect(refusal.message).toContain("cannot cancel")
  })

  it("the user speaking over the model is the model's business: no frame is sent for it", () => {
    const steps = feed(ready(), modelAudio(500), said("Well", 0, 500), heard("stop", 300, 600))
    expect(steps.flatMap((step) => step.frames)).toEqual([])
  })
})

describe("RawMessage", () => {
  it("is passed through with its type", () => {
    const step = accepted(
      send(ready(), SendEvent.RawMessage.make({ type: "session.input_audio.mute", otherData: { event_id: "m1" } }))
    )
    expect(framesOf(step)).toEqual([{ type: "session.input_audio.mute", event_id: "m1" } satisfies Live.ClientEvent])
  })
})

describe("appends", () => {
  it("text longer than an append takes is cut at whitespace into several, each under the same delegation", () => {
    const words = Array.from({ length: 400 }, (_, index) => `word${index}`).join(" ")
    const parts = Send.pieces(words)
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.every((part) => part.length <= Send.appendChars)).toBe(true)
    expect(parts.join(" ")).toBe(words)
    const steps = feed(
      ready(),
      {
        type: "session.delegation.created",
        event_id: "ev_del",
        offset_ms: 0,
        delegation: { id: "del_1", target: "client", type: "delegation" }
      } satisfies Live.DelegationCreatedEvent
    )
    const toolCall = functionCallOf(eventsOf(steps))
    const step = accepted(send(last(steps).state, SendEvent.ToolOutput.make({ toolCall, output: words })))
    expect(framesOf(step)).toEqual(
      parts.map((content) => ({ type: "session.commentary.append", content, delegation_id: "del_1" }))
    )
  })

  it("a text without whitespace is cut at the limit", () => {
    expect(Send.pieces("x".repeat(2500))).toEqual(["x".repeat(1200), "x".repeat(1200), "x".repeat(100)])
    expect(Send.pieces("")).toEqual([""])
  })
})

describe("parallel backend calls", () => {
  const callOf = (callId: string, delegation: string): Live.ResponseEvent => ({
    type: "response.event",
    event_id: `ev_${callId}`,
    delegation_id: delegation,
    event: {
      type: "response.output_item.done",
      item: { type: "function_call", call_id: callId, name: "lookup", arguments: "{}" }
    }
  })

  it("response.create goes once, after the last output of the delegation, if any output asked for it", () => {
    const steps = feed(
      ready({ tools: [{ name: "lookup" }] }),
      callOf("c1", "d1"),
      callOf("c2", "d1"),
      callOf("c3", "d2")
    )
    const calls = eventsOf(steps).filter((event) => event._tag === "FunctionCall")
    const [first, second, third] = calls
    if (first?._tag !== "FunctionCall" || second?._tag !== "FunctionCall" || third?._tag !== "FunctionCall") {
      throw new Error("three calls expected")
    }
    let state = last(steps).state
    const answer = (toolCall: typeof first, startResponse: boolean) => {
      const step = accepted(send(state, SendEvent.ToolOutput.make({ toolCall, output: "ok", startResponse })))
      state = step.state
      return framesOf(step).map((frame) => (frame as { type: string }).type)
    }
    // c1 asks to go on while c2 (same delegation) waits: the create waits
    expect(answer(first, true)).toEqual(["response.item.create"])
    // c3 is another delegation's last call
    expect(answer(third, false)).toEqual(["response.item.create"])
    // c2 is d1's last: the create c1 asked for goes now
    expect(answer(second, false)).toEqual(["response.item.create", "response.create"])
    expect(state.continueAfter.size).toBe(0)
  })
})
