import { describe, expect, it } from "@effect/vitest"
import { interruptedLines, nothingYet, progressBar, summaryLines } from "../../src/internal/cli/render.js"

describe("the progress bar", () => {
  it("shows audio played against how much will be played", () => {
    expect(progressBar(600, 1500, 10)).toBe("[####......] 0.6 s / 1.5 s")
    expect(progressBar(1500, 1500, 10)).toBe("[##########] 1.5 s / 1.5 s")
  })

  it("shows no total while it is not known", () => {
    expect(progressBar(600, null, 4)).toBe("[~~~~] 0.6 s")
  })
})

describe("the summary", () => {
  it("says what happened: tokens once the server reported usage, latency once audio came", () => {
    const lines = summaryLines({
      ...nothingYet,
      turns: 1,
      audioReceivedMs: 2000,
      audioPlayedMs: 500.4,
      tokens: { input: 3, output: 40, total: 43 },
      firstAudioLatencyMs: 120,
      errors: [{ type: "server_error", message: "boom" }]
    })
    expect(lines).toEqual([
      "",
      "summary",
      "  turns:                    1",
      "  audio received / played:  2000 ms / 500 ms",
      "  tokens (in / out / total): 3 / 40 / 43",
      "  latency to first audio:   120 ms",
      `  server error:             {"type":"server_error","message":"boom"}`
    ])
  })

  it("says n/a for what did not happen, and an interrupted session says so first", () => {
    expect(interruptedLines(nothingYet)).toEqual([
      "",
      "interrupted",
      "",
      "summary",
      "  turns:                    0",
      "  audio received / played:  0 ms / 0 ms",
      "  tokens (in / out / total): n/a (the server reported no usage)",
      "  latency to first audio:   n/a"
    ])
  })
})
