/**
 * The scratchpad programs run: the scripted loop prints its transcript, and the production
 * example without a key ends with the typed error and exit code 1 (it needs OpenAI otherwise).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runCli } from "./cli/subprocess.js"

describe("scratchpad programs", () => {
  it.live("scripted.ts runs a turn against the scripted model and ends the stream", () =>
    Effect.gen(function*() {
      const run = yield* runCli([], { script: "scratchpad/scripted.ts" })
      expect(run.code).toBe(0)
      const transcript = run.stdout.split("\n").filter((line) => line.startsWith("  transcript: "))
        .map((line) => line.slice("  transcript: ".length)).join("")
      expect(transcript).toBe("Cold and clear, about minus four. ")
      expect(run.stdout.trim().split("\n").at(-1)).toBe("event: EndOfStream")
    }), 30_000)

  it.live(
    "production.ts without OPENAI_API_KEY fails with the missing-key error before dialling, exit code 1",
    () =>
      Effect.gen(function*() {
        const run = yield* runCli([], { script: "scratchpad/production.ts" })
        expect(run.code).toBe(1)
        const output = run.stdout + run.stderr
        expect(output).toMatch(/RealtimeConnectError: no API key for api\.openai\.com: set OPENAI_API_KEY/)
        expect(output).not.toContain("play ")
      }),
    30_000
  )

  it.live(
    "longCall.ts survives a drop and a rollover, and the listener's stream goes on",
    () =>
      Effect.gen(function*() {
        const run = yield* runCli([], { script: "scratchpad/longCall.ts" })
        expect(run.code).toBe(0)
        const lines = run.stdout.split("\n").filter((line) => !line.startsWith("["))
        expect(lines.filter((line) => line.length > 0)).toEqual([
          "user: Hello, my name is Ada.",
          "assistant: Nice to meet you, Ada.",
          "network: dropped 1 connection",
          "status: reconnecting",
          "reconnected (dropped) after 1 attempt(s): 2 items restored",
          "user: How is the weather?",
          "assistant: Sunny and mild.",
          "new session (rollover): 4 items carried over",
          "user: Do you still know my name?",
          "assistant: Yes, you are Ada.",
          "sessions opened: 3"
        ])
      }),
    30_000
  )
})
