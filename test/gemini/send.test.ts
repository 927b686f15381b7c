/**
 * Send events → Gemini Live client messages: audio converted to 16 kHz PCM16, manual activity,
 * user input, tool output, the interrupt Live allows, mid-session updates, raw messages; and the
 * typed refusals where Live has nothing to offer.
 */
import { describe, expect, it } from "@effect/vitest"
import * as G711 from "../../src/internal/audio/G711.js"
import * as Send from "../../src/internal/gemini/send.js"
import type { GeminiState } from "../../src/internal/gemini/state.js"
import { idle } from "../../src/PlaybackTracker.js"
import type { PlaybackState } from "../../src/PlaybackTracker.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import type { RealtimeModelSendEvent } from "../../src/RealtimeModelSendEvent.js"
import { accepted, feed, framesOf, functionCallOf, last, modelAudio, pcm24, ready, refused } from "./support.js"

const send = (state: GeminiState, event: RealtimeModelSendEvent, playback: PlaybackState = idle) =>
  Send.send(state, event, playback)

/** The 16-bit samples of a base64 PCM16 payload. */
const samplesOf = (data: string): Array<number> => {
  const bytes = Buffer.from(data, "base64")
  return Array.from({ length: bytes.byteLength / 2 }, (_, index) => bytes.readInt16LE(index * 2))
}

const audioData = (frame: unknown): string => {
  const realtimeInput = (frame as { realtimeInput?: { audio?: { data?: string; mimeType?: string } } }).realtimeInput
  expect(realtimeInput?.audio?.mimeType).toBe("audio/pcm;rate=16000")
  return realtimeInput?.audio?.data ?? ""
}

