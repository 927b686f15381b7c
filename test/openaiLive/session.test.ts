/**
 * Session settings → `session.start`: the defaults, every setting's mapping, the settings refused
 * (a typed `InvalidConfig`) and the ones ignored with a note; a fork's start; `session.update` for
 * the backend's settings, and the settings a running session refuses to change. Every expected
 * frame is written as the `openai` package's `ClientEvent` (checked when the tests compile).
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Live from "openai/resources/live/live"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Send from "../../src/internal/openaiLive/send.js"
import * as Session from "../../src/internal/openaiLive/session.js"
import { defaultOptions } from "../../src/internal/openaiLive/state.js"
import { idle } from "../../src/PlaybackTracker.js"
import { RealtimeConnectError } from "../../src/RealtimeError.js"
import * as SendEvent from "../../src/RealtimeModelSendEvent.js"
import { accepted, framesOf, initial, options, ready, refused, settings } from "./support.js"

const opened = (input: Parameters<typeof initial>[0], change: Parameters<typeof initial>[1] = {}) =>
  Protocol.open(initial(input, change))

describe("session.start", () => {
  it("with no settings: the default model, 24 kHz PCM16, the application as delegate", () => {
    const open = opened({})
    expect(framesOf(open)).toEqual([
      {
        type: "session.start",
        session: {
          model: "gpt-live-1",
          audio: { format: { type: "audio/pcm", rate: 24000 } },
          delegation: { type: "client" }
        }
      } satisfies Live.ClientEvent
    ])
    expect(open.forkOf).toBeNull()
    expect(open.restoredBy).toBe("nothing")
    expect(open.notes).toEqual([])
  })

  it("maps the model, instructions, voice and a G.711 format, and the provider's options", () => {
    const open = opened(
      { modelName: "gpt-live-1-mini", instructions: "Be brief.", voice: "cedar", inputAudioFormat: "g711_ulaw" },
      { store: true, safetyIdentifier: "user-42", acknowledgementDelayMs: 250 }
    )
    expect(framesOf(open)).toEqual([
      {
        type: "session.start",
        session: {
          model: "gpt-live-1-mini",
          instructions: "Be brief.",
          audio: { format: { type: "audio/pcmu", rate: 8000 }, output: { voice: "cedar" } },
          delegation: { type: "client", acknowledgement_delay_ms: 250 },
          store: true,
          safety_identifier: "user-42"
        }
      } satisfies Live.ClientEvent
    ])
    expect(open.state.format).toBe("g711_ulaw")
  })

  it("a custom voice and A-law output", () => {
    expect(framesOf(opened({ voice: { id: "voice_123" }, outputAudioFormat: "g711_alaw" }))).toEqual([
      {
        type: "session.start",
        session: {
          model: "gpt-live-1",
          audio: { format: { type: "audio/pcma", rate: 8000 }, output: { voice: { id: "voice_123" } } },
          delegation: { type: "client" }
        }
      } satisfies Live.ClientEvent
    ])
  })

  it("tools delegate to a Responses backend, with the backend's settings", () => {
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
    const open = opened(
      {
        tools: [{ name: "get_weather", description: "The weather now", parameters }],
        toolChoice: { type: "function", name: "get_weather" },
        parallelToolCalls: false,
        reasoning: { effort: "low" },
        maxOutputTokens: 800
      },
      { backendModel: "gpt-5.5", backendInstructions: "Answer with the tool's numbers." }
    )
    expect(framesOf(open)).toEqual([
      {
        type: "session.start",
        session: {
          model: "gpt-live-1",
          audio: { format: { type: "audio/pcm", rate: 24000 } },
          delegation: {
            type: "responses",
            responses: {
              model: "gpt-5.5",
              instructions: "Answer with the tool's numbers.",
              tools: [{ type: "function", name: "get_weather", description: "The weather now", parameters }],
              tool_choice: { type: "function", name: "get_weather" },
              parallel_tool_calls: false,
              reasoning: { effort: "low" },
              max_output_tokens: 800
            }
          }
        }
      } satisfies Live.ClientEvent
    ])
  })

  it("tools without a backend model option use the default one; maxOutputTokens inf leaves the server's", () => {
    const open = opened({ tools: [{ name: "ping" }], maxOutputTokens: "inf" })
    expect(framesOf(open)[0]).toMatchObject({
      session: {
        delegation: {
          type: "responses",
          responses: { model: defaultOptions.backendModel, tools: [{ type: "function", name: "ping" }] }
        }
      }
    })
    expect(defaultOptions.backendModel).toBe("gpt-5.6")
  })

  it("notes the settings it ignores", () => {
    const open = opened({
      speed: 1.2,
      inputAudioTranscription: { model: "gpt-live-transcribe" },
      inputAudioNoiseReduction: { type: "near_field" },
      turnDetection: null,
      include: ["item.input_audio_transcription.logprobs"],
      truncation: "auto",
      tracing: "auto",
      reasoning: { effort: "high" }
    })
    expect(open.notes).toEqual([
      "speed: ignored, Live has no speech rate",
      "inputAudioTranscription: ignored, Live always transcribes the user and takes no transcription settings",
      "inputAudioNoiseReduction: ignored, Live has none",
      "turnDetection: ignored, the Live model detects the turns itself (it listens while it speaks)",
      "include: ignored, Live sends no logprobs",
      "truncation: ignored, Live compacts its context itself",
      "tracing: ignored, Live has no tracing setting",
      "reasoning: ignored, the session has no tools and so no Responses backend"
    ])
  })

  it("refuses what Live cannot do, naming every refused setting", () => {
    const refusal = Protocol.init(
      settings({
        prompt: { id: "pmpt_1" },
        outputModalities: ["text"],
        turnDetection: { type: "server_vad", createResponse: false, interruptResponse: false },
        inputAudioFormat: "pcm16",
        outputAudioFormat: "g711_ulaw",
        tools: [{ type: "mcp", serverLabel: "docs", serverUrl: "https://mcp.example" }],
        toolChoice: { type: "mcp", serverLabel: "docs" }
      }),
      defaultOptions
    )
    expect(refusal).toBeInstanceOf(RealtimeConnectError)
    if (!(refusal instanceof RealtimeConnectError)) return
    expect(refusal.reason).toBe("InvalidConfig")
    for (
      const setting of [
        "prompt",
        "outputModalities",
        "turnDetection.createResponse",
        "turnDetection.interruptResponse",
        "inputAudioFormat",
        "tools (MCP",
        "toolChoice"
      ]
    ) {
      expect(refusal.message).toContain(setting)
    }
  })

  it("accepts text and audio output, which is what Live gives", () => {
    expect(Protocol.init(settings({ outputModalities: ["text", "audio"] }), defaultOptions)).not.toBeInstanceOf(
      RealtimeConnectError
    )
  })

  it("a new session after an earlier one carries the conversation as its startup history", () => {
    const history = [{ role: "user" as const, text: "Hello" }, { role: "assistant" as const, text: "Hi there." }]
    const plan = Session.plan(settings({}), defaultOptions, history)
    expect(plan.session.input).toEqual(
      [
        { type: "message", role: "user", content: [{ type: "input_text", text: "Hello" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi there." }] }
      ] satisfies Array<Live.InitialItem>
    )
  })

  it("a stored session's next connection forks it, giving only its audio format", () => {
    const state = { ...ready({ inputAudioFormat: "g711_alaw" }, { store: true }), ready: false }
    const open = Protocol.open(state)
    expect(open.forkOf).toBe("live_sess_1")
    expect(open.restoredBy).toBe("fork")
    expect(open.state.forking).toBe(true)
    expect(framesOf(open)).toEqual([
      {
        type: "session.start",
        session: { audio: { format: { type: "audio/pcma", rate: 8000 } } }
      } satisfies Live.ForkSessionStartEvent
    ])
    // without `store`, the session's id is not used: a new session
    expect(Protocol.open(ready({})).forkOf).toBeNull()
  })
})

describe("session.update", () => {
  const tools = [{ name: "get_weather" }]

  it("changes the backend's tools and settings, sparsely", () => {
    const state = ready({ tools, reasoning: { effort: "low" } })
    const step = accepted(Send.send(
      state,
      SendEvent.SessionUpdate.make({
        sessionSettings: settings({ tools: [...tools, { name: "get_time" }], toolChoice: "required" })
      }),
      idle
    ))
    expect(framesOf(step)).toEqual([
      {
        type: "session.update",
        session: {
          delegation: {
            type: "responses",
            responses: {
              tools: [{ type: "function", name: "get_weather" }, { type: "function", name: "get_time" }],
              tool_choice: "required"
            }
          }
        }
      } satisfies Live.ClientEvent
    ])
    expect(step.state.settings.toolChoice).toBe("required")
  })

  it("a change to the same values sends nothing", () => {
    const state = ready({ tools })
    expect(
      framesOf(accepted(Send.send(state, SendEvent.SessionUpdate.make({ sessionSettings: settings({ tools }) }), idle)))
    )
      .toEqual([])
  })

  it("refuses a change of what the start fixes, and leaves the settings as they were", () => {
    const state = ready({ instructions: "Be brief.", tools })
    for (
      const [change, setting] of [
        [{ instructions: "Be long." }, "instructions"],
        [{ voice: "ash" }, "voice"],
        [{ modelName: "gpt-live-2" }, "modelName"],
        [{ inputAudioFormat: "g711_ulaw", outputAudioFormat: "g711_ulaw" }, "inputAudioFormat / outputAudioFormat"],
        [{ tools: [] }, "tools (whether the session has a backend)"]
      ] as const
    ) {
      const refusal = refused(
        Send.send(state, SendEvent.SessionUpdate.make({ sessionSettings: settings(change) }), idle)
      )
      expect(refusal.reason).toBe("InvalidEvent")
      expect(refusal.message).toContain(setting)
    }
    // a session without tools cannot gain a backend
    const plain = ready({})
    expect(
      refused(Send.send(plain, SendEvent.SessionUpdate.make({ sessionSettings: settings({ tools }) }), idle)).message
    )
      .toContain("tools")
  })

  it("with newSessionOnChange, a fixed setting's change is taken: the engine is asked for a new session, which starts with it", () => {
    const state = ready({ instructions: "Be brief." }, { store: true, newSessionOnChange: true })
    const step = accepted(
      Send.send(
        state,
        SendEvent.SessionUpdate.make({ sessionSettings: settings({ instructions: "Be thorough.", voice: "ash" }) }),
        idle
      )
    )
    expect(step.frames).toEqual([])
    expect(step.verdicts).toEqual([{ _tag: "NewSessionNeeded", settings: ["instructions", "voice"] }])
    expect(step.state.sessionId).toBeNull()
    // the next connection: a new session (not a fork of the old one) with the new settings
    const next = Protocol.open(step.state)
    expect(next.forkOf).toBeNull()
    expect(framesOf(next)).toMatchObject([{
      type: "session.start",
      session: { instructions: "Be thorough.", audio: { output: { voice: "ash" } }, store: true }
    }])
    // a setting Live refuses outright is refused all the same
    expect(
      refused(
        Send.send(state, SendEvent.SessionUpdate.make({ sessionSettings: settings({ prompt: { id: "p" } }) }), idle)
      )
        .message
    ).toContain("prompt")
  })

  it("a change the session ignores is taken with no frame", () => {
    const state = ready({})
    const step = accepted(
      Send.send(state, SendEvent.SessionUpdate.make({ sessionSettings: settings({ speed: 1.1 }) }), idle)
    )
    expect(step.frames).toEqual([])
    expect(step.state.settings.speed).toBe(1.1)
  })
})

describe("options", () => {
  it("the defaults", () => {
    expect(options()).toEqual({
      backendModel: "gpt-5.6",
      store: false,
      newSessionOnChange: false,
      quietMs: 800,
      yieldMs: 1000,
      historyLimit: 128,
      historyChars: 24_000
    })
  })
})
