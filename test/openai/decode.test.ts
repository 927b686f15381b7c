/**
 * The hot-path frame check (a flat check read off the Schema for the deltas, one compiled Schema
 * guard for every other event type) gives exactly the answer of the protocol module's
 * `decodeServerFrame`, on every documented example and on broken variants.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { itemFromWire } from "../../src/internal/openai/convert.js"
import { decodeFrame, flatTypes } from "../../src/internal/openai/decode.js"
import * as Inbound from "../../src/internal/openai/inbound.js"
import * as State from "../../src/internal/openai/state.js"
import { decodeServerFrame } from "../../src/internal/protocol/serverEvents.js"
import { RealtimeItem } from "../../src/RealtimeItem.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import { corpus } from "../support/protocolCorpus.js"

/** Breaks a frame: each field in turn set to a value of each kind, or removed. */
const variants = (example: Record<string, unknown>): Array<unknown> =>
  Object.keys(example).flatMap((key) => {
    const { [key]: _, ...without } = example
    return [42, 1.5, "x", null, true, {}, []].map((value) => ({ ...example, [key]: value })).concat([without])
  })

describe("decodeFrame", () => {
  it.effect("agrees with decodeServerFrame on every documented example and on broken variants of them", () =>
    Effect.sync(() => {
      let checked = 0
      for (const event of corpus.serverEvents) {
        for (const example of event.examples) {
          for (const frame of [example, ...variants(example as Record<string, unknown>)]) {
            const text = JSON.stringify(frame)
            expect(decodeFrame(text)).toEqual(decodeServerFrame(text))
            checked++
          }
        }
      }
      for (const text of ["not json", "[1]", "{\"no\":\"type\"}", "{\"type\":7}", "{\"type\":\"some.future.event\"}"]) {
        expect(decodeFrame(text)).toEqual(decodeServerFrame(text))
      }
      expect(checked).toBeGreaterThan(500)
    }))

  it("checks the audio, transcript and text deltas with the flat check", () => {
    expect(flatTypes).toEqual(expect.arrayContaining([
      "response.output_audio.delta",
      "response.output_audio_transcript.delta",
      "response.output_text.delta"
    ]))
  })
})

describe("documented server events", () => {
  it("none is called unknown in the debug log: each is decoded, or passed on as Other by name", () => {
    // an example whose type is misspelt (see the corpus README) is unknown indeed
    const lines = corpus.serverEvents.flatMap((event) =>
      event.examples.filter((example) => (example as { type?: unknown }).type === event.type).map((example) => {
        const out: Array<RealtimeModelEvent> = []
        const handled = Inbound.handleFrame(State.make("pcm16"), JSON.stringify(example), 0, true, out)
        return [event.type, "debug" in handled ? handled.debug : undefined] as const
      })
    )
    expect(lines.length).toBeGreaterThan(40)
    expect(lines.filter(([, line]) => line?.startsWith("unknown") !== false)).toEqual([])
    expect(lines.find(([type]) => type === "response.content_part.added")?.[1]).toBe(
      "server event response.content_part.added (passed on as Other)"
    )
  })
})

/** The item of a checked item frame, as the model maps it (`None` for kinds it does not model). */
const itemOf = (frame: Record<string, unknown>) => {
  const decoded = decodeFrame(JSON.stringify(frame))
  if (decoded._tag !== "Known" || !("item" in decoded.event)) {
    throw new Error(`not a checked item frame: ${decoded._tag}`)
  }
  return itemFromWire(decoded.event.item, null)
}

const added = (item: Record<string, unknown>) => ({ type: "conversation.item.added", previous_item_id: null, item })

describe("items from item frames", () => {
  it.effect("every documented item frame maps to a valid RealtimeItem (or to none for unmodelled kinds)", () =>
    Effect.sync(() => {
      const isItem = Schema.is(RealtimeItem)
      let mapped = 0
      for (const event of corpus.serverEvents) {
        for (const example of event.examples) {
          const frame = example as Record<string, unknown>
          if (typeof frame["item"] !== "object" || decodeFrame(JSON.stringify(frame))._tag !== "Known") continue
          const item = itemOf(frame)
          const kind = (frame["item"] as Record<string, unknown>)["type"]
          expect(Option.isSome(item)).toBe(kind === "message" || kind === "function_call")
          if (Option.isSome(item)) {
            expect(isItem(item.value)).toBe(true)
            mapped++
          }
        }
      }
      expect(mapped).toBeGreaterThan(3)
    }))

  it.effect("every role and content part maps field by field, nulls for what the server left out", () =>
    Effect.sync(() => {
      expect(itemOf(added({
        id: "item_u",
        type: "message",
        role: "user",
        status: "completed",
        content: [
          { type: "input_text", text: "hi" },
          { type: "input_audio", transcript: null },
          { type: "input_image", image_url: "data:image/png;base64,AA", detail: "low" }
        ]
      }))).toEqual(Option.some({
        _tag: "UserMessage",
        itemId: "item_u",
        previousItemId: null,
        status: "completed",
        content: [
          { _tag: "InputText", text: "hi" },
          { _tag: "InputAudio", audio: null, transcript: null },
          { _tag: "InputImage", imageUrl: "data:image/png;base64,AA", detail: "low" }
        ]
      }))
      expect(itemOf(added({
        type: "message",
        role: "assistant",
        content: [{ type: "output_audio", transcript: "ok" }, { type: "output_text", text: "ok" }, { type: "audio" }]
      }))).toEqual(Option.some({
        _tag: "AssistantMessage",
        itemId: "",
        previousItemId: null,
        status: null,
        content: [
          { _tag: "OutputAudio", audio: null, transcript: "ok" },
          { _tag: "OutputText", text: "ok" },
          { _tag: "OutputAudio", audio: null, transcript: null }
        ]
      }))
      expect(
        itemOf(
          added({ id: "item_s", type: "message", role: "system", content: [{ type: "input_text", text: "be brief" }] })
        )
      )
        .toEqual(Option.some({
          _tag: "SystemMessage",
          itemId: "item_s",
          previousItemId: null,
          status: null,
          content: [{ _tag: "InputText", text: "be brief" }]
        }))
      for (
        const [status, expected] of [["completed", "completed"], ["in_progress", "in_progress"], [null, "in_progress"]]
      ) {
        expect(
          itemOf(added({ id: "item_f", type: "function_call", status, call_id: "call_1", name: "f", arguments: "{}" }))
        )
          .toEqual(Option.some({
            _tag: "ToolCall",
            itemId: "item_f",
            previousItemId: null,
            callId: "call_1",
            name: "f",
            arguments: "{}",
            status: expected,
            output: null
          }))
      }
      expect(itemOf(added({ id: "item_o", type: "function_call_output", call_id: "call_1", output: "1" }))).toEqual(
        Option.none()
      )
      expect(itemOf(added({ id: "item_m", type: "mcp_call", name: "x" }))).toEqual(Option.none())
    }))

  it.effect("an optional field may be absent or null, never a value of the wrong kind", () =>
    Effect.sync(() => {
      const frame = { type: "response.output_audio.delta", response_id: "r", item_id: "i", content_index: 0, delta: "" }
      expect(decodeFrame(JSON.stringify(frame))._tag).toBe("Known")
      expect(decodeFrame(JSON.stringify({ ...frame, event_id: null, output_index: null }))._tag).toBe("Known")
      expect(decodeFrame(JSON.stringify({ ...frame, event_id: "e", output_index: 0 }))._tag).toBe("Known")
      expect(decodeFrame(JSON.stringify({ ...frame, output_index: "0" }))._tag).toBe("Malformed")
    }))
})
