import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Idle from "../../scratchpad/bench/Idle.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

const runBench = (args: ReadonlyArray<string>) =>
  Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "scratchpad/bench/main.ts", ...args], {
      cwd: root
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const idleRows = [
  "floor (ws + JSON.parse + base64)",
  "@openai/agents-realtime",
  "effect-realtime, made, not connected (1 listener)",
  "effect-realtime, connected, no listener",
  "effect-realtime, connected, 1 listener",
  "effect-realtime, connected, 1 listener, keepalive off",
  "effect-realtime, connected, 1 listener, run by tsx"
]

/** The cells of the markdown row of `name` in `section`, trimmed, without the name. */
const cellsOf = (section: string, name: string): ReadonlyArray<string> | undefined =>
  section.split("\n").find((line) => line.startsWith(`| ${name} |`))?.split("|").slice(2, -1).map((cell) => cell.trim())

const sectionOf = (stdout: string, title: string): string => stdout.slice(stdout.indexOf(title)).split("###")[0] ?? ""

const consumers = [
  "floor (ws + JSON.parse + base64)",
  "@openai/agents-realtime",
  "openai (OpenAIRealtimeWS)",
  "effect-realtime (1 listener)",
  "effect-realtime (8 listeners)"
]

describe("benchmark harness", () => {
  it.live("runs a tiny workload and prints a row with figures for every consumer", () =>
    Effect.gen(function*() {
      const run = yield* runBench(["--smoke"])
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^machine: node v\d+/m)
      for (const workload of ["(a) audio burst", "(b) conversation mix", "(d) 4 concurrent connections"]) {
        const section = run.stdout.slice(run.stdout.indexOf(workload)).split("###")[0] ?? ""
        for (const consumer of consumers) {
          const row = section.split("\n").find((line) => line.startsWith(`| ${consumer} |`))
          expect(row, `${workload}: ${consumer}`).toBeDefined()
          const eventsPerSecond = Number(row?.split("|")[2]?.trim())
          expect(eventsPerSecond, `${workload}: ${consumer}`).toBeGreaterThan(0)
        }
      }
      expect(run.stdout).toMatch(/\| effect-realtime \(1 listener\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|/)

      // (f): Gemini's frames, against the floor of the same frames
      const gemini = sectionOf(run.stdout, "(f) Gemini Live audio burst: 200 ×")
      for (const name of ["floor (ws + JSON.parse + base64)", "effect-realtime GeminiLive (1 listener)"]) {
        expect(Number(cellsOf(gemini, name)?.[0]), name).toBeGreaterThan(0)
      }
      expect(cellsOf(gemini, "floor (ws + JSON.parse + base64)")?.[1]).toBe("1.00")

      const idle = sectionOf(run.stdout, "(e) 20 idle calls at once")
      for (const name of idleRows) {
        const heapPerCall = Number(cellsOf(idle, name)?.[0])
        expect(heapPerCall, name).toBeGreaterThan(0)
      }
      const check = sectionOf(run.stdout, "(e) idle check: 10 idle effect-realtime calls")
      const pings = check.split("\n").filter((line) => /^\| [\d.]+ \|/.test(line)).map((line) =>
        Number(line.split("|")[1])
      )
      // a first reading, then one each time every call has pinged 5 more times, up to 10
      expect(pings).toHaveLength(3)
      expect(pings[0]).toBe(0)
      expect(pings[1]).toBeGreaterThanOrEqual(5)
      expect(pings[2]).toBeGreaterThanOrEqual(10)
    }), 180_000)

  it.live("measures a row of (e) in a process of its own, the sources run as built", () =>
    Effect.gen(function*() {
      const floorRow = Idle.variants.findIndex((variant) => variant.consumer.name.startsWith("floor"))
      expect(Idle.variants[floorRow]?.runtime).toBe("build")
      const cost = yield* Idle.inChild(floorRow, 200)
      // two connected ws sockets per call (both ends in that process), about 8 KB; a few calls'
      // worth of GC noise is spread over 200, so more than half of that must show
      expect(cost.heapPerCall).toBeGreaterThan(4096)
      expect(cost.heapPerCall).toBeLessThan(32_768)
      expect(Number.isFinite(cost.rssPerCall)).toBe(true)
    }), 60_000)
})
