/**
 * A whole Gemini Live call through the protocol, frames in and frames out: setup, the user's
 * audio, the model's audio and transcripts, a tool call and its response, the turn's end, goAway,
 * the resumption handle, and the next connection resuming with it; then a drop mid-turn, and a
 * session whose handle expired starting again with the conversation as context.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Protocol from "../../src/internal/gemini/protocol.js"
import * as Receive from "../../src/internal/gemini/receive.js"
import * as Send from "../../src/internal/gemini/send.js"
import type { GeminiState } from "../../src/internal/gemini/state.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import { drive } from "../support/steps.js"
import { framesOf, initial, json, modelAudio, pcm24, tags } from "./support.js"

/** A call driven step by step, collecting every event, frame and verdict. */
const call = (state: GeminiState) =>
  drive({ open: Protocol.open, receive: Receive.receive, send: Send.send, ended: Protocol.ended, json }, state)

describe("a whole Gemini Live exchange", () => {
  it("setup → audio → reply with a tool call → goAway → the next connection resumes with the latest handle", () => {
    const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]
    const gemini = call(initial({ instructions: "Be brief.", voice: "Puck", tools }))

    // the first connection: setup, acknowledged
    gemini.open()
    expect(gemini.frames.shift()).toEqual({
      setup: {
        model: "models/gemini-3.8-live",
        generationConfig: {
          responseModalities: ["AUDIO"],
          speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } } }
        },
        systemInstruction: { parts: [{ text: "Be brief." }], role: "user" },
        tools: [{ functionDeclarations: [{ name: "get_weather", parametersJsonSchema: tools[0]?.parameters }] }],
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        sessionResumption: {},
        contextWindowCompression: { slidingWindow: {} }
      }
    })
    gemini.server({ setupComplete: {} })
    expect(gemini.verdicts.splice(0)).toEqual([{ _tag: "SetupComplete", sessionId: null }])
    gemini.server({ sessionResumptionUpdate: { newHandle: "h1", resumable: true } })
    // nothing in flight and a handle for all of it: a new connection could take over here
    expect(gemini.verdicts.splice(0)).toEqual([{ _tag: "TurnBoundary" }])

    // the user speaks; the server transcribes it
    gemini.send(SendEvent.SendAudio.make({ audio: pcm24(2400) }))
    expect(gemini.frames.splice(0).map((frame) => Object.keys(frame as object))).toEqual([["realtimeInput"]])
    gemini.server({ serverContent: { inputTranscription: { text: "Weather in Oslo?", finished: true } } })

    // the model calls the tool (no handle while it does); the application answers
    gemini.server({ sessionResumptionUpdate: { resumable: false } })
    gemini.server({ toolCall: { functionCalls: [{ id: "fc-1", name: "get_weather", args: { city: "Oslo" } }] } })
    const call1 = gemini.events.find((event) => event._tag === "FunctionCall")
    expect(call1).toEqual({
      _tag: "FunctionCall",
      name: "get_weather",
      callId: "fc-1",
      arguments: "{\"city\":\"Oslo\"}",
      itemId: "gemini_item_2",
      previousItemId: "gemini_item_1"
    })
    if (call1?._tag !== "FunctionCall") return
    gemini.send(SendEvent.ToolOutput.make({ toolCall: call1, output: "{\"celsius\":-4}" }))
    expect(gemini.frames.splice(0)).toEqual([{
      toolResponse: { functionResponses: [{ id: "fc-1", name: "get_weather", response: { output: { celsius: -4 } } }] }
    }])

    // the model answers in audio with its transcript; the turn ends
    gemini.server(modelAudio(2400))
    gemini.server({ serverContent: { outputTranscription: { text: "Minus four in Oslo." } } })
    gemini.server({ serverContent: { generationComplete: true } })
    gemini.server({ serverContent: { turnComplete: true } })
    gemini.server({ usageMetadata: { promptTokenCount: 50, responseTokenCount: 30, totalTokenCount: 80 } })
    gemini.server({ sessionResumptionUpdate: { newHandle: "h2", resumable: true } })
    expect(tags(gemini.events)).toEqual([
      "Other", // the first handle, passed on as it came
      "ItemUpdated", // the user's audio item
      "InputAudioTranscriptionDelta",
      "InputAudioTranscriptionCompleted",
      "ItemUpdated",
      "Other", // not resumable while the turn is in flight
      "ItemUpdated", // the tool call's item
      "FunctionCall",
      "ItemUpdated", // the tool call completed
      "TurnStarted",
      "ItemUpdated", // the model's item
      "Audio",
      "TranscriptDelta",
      "AudioDone",
      "ItemUpdated",
      "TurnEnded",
      "UsageUpdated",
      "Other" // the handle that holds the finished turn
    ])
    // the boundary comes with the handle that holds the finished turn, not with turnComplete
    expect(gemini.verdicts.splice(0)).toEqual([{ _tag: "TurnBoundary" }])
    expect(Protocol.GeminiProtocol.atBoundary(gemini.state)).toBe(true)

    // goAway: the engine rolls over to a new connection, which resumes with the latest handle
    gemini.server({ goAway: { timeLeft: "10s" } })
    expect(gemini.verdicts.splice(0)).toEqual([{ _tag: "SessionEnding", timeLeftMs: 10_000 }])
    const ended = Protocol.ended(gemini.state)
    expect(ended.events).toEqual([])
    expect(ended.lostResponseId).toBeNull()
    gemini.set(ended.state)
    const opened = gemini.open()
    expect(opened.restoredBy).toBe("handle")
    expect(Protocol.resume(gemini.state)).toEqual({ handle: "h2", frames: [], ids: new Set(), lost: 0 })
    expect(gemini.frames.splice(0)).toEqual([{
      setup: expect.objectContaining({
        sessionResumption: { handle: "h2" },
        systemInstruction: { parts: [{ text: "Be brief." }], role: "user" }
      })
    }])
    gemini.server({ setupComplete: {} })
    expect(gemini.state.ready).toBe(true)

    // the conversation so far, as text
    expect(gemini.state.history).toEqual([
      { role: "user", text: "Weather in Oslo?" },
      { role: "model", text: "Minus four in Oslo." }
    ])
  })

  it("a drop mid-turn: the turn ends incomplete, unanswered calls are lost, the next setup resumes", () => {
    const gemini = call(initial())
    gemini.open()
    gemini.server({ setupComplete: {} })
    gemini.server({ sessionResumptionUpdate: { newHandle: "h1", resumable: true } })
    gemini.server(modelAudio(240))
    gemini.server({ toolCall: { functionCalls: [{ id: "fc-9", name: "slow" }] } })
    expect(Protocol.GeminiProtocol.atBoundary(gemini.state)).toBe(false)
    const ended = Protocol.ended(gemini.state)
    expect(ended.lostResponseId).toBe("gemini_resp_1")
    expect(ended.lostCalls).toEqual(["fc-9"])
    expect(tags(ended.events)).toEqual(["ItemUpdated", "TurnEnded"])
    const item = ended.events[0]
    expect(item?._tag === "ItemUpdated" && item.item._tag === "AssistantMessage" ? item.item.status : null).toBe(
      "incomplete"
    )
    const opened = Protocol.open(ended.state)
    expect(framesOf(opened)).toEqual([{ setup: expect.objectContaining({ sessionResumption: { handle: "h1" } }) }])
  })

  it("a handle that expired: the next session starts without it, with the conversation as context", () => {
    const gemini = call(initial())
    gemini.open()
    gemini.server({ setupComplete: {} })
    gemini.send(SendEvent.UserInput.make({ userInput: "My name is Ada." }))
    gemini.server({ serverContent: { outputTranscription: { text: "Nice to meet you, Ada." } } })
    gemini.server({ serverContent: { turnComplete: true } })
    gemini.server({ sessionResumptionUpdate: { newHandle: "h1", resumable: true } })
    gemini.frames.splice(0)

    const reopened = Protocol.open(Protocol.ended(gemini.state).state)
    expect(reopened.restoredBy).toBe("handle")
    // the server refuses the handle: expired, so the next open starts a new session with the history
    expect(Protocol.GeminiProtocol.classify(reopened.state, { code: 1008, reason: "" })._tag).toBe("Expired")
    const fresh = Protocol.open(Protocol.expire(reopened.state))
    expect(fresh.restoredBy).toBe("history")
    const frames = [...framesOf(fresh), ...framesOf(Protocol.resume(fresh.state))]
    expect(frames).toHaveLength(2)
    expect(frames[0]).toEqual({
      setup: expect.objectContaining({ sessionResumption: {}, historyConfig: { initialHistoryInClientContent: true } })
    })
    expect(frames[1]).toEqual({
      clientContent: {
        turns: [
          { role: "user", parts: [{ text: "My name is Ada." }] },
          { role: "model", parts: [{ text: "Nice to meet you, Ada." }] }
        ],
        turnComplete: false
      }
    })
  })

  it("a barge-in the server reports: what the tracker says was heard is what the history keeps", () => {
    const gemini = call(initial())
    gemini.open()
    gemini.server({ setupComplete: {} })
    gemini.server(modelAudio(24_000))
    gemini.server({ serverContent: { outputTranscription: { text: "The northern lights are caused by solar wind." } } })
    gemini.server({ serverContent: { interrupted: true } })
    expect(gemini.verdicts.at(-1)).toEqual({ _tag: "PlaybackInterrupted", itemId: "gemini_item_2" })
    // the engine asks its tracker: 400 ms of the 1000 ms received were heard, 40% of the 45
    // characters is 18 ("The northern light"), cut back to the last whole word
    gemini.set(Protocol.heard(gemini.state, "gemini_item_2", 400))
    gemini.server({ serverContent: { turnComplete: true } })
    expect(gemini.state.history).toEqual([{ role: "model", text: "The northern" }])
  })
})
