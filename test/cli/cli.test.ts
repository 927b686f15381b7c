/**
 * The command's sessions, run in-process against real servers on 127.0.0.1: what it prints, the
 * files it writes, its exit codes, `--speed`, and what an interrupt reports.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import type { Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Wav from "../../src/internal/audio/Wav.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { expectInterruptedEmpty, expectInterruptedWithPartialWav, playedMs, readWav } from "./expectations.js"
import { runMain } from "./inProcess.js"
import { closedPort } from "./ports.js"

const scratch = mkdtempSync(join(tmpdir(), "effect-realtime-cli-"))

/** A TCP server that accepts connections and never answers them; `accepted` completes at the first. */
const silentServer = Effect.acquireRelease(
  Effect.gen(function*() {
    const accepted = yield* Deferred.make<void>()
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      Deferred.doneUnsafe(accepted, Effect.void)
    })
    const port = yield* Effect.callback<number>((resume) => {
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
      })
    })
    return { port, accepted: Deferred.await(accepted), server, sockets }
  }),
  ({ server, sockets }) =>
    Effect.callback<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
)

describe("command line sessions", () => {
  it.live("answers a text question, prints the transcript and writes the reply as a WAV file", () =>
    Effect.gen(function*() {
      const output = join(scratch, "reply.wav")
      const run = yield* runMain(["--text", "hello there", "--output", output, "--speed", "50"])
      expect(run.stderr).not.toContain("error:")
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toContain("user: hello there")
      expect(run.stdout).toContain("turns:                    1")
      expect(run.stdout).toMatch(/tokens \(in \/ out \/ total\): \d+ \/ \d+ \/ \d+/)
      const wav = readWav(output)
      expect(wav.sampleRate).toBe(24_000)
      const ms = playedMs(run.stdout)
      expect(ms).toBeGreaterThan(0)
      expect(Math.abs((wav.samples.length / 24) - ms)).toBeLessThanOrEqual(1)
      expect(run.stderr).toContain(`wrote ${output}`)
    }))

  it.live("--speed 1000 plays the reply a thousand times faster than real time", () =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const run = yield* runMain(["--text", "hello there", "--speed", "1000"])
      const took = (yield* Clock.currentTimeMillis) - start
      expect(run.exitCode).toBe(0)
      const ms = playedMs(run.stdout)
      // all of it played, in audio time, in far less wall time than the audio lasts
      expect(ms).toBeGreaterThan(5000)
      expect(took).toBeLessThan(ms / 3)
    }))

  it.live("reads a WAV input in another rate and encoding", () =>
    Effect.gen(function*() {
      const input = join(scratch, "question.wav")
      // one second of a 440 Hz tone at 16 kHz
      const samples = Int16Array.from({ length: 16_000 }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)))
      writeFileSync(input, Wav.encode(samples, 16_000))
      const run = yield* runMain(["--input", input, "--speed", "50"])
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toContain("user: (1000 ms of audio)")
      expect(run.stdout).toContain("turns:                    1")
    }))

  it.live("refuses a file that is not WAV audio with exit code 2", () =>
    Effect.gen(function*() {
      const input = join(scratch, "not-audio.wav")
      writeFileSync(input, "this is text, not audio")
      const run = yield* runMain(["--input", input])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain(`cannot read ${input} as WAV audio`)
    }))

  it.live("says why an --output could not be written: no space left on /dev/full", () =>
    Effect.gen(function*() {
      const run = yield* runMain(["--text", "hi", "--output", "/dev/full", "--speed", "50"])
      expect(run.exitCode).toBe(1)
      expect(run.stdout).toContain("summary")
      expect(run.stderr.trim().split("\n").filter((line) => line.startsWith("error:"))).toEqual([
        "error: could not write /dev/full: no space left on device"
      ])
    }))

  it.live("a refused connection prints its error and no conversation, with exit code 3", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const run = yield* runMain(["--url", `ws://127.0.0.1:${port}/v1/realtime`, "--text", "hi"], {
        env: { OPENAI_API_KEY: "sk-test-not-printed" }
      })
      expect(run.exitCode).toBe(3)
      expect(run.stdout).toBe("")
      expect(run.stderr).toMatch(new RegExp(`^error: .*${port}`))
      expect(run.stderr).not.toContain("sk-test-not-printed")
    }))
})

describe("command line interrupted", () => {
  it.live("while connecting: prints interrupted and the empty summary, no conversation, exit 130", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const run = yield* runMain(["--url", `ws://127.0.0.1:${server.port}/v1/realtime`, "--text", "hi"], {
        interruptOn: server.accepted
      })
      expect(run.exitCode).toBe(130)
      expectInterruptedEmpty(run.stdout)
    }))

  it.live("while playing: the summary says what happened, latency included, and the partial WAV is written", () =>
    Effect.gen(function*() {
      // the server sends the whole reply at once; playback takes its real time
      const server = yield* RealtimeServer.make({ speed: 1000 })
      const output = join(scratch, "partial.wav")
      const run = yield* runMain(["--url", server.url, "--text", "tell me a long story", "--output", output], {
        interruptWhen: /assistant:\n\S/
      })
      expect(run.exitCode).toBe(130)
      expectInterruptedWithPartialWav(run.stdout, run.stderr, output)
      expect(run.stdout).toMatch(/latency to first audio:\s+\d+ ms/)
    }))
})
