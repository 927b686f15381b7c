/**
 * The hot-path frame check (one compiled Schema guard per event type) gives exactly the answer of
 * the protocol module's `decodeServerFrame`, on every documented example and on broken variants.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeServerFrame } from "../../src/internal/protocol/serverEvents.js"
import { decodeFrame } from "../../src/internal/realtime/decode.js"
import { corpus } from "../support/protocolCorpus.js"

/** Breaks a frame: each field in turn set to a value of the wrong kind, or removed. */
const variants = (example: Record<string, unknown>): Array<unknown> =>
  Object.keys(example).flatMap((key) => {
    const { [key]: _, ...without } = example
    return [{ ...example, [key]: 42 }, { ...example, [key]: "x" }, { ...example, [key]: null }, without]
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
})
