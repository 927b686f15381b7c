import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeClientFrame } from "../../src/internal/protocol/clientEvents.js"
import { corpus } from "../support/protocolCorpus.js"

describe("the embedded server's check of client frames", () => {
  const examples = corpus.clientEvents.flatMap((event) =>
    event.examples.map((example) => [event.type, example] as const)
  )

  it.each(examples)("accepts the documented %s example", (_, example) => {
    const decoded = decodeClientFrame(JSON.stringify(example))
    expect(Result.isSuccess(decoded) ? "accepted" : decoded.failure.message).toBe("accepted")
  })

  it.each([
    ["not JSON", "{", undefined],
    ["no type", "{\"event_id\":\"e1\"}", "e1"],
    ["unknown type", "{\"type\":\"response.explode\",\"event_id\":\"e2\"}", "e2"],
    ["append without audio", "{\"type\":\"input_audio_buffer.append\",\"event_id\":\"e3\"}", "e3"],
    [
      "truncate with a string audio_end_ms",
      "{\"type\":\"conversation.item.truncate\",\"event_id\":\"e4\",\"item_id\":\"i\",\"content_index\":0,\"audio_end_ms\":\"5\"}",
      "e4"
    ]
  ])("refuses %s, keeping the event id", (_, text, eventId) => {
    const decoded = decodeClientFrame(text)
    expect(Result.isFailure(decoded)).toBe(true)
    if (Result.isFailure(decoded)) {
      expect(decoded.failure.eventId).toBe(eventId)
      expect(decoded.failure.message.length).toBeGreaterThan(10)
    }
  })
})