describe("Gemini Live sends", () => {
  it("SendAudio: 24 kHz PCM16 resampled to 16 kHz (two samples for three), as realtimeInput.audio", () => {
    const step = accepted(send(ready(), SendEvent.SendAudio.make({ audio: pcm24(480, 1234) })))
    const frames = framesOf(step)
    expect(frames).toHaveLength(1)
    const samples = samplesOf(audioData(frames[0]))
    expect(samples).toHaveLength(320)
    expect(new Set(samples)).toEqual(new Set([1234]))
  })

  it("SendAudio in G.711 mu-law: decoded and resampled from 8 kHz to 16 kHz, two samples for one", () => {
    const state = ready({ inputAudioFormat: "g711_ulaw" })
    const ulaw = G711.encodeMuLaw(Int16Array.from({ length: 80 }, () => 4000))
    const first = accepted(send(state, SendEvent.SendAudio.make({ audio: ulaw })))
    const second = accepted(send(first.state, SendEvent.SendAudio.make({ audio: ulaw })))
    const samples = [first, second].map((step) => samplesOf(audioData(framesOf(step)[0])))
    // the sample after a chunk's last one waits for the next chunk's first, to interpolate with it
    expect(samples.map((chunk) => chunk.length)).toEqual([159, 160])
    expect(new Set(samples.flat())).toEqual(new Set([G711.decodeMuLawSample(G711.encodeMuLawSample(4000))]))
  })

  it("SendAudio of a single byte: no frame, the byte waits for the next chunk", () => {
    const first = accepted(send(ready(), SendEvent.SendAudio.make({ audio: new Uint8Array([0x10]) })))
    expect(first.frames).toEqual([])
    const second = accepted(send(first.state, SendEvent.SendAudio.make({ audio: new Uint8Array([0x27, 0, 0]) })))
    // the two samples 0x2710 (10000) and 0 at 24 kHz: one 16 kHz sample so far
    expect(samplesOf(audioData(framesOf(second)[0]))).toEqual([10000])
  })

  it("SendAudio with commit, server activity detection: the audio, then audioStreamEnd", () => {
    const frames = framesOf(accepted(send(ready(), SendEvent.SendAudio.make({ audio: pcm24(3), commit: true }))))
    expect(frames[1]).toEqual({ realtimeInput: { audioStreamEnd: true } })
  })

  it("turn detection off: activityStart before the first audio of a turn, activityEnd at commit", () => {
    const state = ready({ turnDetection: null })
    const first = accepted(send(state, SendEvent.SendAudio.make({ audio: pcm24(3) })))
    const second = accepted(send(first.state, SendEvent.SendAudio.make({ audio: pcm24(3), commit: true })))
    const third = accepted(send(second.state, SendEvent.SendAudio.make({ audio: pcm24(3) })))
    const shape = (frames: Array<unknown>) =>
      frames.map((frame) => Object.keys((frame as { realtimeInput: object }).realtimeInput).join())
    expect(shape(framesOf(first))).toEqual(["activityStart", "audio"])
    expect(framesOf(first)[0]).toEqual({ realtimeInput: { activityStart: {} } })
    expect(shape(framesOf(second))).toEqual(["audio", "activityEnd"])
    expect(framesOf(second)[1]).toEqual({ realtimeInput: { activityEnd: {} } })
    expect(shape(framesOf(third))).toEqual(["activityStart", "audio"])
  })

  it("UserInput: clientContent with turnComplete, and the user's item", () => {
    const step = accepted(send(ready(), SendEvent.UserInput.make({ userInput: "What's the weather in Oslo?" })))
    expect(framesOf(step)).toEqual([{
      clientContent: { turns: [{ role: "user", parts: [{ text: "What's the weather in Oslo?" }] }], turnComplete: true }
    }])
    expect(step.events).toEqual([{
      _tag: "ItemUpdated",
      item: {
        _tag: "UserMessage",
        itemId: "gemini_item_1",
        previousItemId: null,
        status: "completed",
        content: [{ _tag: "InputText", text: "What's the weather in Oslo?" }]
      }
    }])
    expect(step.state.history).toEqual([{ role: "user", text: "What's the weather in Oslo?" }])
  })

  it("UserInput with an image: inline data from a data: URL; an https URL is refused", () => {
    const message = (imageUrl: string) =>
      SendEvent.UserInput.make({
        userInput: {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "What is this?" }, { type: "input_image", imageUrl }]
        }
      })
    const step = accepted(send(ready(), message("data:image/png;base64,iVBORw0KGgo=")))
    expect(framesOf(step)).toEqual([{
      clientContent: {
        turns: [{
          role: "user",
          parts: [{ text: "What is this?" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }]
        }],
        turnComplete: true
      }
    }])
    const refusal = refused(send(ready(), message("https://example.com/cat.png")))
    expect(refusal.reason).toBe("InvalidEvent")
    expect(refusal.eventTag).toBe("UserInput")
  })

  it("ToolOutput: toolResponse with the call's id and name, the output parsed; SILENT when no response is wanted", () => {
    const steps = feed(ready(), {
      toolCall: { functionCalls: [{ id: "fc-1", name: "get_weather", args: { city: "Oslo" } }] }
    })
    const state = last(steps).state
    const call = functionCallOf(steps)
    const step = accepted(send(state, SendEvent.ToolOutput.make({ toolCall: call, output: "{\"celsius\":-4}" })))
    expect(framesOf(step)).toEqual([{
      toolResponse: { functionResponses: [{ id: "fc-1", name: "get_weather", response: { output: { celsius: -4 } } }] }
    }])
    expect(step.state.pendingCalls.size).toBe(0)
    expect(step.events).toEqual([{
      _tag: "ItemUpdated",
      item: {
        _tag: "ToolCall",
        itemId: "gemini_item_1",
        previousItemId: null,
        callId: "fc-1",
        name: "get_weather",
        arguments: "{\"city\":\"Oslo\"}",
        status: "completed",
        output: "{\"celsius\":-4}"
      }
    }])
    const silent = accepted(
      send(state, SendEvent.ToolOutput.make({ toolCall: call, output: "done", startResponse: false }))
    )
    expect(framesOf(silent)).toEqual([{
      toolResponse: {
        functionResponses: [{ id: "fc-1", name: "get_weather", response: { output: "done" }, scheduling: "SILENT" }]
      }
    }])
  })

  it("ToolOutput for a call the server gave no id: answered by name alone", () => {
    const steps = feed(ready(), { toolCall: { functionCalls: [{ name: "now" }] } })
    const state = last(steps).state
    const call = functionCallOf(steps)
    expect(call.callId).toBe("gemini_call_1")
    const step = accepted(send(state, SendEvent.ToolOutput.make({ toolCall: call, output: "12:00" })))
    expect(framesOf(step)).toEqual([{
      toolResponse: { functionResponses: [{ name: "now", response: { output: "12:00" } }] }
    }])
  })

  it("Interrupt: AudioInterrupted for the item playing, no frame, the rest of the turn dropped", () => {
    const playing =
      last(feed(ready(), modelAudio(2400), { serverContent: { outputTranscription: { text: "one two three four" } } }))
        .state
    const playback: PlaybackState = { currentItemId: "gemini_item_2", currentItemContentIndex: 0, elapsedMs: 50 }
    const step = accepted(send(playing, SendEvent.Interrupt.make({}), playback))
    expect(step.frames).toEqual([])
    expect(step.events).toEqual([{ _tag: "AudioInterrupted", itemId: "gemini_item_2", contentIndex: 0 }])
    expect(step.verdicts).toEqual([{ _tag: "PlaybackInterrupted", itemId: "gemini_item_2" }])
    expect(step.state.interruption).toEqual({ itemId: "gemini_item_2", heardMs: 50, receivedMs: 100 })
    const after = feed(
      step.state,
      modelAudio(240),
      { serverContent: { outputTranscription: { text: " five" } } },
      { serverContent: { turnComplete: true } }
    )
    expect(after[0]?.events).toEqual([])
    expect(after[1]?.events).toEqual([])
    // half the audio was heard: the history keeps half the words
    expect(last(after).state.history).toEqual([{ role: "model", text: "one two" }])
  })

  it("Interrupt with playbackOnly does the same (nothing to cancel); cancelResponseOnly is refused", () => {
    const playing = last(feed(ready(), modelAudio(240))).state
    const playback: PlaybackState = { currentItemId: "gemini_item_2", currentItemContentIndex: 0, elapsedMs: 5 }
    const step = accepted(send(playing, SendEvent.Interrupt.make({ playbackOnly: true }), playback))
    expect(step.events).toEqual([{ _tag: "AudioInterrupted", itemId: "gemini_item_2", contentIndex: 0 }])
    expect(feed(step.state, modelAudio(240))[0]?.events).toEqual([])
    const refusal = refused(
      send(playing, SendEvent.Interrupt.make({ cancelResponseOnly: true, responseId: "gemini_resp_1" }), playback)
    )
    expect(refusal.eventTag).toBe("Interrupt")
  })

  it("Interrupt scoped to another response: the item playing goes on, nothing is dropped", () => {
    const playing = last(feed(ready(), modelAudio(240))).state
    const playback: PlaybackState = { currentItemId: "gemini_item_2", currentItemContentIndex: 0, elapsedMs: 5 }
    const step = accepted(send(playing, SendEvent.Interrupt.make({ responseId: "gemini_resp_9" }), playback))
    expect(step.events).toEqual([])
    expect(step.verdicts).toEqual([])
    expect(step.state.turn?.muted).toBe(false)
    const named = accepted(send(playing, SendEvent.Interrupt.make({ responseId: "gemini_resp_1" }), playback))
    expect(named.events).toEqual([{ _tag: "AudioInterrupted", itemId: "gemini_item_2", contentIndex: 0 }])
    expect(named.state.turn?.muted).toBe(true)
  })

  it("Interrupt with nothing playing yet: no AudioInterrupted, the turn in flight is dropped", () => {
    const generating = last(feed(ready(), modelAudio(240))).state
    const step = accepted(send(generating, SendEvent.Interrupt.make({}), idle))
    expect(step.events).toEqual([])
    expect(step.state.turn?.muted).toBe(true)
  })

  it("SessionUpdate: instructions and tools through contextUpdate", () => {
    const step = accepted(send(
      ready({ instructions: "Be brief." }),
      SendEvent.SessionUpdate.make({
        sessionSettings: { instructions: "Be thorough.", tools: [{ name: "lookup", parameters: { type: "object" } }] }
      })
    ))
    expect(framesOf(step)).toEqual([{
      contextUpdate: {
        systemInstruction: { parts: [{ text: "Be thorough." }], role: "user" },
        tools: { tools: [{ functionDeclarations: [{ name: "lookup", parametersJsonSchema: { type: "object" } }] }] }
      }
    }])
    expect(step.state.settings.instructions).toBe("Be thorough.")
  })

  it("SessionUpdate of a setting the setup fixes is refused; the same value, or an audio format, is not", () => {
    const state = ready({ voice: "Kore" })
    const refusal = refused(send(state, SendEvent.SessionUpdate.make({ sessionSettings: { voice: "Puck" } })))
    expect(refusal.message).toContain("generationConfig")
    const same = accepted(send(state, SendEvent.SessionUpdate.make({ sessionSettings: { voice: "Kore" } })))
    expect(same.frames).toEqual([])
    const format = accepted(
      send(state, SendEvent.SessionUpdate.make({ sessionSettings: { inputAudioFormat: "g711_alaw" } }))
    )
    expect(format.frames).toEqual([])
    expect(format.state.inputAudio.format).toBe("g711_alaw")
    refused(send(state, SendEvent.SessionUpdate.make({ sessionSettings: { toolChoice: "none" } })))
  })

  it("RawMessage: passed through as one key and its body", () => {
    const step = accepted(send(
      ready(),
      SendEvent.RawMessage.make({ type: "realtimeInput", otherData: { text: "hello" } })
    ))
    expect(framesOf(step)).toEqual([{ realtimeInput: { text: "hello" } }])
  })
})
