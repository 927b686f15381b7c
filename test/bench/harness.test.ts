import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

const runSmoke = Effect.callback<{ code: number | null; stdout: string; stderr: string }>((resume) => {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "scratchpad/bench/main.ts", "--smoke"], {
    cwd: root
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  return Effect.sync(() => child.kill("SIGKILL"))
})

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
      const run = yield* runSmoke
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
    }), 120_000)
})
