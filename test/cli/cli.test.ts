import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Wav from "../../src/internal/audio/Wav.js"
import { runCli } from "./subprocess.js"

const scratch = mkdtempSync(join(tmpdir(), "effect-realtime-cli-"))

/** A port with nothing listening on it: bound by the OS, then released. */
const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const playedMs = (stdout: string): number => {
  const match = /audio received \/ played:\s+(\d+) ms \/ (\d+) ms/.exec(stdout)
  return match === null ? Number.NaN : Number(match[2])
}

const readWav = (path: string) => {
  const decoded = Wav.decode(new Uint8Array(readFileSync(path)))
  if (Result.isFailure(decoded)) throw new Error(decoded.failure.message)
  return decoded.success
}

describe("command line", () => {
  it.live(
    "answers a text question, prints the transcript and writes the reply as a WAV file",
    () =>
      Effect.gen(function*() {
        const output = join(scratch, "reply.wav")
        const run = yield* runCli(["--text", "hello there", "--output", output, "--speed", "20"])
        expect(run.stderr).not.toContain("error:")
        expect(run.code).toBe(0)
        expect(run.stdout).toContain("user: hello there")
        expect(run.stdout).toContain("turns:                    1")
        const wav = readWav(output)
        expect(wav.sampleRate).toBe(24_000)
        const ms = playedMs(run.stdout)
        expect(ms).toBeGreaterThan(0)
        expect(Math.abs((wav.samples.length / 24) - ms)).toBeLessThanOrEqual(1)
      }),
    60_000
  )

  it.live(
    "with no arguments runs the offline demo: question, answer, barge-in, truncated result",
    () =>
      Effect.gen(function*() {
        const run = yield* runCli([])
        expect(run.code).toBe(0)
        expect(run.stdout).toContain("user: Tell me something about the northern lights.")
        expect(run.stdout).toMatch(/barge-in:\s+item \S+ truncated at 1500 ms/)
        expect(run.stdout).toMatch(/transcript as heard:\s+"/)
        expect(playedMs(run.stdout)).toBe(1500)
      }),
    60_000
  )

  it.live("reads a WAV input in another rate and encoding", () =>
    Effect.gen(function*() {
      const input = join(scratch, "question.wav")
      // one second of a 440 Hz tone at 16 kHz
      const samples = Int16Array.from({ length: 16_000 }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)))
      writeFileSync(input, Wav.encode(samples, 16_000))
      const run = yield* runCli(["--input", input, "--speed", "20"])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain("user: (1000 ms of audio)")
      expect(run.stdout).toContain("turns:                    1")
    }), 60_000)

  it.live("refuses a file that is not WAV audio with exit code 2", () =>
    Effect.gen(function*() {
      const input = join(scratch, "not-audio.wav")
      writeFileSync(input, "this is text, not audio")
      const run = yield* runCli(["--input", input])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`cannot read ${input} as WAV audio`)
    }), 60_000)

  it.live("refuses bad arguments with one error line and exit code 2", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["--speed", "fast"])
      expect(run.code).toBe(2)
      expect(run.stderr.trim().split("\n")).toHaveLength(1)
      expect(run.stderr).toMatch(/^error: .*--speed/)
      expect(run.stdout).toBe("")
    }), 60_000)

  it.live("refuses a missing input file with exit code 2", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["--input", join(scratch, "nowhere.wav")])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain("cannot read")
    }), 60_000)

  it.live("says so when the server cannot be reached, with exit code 3", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const run = yield* runCli(["--url", `ws://127.0.0.1:${port}/v1/realtime`, "--text", "hi"], {
        env: { OPENAI_API_KEY: "sk-test-not-printed" }
      })
      expect(run.code).toBe(3)
      expect(run.stderr).toContain("error:")
      expect(run.stderr).toContain(String(port))
      expect(run.stderr + run.stdout).not.toContain("sk-test-not-printed")
    }), 60_000)

  it.live("asks for OPENAI_API_KEY when --live has none, with exit code 2", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["--live", "--text", "hi"])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain("OPENAI_API_KEY")
    }), 60_000)

  it.live("shuts down cleanly on Ctrl-C and leaves a valid partial WAV file", () =>
    Effect.gen(function*() {
      const output = join(scratch, "partial.wav")
      const run = yield* runCli(["--text", "tell me a long story", "--output", output], {
        interruptWhen: /assistant:\n\S/
      })
      expect(run.code).toBe(130)
      // an "interrupted" line, then the summary so far
      const lines = run.stdout.split("\n")
      const at = lines.indexOf("interrupted")
      expect(at).toBeGreaterThan(0)
      expect(lines.slice(at + 1)).toEqual(expect.arrayContaining(["summary", "  turns:                    1"]))
      expect(run.stdout).toMatch(/audio received \/ played:\s+\d+ ms \/ \d+ ms/)
      const wav = readWav(output)
      expect(wav.sampleRate).toBe(24_000)
      // the partial file holds what was played
      expect(Math.abs(wav.samples.length / 24 - playedMs(run.stdout))).toBeLessThanOrEqual(1)
      expect(run.stderr).toContain(`wrote ${output}`)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    }), 60_000)
})
