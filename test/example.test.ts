import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { defaultReply } from "../src/RealtimeServer.js"
import { root, runCli } from "./cli/subprocess.js"

/** The example as the README shows it: the program without its file comment, importing the package's entries. */
const exampleAsShown = readFileSync(join(root, "scratchpad/agent.ts"), "utf8")
  .replace(/^\/\*\*[\s\S]*?\*\/\n/, "")
  .replaceAll("\"../src/index.js\"", "\"effect-realtime\"")
  .replaceAll("\"../src/testing.js\"", "\"effect-realtime/testing\"")
  .replaceAll("\"../src/node.js\"", "\"effect-realtime/node\"")

/** The README's testing example: test/readme/testing.test.ts, importing the package's entries. */
const testingAsShown = readFileSync(join(root, "test/readme/testing.test.ts"), "utf8")
  .replaceAll("\"../../src/index.js\"", "\"effect-realtime\"")
  .replaceAll("\"../../src/testing.js\"", "\"effect-realtime/testing\"")

describe("the README example", () => {
  it("is shown in the README verbatim, and so is the testing example", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    expect(exampleAsShown.startsWith("import ")).toBe(true)
    expect(exampleAsShown).toContain("import { RealtimeServer } from \"effect-realtime/testing\"")
    expect(exampleAsShown).toContain("import { NodeRealtimeWebSocket } from \"effect-realtime/node\"")
    expect(readme).toContain("```ts\n" + exampleAsShown + "```")
    expect(testingAsShown).toContain("from \"effect-realtime\"")
    expect(testingAsShown).toContain("import { RealtimeTesting } from \"effect-realtime/testing\"")
    // no path into the repository is left in what the README shows
    expect(`${exampleAsShown}${testingAsShown}`).not.toContain("src/")
    expect(readme).toContain("```ts\n" + testingAsShown + "```")
  })

  it.live(
    "runs against the embedded server: a reply with a tool call, a barge-in, and a clean end",
    () =>
      Effect.gen(function*() {
        const run = yield* runCli([], { script: "scratchpad/agent.ts" })
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" })
        const lines = run.stdout.trimEnd().split("\n")
        expect(lines.slice(0, 4)).toEqual([
          "user: What's the weather in Oslo?",
          "tool call: get_weather(Oslo)",
          "assistant: Here is what I found: {\"celsius\":-4}.",
          "user: Tell me about the northern lights."
        ])
        expect(lines[4]).toMatch(/^barge-in: item \S+ truncated at what was heard$/)
        const interrupted = /^assistant \(interrupted\): (.+)$/.exec(lines[5] ?? "")?.[1] ?? ""
        // what streamed before the barge-in: the start of the reply, not all of it
        expect(interrupted.length).toBeGreaterThan(0)
        expect(interrupted.length).toBeLessThan(defaultReply.length)
        expect(defaultReply.startsWith(interrupted)).toBe(true)
        expect(lines).toHaveLength(6)
      }),
    30_000
  )
})
