/**
 * Gemini Live server messages → events, state and verdicts: model audio under the items the
 * protocol assigns (one per model turn), transcripts, interruptions, turn boundaries, tool calls,
 * usage, goAway and resumption handles; malformed and unknown messages.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Receive from "../../src/internal/gemini/receive.js"
import { RealtimeProtocolError } from "../../src/RealtimeError.js"
import { base64, eventsOf, feed, last, modelAudio, pcm24, ready, tags } from "./support.js"

const content = (serverContent: object) => ({ serverContent })

describe("Gemini Live server messages", () => {
  it("setupComplete: the state is ready, the engine gets the session id", () => {
    const [step] = feed(ready(), { setupComplete: { sessionId: "s-1" } })
    expect(step?.json).toEqual({ setupComplete: { sessionId: "s-1" } })
    expect(step?.state.ready).toBe(true)
    expect(step?.state.sessionId).toBe("s-1")
    expect(step?.verdicts).toEqual([{ _tag: "SetupComplete", sessionId: "s-1" }])
    expect(step?.events).toEqual([])
  })

  it("a model turn's audio: one item and one response for the whole turn, audio passed on as 24 kHz PCM16", () => {
    const steps = feed(ready(), modelAudio(240, 1000), modelAudio(480, -2000))
    const events = eventsOf(steps)
    expect(tags(events)).toEqual(["TurnStarted", "ItemUpdated", "Audio", "Audio"])
    expect(events[0]).toEqual({ _tag: "TurnStarted", responseId: "gemini_resp_1" })
    expect(events[1]).toEqual({
      _tag: "ItemUpdated",
      item: {
        _tag: "AssistantMessage",
        itemId: "gemini_item_2",
        previousItemId: null,
        status: "in_progress",
        content: []
      }
    })
    const audio = events.filter((event) => event._tag === "Audio")
    expect(audio.map((event) => [event.itemId, event.responseId, event.contentIndex, event.data.byteLength])).toEqual([
      ["gemini_item_2", "gemini_resp_1", 0, 480],
      ["gemini_item_2", "gemini_resp_1", 0, 960]
    ])
    expect(audio[1]?.data).toEqual(pcm24(480, -2000))
    expect(last(steps).state.turn?.audioBytes).toBe(1440)
  })

  it("G.711 output: the model's 24 kHz audio resampled to 8 kHz and companded", () => {
    const [step] = feed(ready({ outputAudioFormat: "g711_ulaw" }), modelAudio(240, 0))
    const audio = step?.events.find((event) => event._tag === "Audio")
    // 10 ms: 80 samples of one byte; mu-law silence is 0xff
    expect(audio?._tag === "Audio" ? [...audio.data] : []).toEqual(Array.from({ length: 80 }, () => 0xff))
  })

  it("transcripts: the model's as TranscriptDelta on its item, the user's on an item of its own, completed when finished", () => {
    const steps = feed(
      ready(),
      content({ inputTranscription: { text: "What's the " } }),
      content({ inputTranscription: { text: "weather?", finished: true } }),
      content({ outputTranscription: { text: "It is " } }),
      content({ outputTranscription: { text: "sunny." } })
    )
    const events = eventsOf(steps)
    expect(events).toEqual([
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "UserMessage",
          itemId: "gemini_item_1",
          previousItemId: null,
          status: "in_progress",
          content: [{ _tag: "InputAudio", audio: null, transcript: null }]
        }
      },
      {
        _tag: "InputAudioTranscriptionDelta",
        itemId: "gemini_item_1",
        contentIndex: 0,
        delta: "What's the ",
        logprobs: null
      },
      {
        _tag: "InputAudioTranscriptionDelta",
        itemId: "gemini_item_1",
        contentIndex: 0,
        delta: "weather?",
        logprobs: null
      },
      { _tag: "InputAudioTranscriptionCompleted", itemId: "gemini_item_1", transcript: "What's the weather?" },
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "UserMessage",
          itemId: "gemini_item_1",
          previousItemId: null,
          status: "completed",
          content: [{ _tag: "InputAudio", audio: null, transcript: "What's the weather?" }]
        }
      },
      { _tag: "TurnStarted", responseId: "gemini_resp_2" },
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "AssistantMessage",
          itemId: "gemini_item_3",
          previousItemId: "gemini_item_1",
          status: "in_progress",
          content: []
        }
      },
      { _tag: "TranscriptDelta", itemId: "gemini_item_3", delta: "It is ", responseId: "gemini_resp_2" },
      { _tag: "TranscriptDelta", itemId: "gemini_item_3", delta: "sunny.", responseId: "gemini_resp_2" }
    ])
    expect(last(steps).state.history).toEqual([{ role: "user", text: "What's the weather?" }])
  })

  it("generationComplete then turnComplete: AudioDone, the item completed with its transcript, TurnEnded", () => {
    const steps = feed(
      ready(),
      modelAudio(240),
      content({ outputTranscription: { text: "Hello." } }),
      content({ generationComplete: true }),
      content({ turnComplete: true })
    )
    expect(steps[2]?.events).toEqual([{ _tag: "AudioDone", itemId: "gemini_item_2", contentIndex: 0 }])
    expect(steps[3]?.events).toEqual([
      {
        _tag: "ItemUpdated",
        item: {
          _tag: "AssistantMessage",
          itemId: "gemini_item_2",
          previousItemId: null,
          status: "completed",
          content: [{ _tag: "OutputAudio", audio: null, transcript: "Hello." }]
        }
      },
      { _tag: "TurnEnded", responseId: "gemini_resp_1" }
    ])
    expect(steps[3]?.verdicts).toEqual([])
    expect(last(steps).state.turn).toBeNull()
    expect(last(steps).state.history).toEqual([{ role: "model", text: "Hello." }])
  })

  it("a turn boundary: the first handle that holds the finished turn, with no call or transcript in flight", () => {
    const steps = feed(
      ready(),
      { sessionResumptionUpdate: { newHandle: "h1", resumable: true } },
      modelAudio(240),
      { sessionResumptionUpdate: { newHandle: "h2", resumable: true } },
      content({ turnComplete: true }),
      { sessionResumptionUpdate: { resumable: false } },
      { sessionResumptionUpdate: { newHandle: "h3", resumable: true } },
      { sessionResumptionUpdate: { newHandle: "h4", resumable: true } }
    )
    expect(steps.map((step) => step.verdicts.map((verdict) => verdict._tag).join())).toEqual([
      "TurnBoundary", // h1: nothing in flight
      "", // the model's turn: h1 no longer holds the conversation
      "", // h2 comes while the turn is in flight
      "", // the turn ends after h2: h2 does not hold its end
      "",
      "TurnBoundary", // h3 holds the finished turn
      "" // still at the boundary
    ])
  })

  it("the next turn gets a new item and response; turnComplete alone closes a turn that never said generationComplete", () => {
    const steps = feed(ready(), modelAudio(240), content({ turnComplete: true }), modelAudio(240))
    expect(tags(steps[1]?.events ?? [])).toEqual(["AudioDone", "ItemUpdated", "TurnEnded"])
    const second = steps[2]?.events ?? []
    expect(second[0]).toEqual({ _tag: "TurnStarted", responseId: "gemini_resp_3" })
    expect(second[2]?._tag === "Audio" ? second[2].itemId : undefined).toBe("gemini_item_4")
  })

  it("interrupted: AudioInterrupted for the playing item, a playback verdict, the turn ended there incomplete, no AudioDone", () => {
    const steps = feed(ready(), modelAudio(240), content({ interrupted: true }), content({ turnComplete: true }))
    expect(tags(steps[1]?.events ?? [])).toEqual(["AudioInterrupted", "ItemUpdated", "TurnEnded"])
    expect(steps[1]?.events[0]).toEqual({ _tag: "AudioInterrupted", itemId: "gemini_item_2", contentIndex: 0 })
    expect(steps[1]?.verdicts).toEqual([{ _tag: "PlaybackInterrupted", itemId: "gemini_item_2" }])
    const item = steps[1]?.events[1]
    expect(item?._tag === "ItemUpdated" ? item.item._tag === "AssistantMessage" && item.item.status : null).toBe(
      "incomplete"
    )
    // a turnComplete that follows has no turn left to end
    expect(steps[2]?.events).toEqual([])
  })

  it("after an interruption: a transcript that trails is dropped; the next reply is a turn of its own", () => {
    const steps = feed(
      ready(),
      modelAudio(240),
      content({ interrupted: true }),
      content({ outputTranscription: { text: "lights are" } }),
      modelAudio(240)
    )
    expect(steps[2]?.events).toEqual([])
    const next = steps[3]?.events ?? []
    expect(tags(next)).toEqual(["TurnStarted", "ItemUpdated", "Audio"])
    expect(next[0]).toEqual({ _tag: "TurnStarted", responseId: "gemini_resp_3" })
  })

  it("interrupted after the turn ended (audio still playing): the last item with audio stops", () => {
    const steps = feed(ready(), modelAudio(240), content({ turnComplete: true }), content({ interrupted: true }))
    expect(steps[2]?.events).toEqual([{ _tag: "AudioInterrupted", itemId: "gemini_item_2", contentIndex: 0 }])
  })

  it("text parts are output text; thoughts are not passed on", () => {
    const [step] = feed(
      ready(),
      content({ modelTurn: { parts: [{ text: "thinking", thought: true }, { text: "Hi" }] } })
    )
    expect(tags(step?.events ?? [])).toEqual(["TurnStarted", "ItemUpdated", "OutputTextDelta"])
    expect(step?.events[2]).toEqual({
      _tag: "OutputTextDelta",
      itemId: "gemini_item_2",
      delta: "Hi",
      responseId: "gemini_resp_1"
    })
  })

  it("toolCall: a FunctionCall per call with its id and arguments as JSON text, pending until answered; no turn boundary while pending", () => {
    const steps = feed(ready(), {
      toolCall: {
        functionCalls: [{ id: "fc-1", name: "get_weather", args: { city: "Oslo" } }, { name: "now" }]
      }
    }, content({ turnComplete: true }))
    const calls = eventsOf(steps).filter((event) => event._tag === "FunctionCall")
    expect(calls).toEqual([
      {
        _tag: "FunctionCall",
        name: "get_weather",
        callId: "fc-1",
        arguments: "{\"city\":\"Oslo\"}",
        itemId: "gemini_item_1",
        previousItemId: null
      },
      {
        _tag: "FunctionCall",
        name: "now",
        callId: "gemini_call_2",
        arguments: "{}",
        itemId: "gemini_item_3",
        previousItemId: "gemini_item_1"
      }
    ])
    expect([...last(steps).state.pendingCalls]).toEqual([
      ["fc-1", { name: "get_weather", wireId: "fc-1" }],
      ["gemini_call_2", { name: "now", wireId: undefined }]
    ])
    expect(steps[1]?.verdicts).toEqual([])
  })

  it("toolCallCancellation: the calls are no longer pending; listeners get FunctionCallsCancelled", () => {
    const message = { toolCallCancellation: { ids: ["fc-1"] } }
    const steps = feed(ready(), { toolCall: { functionCalls: [{ id: "fc-1", name: "slow" }] } }, message)
    expect(last(steps).state.pendingCalls.size).toBe(0)
    expect(steps[1]?.events).toEqual([{ _tag: "FunctionCallsCancelled", callIds: ["fc-1"] }])
  })

  it("usageMetadata: prompt tokens are input, response tokens output, with the modality breakdown", () => {
    const [step] = feed(ready(), {
      usageMetadata: {
        promptTokenCount: 120,
        responseTokenCount: 80,
        totalTokenCount: 200,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: 20 }, { modality: "AUDIO", tokenCount: 100 }],
        responseTokensDetails: [{ modality: "AUDIO", tokenCount: 80 }]
      }
    })
    expect(step?.events).toEqual([{
      _tag: "UsageUpdated",
      usage: {
        inputTokens: 120,
        outputTokens: 80,
        totalTokens: 200,
        inputTokenDetails: {
          textTokens: 20,
          audioTokens: 100,
          imageTokens: null,
          cachedTokens: null,
          cachedTokenDetails: null
        },
        outputTokenDetails: { textTokens: null, audioTokens: 80 }
      }
    }])
  })

  it("sessionResumptionUpdate: the latest resumable handle is kept; a non-resumable update keeps the last one; Other for listeners", () => {
    const steps = feed(
      ready(),
      { sessionResumptionUpdate: { newHandle: "h1", resumable: true } },
      { sessionResumptionUpdate: { newHandle: "h2", resumable: true } },
      { sessionResumptionUpdate: { resumable: false } }
    )
    expect(steps.map((step) => [step.state.handle, step.state.resumable])).toEqual([["h1", true], ["h2", true], [
      "h2",
      false
    ]])
    // the listeners see each update as it came
    expect(eventsOf(steps)).toEqual([
      { _tag: "Other", data: { sessionResumptionUpdate: { newHandle: "h1", resumable: true } } },
      { _tag: "Other", data: { sessionResumptionUpdate: { newHandle: "h2", resumable: true } } },
      { _tag: "Other", data: { sessionResumptionUpdate: { resumable: false } } }
    ])
  })

  it("goAway: the session is ending, with the time left in milliseconds", () => {
    expect(feed(ready(), { goAway: { timeLeft: "50s" } })[0]?.verdicts).toEqual([
      { _tag: "SessionEnding", timeLeftMs: 50_000 }
    ])
    expect(feed(ready(), { goAway: {} })[0]?.verdicts).toEqual([{ _tag: "SessionEnding", timeLeftMs: null }])
    expect(Receive.durationMs("1.5s")).toBe(1500)
    expect(Receive.durationMs("soon")).toBeNull()
  })

  it("a frame that is not JSON, or not a Live message: an Exception event, the state unchanged", () => {
    const state = ready()
    for (const text of ["not json", "[1,2]", JSON.stringify({ serverContent: { turnComplete: "yes" } })]) {
      const [step] = feed(state, text)
      expect(step?.state).toBe(state)
      expect(tags(step?.events ?? [])).toEqual(["Exception"])
      const event = step?.events[0]
      expect(event?._tag === "Exception" ? event.cause : undefined).toBeInstanceOf(RealtimeProtocolError)
      expect(event?._tag === "Exception" ? event.context : undefined).toBe("Gemini Live server message")
    }
    // the frame as parsed, for the raw event: the text itself when it is not JSON
    expect(feed(state, "not json")[0]?.json).toBe("not json")
    expect(feed(state, "[1,2]")[0]?.json).toEqual([1, 2])
  })

  it("a JSON object of a kind the protocol does not know, and voice activity: Other with the raw message", () => {
    const unknown = { somethingNew: { value: 1 } }
    const activity = { voiceActivity: { voiceActivityType: "ACTIVITY_START" } }
    const steps = feed(ready(), unknown, activity)
    expect(eventsOf(steps)).toEqual([{ _tag: "Other", data: unknown }, { _tag: "Other", data: activity }])
  })

  it("server content the library has no event for (waitingForInput, grounding): Other", () => {
    const message = content({ waitingForInput: true })
    expect(feed(ready(), message)[0]?.events).toEqual([{ _tag: "Other", data: message }])
  })

  it("several keys in one message are all read", () => {
    const [step] = feed(ready(), {
      serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: "audio/pcm", data: base64(pcm24(24)) } }] } },
      sessionResumptionUpdate: { newHandle: "h", resumable: true },
      goAway: { timeLeft: "5s" }
    })
    expect(tags(step?.events ?? [])).toEqual(["TurnStarted", "ItemUpdated", "Audio", "Other"])
    expect(step?.state.handle).toBe("h")
    expect(step?.verdicts).toEqual([{ _tag: "SessionEnding", timeLeftMs: 5000 }])
  })
})
