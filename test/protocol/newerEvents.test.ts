import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { fromFrame } from "../../src/internal/openai/newerEvents.js"
import { decodeServerFrame } from "../../src/internal/protocol/serverEvents.js"
import type { ServerFrame } from "../../src/internal/protocol/serverEvents.js"
import * as Event from "../../src/RealtimeModelEvent.js"
import { corpus } from "../support/protocolCorpus.js"

const exampleOf = (type: string): Record<string, unknown> => {
  const example = corpus.serverEvents.find((event) => event.type === type)?.examples[0]
  if (typeof example !== "object" || example === null) throw new Error(`the corpus has no example of ${type}`)
  return example as Record<string, unknown>
}

const known = (frame: ServerFrame) => {
  if (frame._tag !== "Known") throw new Error(`expected a known frame, got ${frame._tag}`)
  return frame.event
}

const mapped = (json: Record<string, unknown>): Event.RealtimeModelEvent | undefined =>
  fromFrame(known(decodeServerFrame(JSON.stringify(json))))

const expected: ReadonlyArray<readonly [string, Event.RealtimeModelEvent]> = [
  [
    "conversation.item.input_audio_transcription.delta",
    Event.InputAudioTranscriptionDelta.make({
      itemId: "item_CCXGQ4e1ht4cOraEYcuR2",
      contentIndex: 0,
      delta: "Hey",
      logprobs: null
    })
  ],
  [
    "conversation.item.input_audio_transcription.segment",
    Event.InputAudioTranscriptionSegment.make({
      itemId: "msg_011",
      contentIndex: 0,
      segmentId: "seg_0001",
      text: "hello",
      speaker: "spk_1",
      start: 0,
      end: 0.4
    })
  ],
  [
    "rate_limits.updated",
    Event.RateLimitsUpdated.make({
      rateLimits: [
        { name: "requests", limit: 1000, remaining: 999, resetSeconds: 60 },
        { name: "tokens", limit: 50000, remaining: 49950, resetSeconds: 60 }
      ]
    })
  ],
  [
    "response.mcp_call.in_progress",
    Event.McpCallStatus.make({ itemId: "mcp_call_001", outputIndex: 0, status: "in_progress" })
  ],
  [
    "response.mcp_call.completed",
    Event.McpCallStatus.make({ itemId: "mcp_call_001", outputIndex: 0, status: "completed" })
  ],
  ["response.mcp_call.failed", Event.McpCallStatus.make({ itemId: "mcp_call_001", outputIndex: 0, status: "failed" })],
  [
    "response.mcp_call_arguments.delta",
    Event.McpCallArgumentsDelta.make({
      responseId: "resp_001",
      itemId: "mcp_call_001",
      outputIndex: 0,
      delta: "{\"partial\":true}"
    })
  ],
  [
    "response.mcp_call_arguments.done",
    Event.McpCallArgumentsDone.make({
      responseId: "resp_001",
      itemId: "mcp_call_001",
      outputIndex: 0,
      arguments: "{\"q\":\"docs\"}"
    })
  ],
  [
    "mcp_list_tools.in_progress",
    Event.McpListToolsStatus.make({ itemId: "mcp_list_tools_001", status: "in_progress" })
  ],
  ["mcp_list_tools.completed", Event.McpListToolsStatus.make({ itemId: "mcp_list_tools_001", status: "completed" })],
  ["mcp_list_tools.failed", Event.McpListToolsStatus.make({ itemId: "mcp_list_tools_001", status: "failed" })]
]

describe("newer server events → typed model events", () => {
  it.each(expected)("maps the corpus example of %s", (type, event) => {
    expect(mapped(exampleOf(type))).toEqual(event)
    expect(Schema.decodeUnknownSync(Event.RealtimeModelEvent)(Schema.encodeSync(Event.RealtimeModelEvent)(event)))
      .toEqual(event)
  })

  it("maps a DTMF digit; the corpus's own example (a leading space in its type) stays unknown", () => {
    const example = exampleOf("input_audio_buffer.dtmf_event_received")
    expect(decodeServerFrame(JSON.stringify(example))).toMatchObject({
      _tag: "Unknown",
      type: " input_audio_buffer.dtmf_event_received"
    })
    expect(mapped({ ...example, type: "input_audio_buffer.dtmf_event_received" })).toEqual(
      Event.DtmfReceived.make({ digit: "9", receivedAt: 1763605109 })
    )
  })

  it("keeps logprobs and accepts null for optional fields", () => {
    const logprobs = [{ token: "Hey", logprob: -0.1, bytes: [72, 101, 121] }]
    expect(mapped({ ...exampleOf("conversation.item.input_audio_transcription.delta"), logprobs, content_index: null }))
      .toEqual(
        Event.InputAudioTranscriptionDelta.make({
          itemId: "item_CCXGQ4e1ht4cOraEYcuR2",
          contentIndex: null,
          delta: "Hey",
          logprobs
        })
      )
    expect(mapped({ type: "response.mcp_call.failed", event_id: "e", item_id: "mcp_2", output_index: null })).toEqual(
      Event.McpCallStatus.make({ itemId: "mcp_2", outputIndex: null, status: "failed" })
    )
  })

  it("leaves every other corpus event to the inbound mapper", () => {
    const newer = new Set([...expected.map(([type]) => type), "input_audio_buffer.dtmf_event_received"])
    const others = corpus.serverEvents.filter((event) => !newer.has(event.type))
    expect(others.length).toBeGreaterThan(30)
    for (const event of others) {
      for (const example of event.examples) {
        const frame = decodeServerFrame(JSON.stringify(example))
        if (frame._tag === "Known") expect(fromFrame(frame.event)).toBeUndefined()
      }
    }
  })

  it("reports a newer event that violates its schema as malformed, never as a typed event", () => {
    const frame = decodeServerFrame(JSON.stringify({ type: "rate_limits.updated", event_id: "e", rate_limits: "many" }))
    expect(frame._tag).toBe("Malformed")
  })
})
