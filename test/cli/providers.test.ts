/**
 * `--provider gemini`: the offline demo, a text question and a WAV question on the embedded
 * server's Gemini front-end through `GeminiLive`, and `--url` to a Gemini server with the key from
 * `GEMINI_API_KEY` / `GOOGLE_API_KEY` (a wrong one refused); `--provider openai-live`: the offline
 * demo on the Live front-end. The refusals that need no server (unknown provider, `--live` without
 * a key) are in `contract.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Wav from "../../src/internal/audio/Wav.js"
import { demoBargeInMs, demoQuestion } from "../../src/internal/cli/program.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { playedMs } from "./expectations.js"
import { runMain } from "./inProcess.js"
import { closedPort } from "./ports.js"
import { runCli } from "./subprocess.js"

const scratch = mkdtempSync(join(tmpdir(), "effect-realtime-providers-"))

/** The reply's transcript as printed between `assistant:` and the summary. */
const replyOf = (stdout: string): string => {
  const match = /assistant:\n([\s\S]*?)\n\nsummary/.exec(stdout)
  return match === null ? "" : match[1]!
}

describe("--provider", () => {
  it.live(
    "runs the offline demo on the embedded Gemini server: question, streamed reply, barge-in, summary",
    () =>
      Effect.gen(function*() {
        const run = yield* runMain(["--provider", "gemini", "--speed", "20"])
        expect(run.exitCode).toBe(0)
        expect(run.stderr).toMatch(
          /^embedded realtime server on ws:\/\/127\.0\.0\.1:\d+\/ws\/google\.ai\.generativelanguage\.v1beta\.GenerativeService\.BidiGenerateContent\n$/
        )
        expect(run.stdout).toContain(`user: ${demoQuestion}\nassistant:\n`)
        const reply = replyOf(run.stdout)
        expect(reply).toMatch(/^The northern lights/)
        expect(run.stdout).toContain("  turns:                    1")
        // played up to the barge-in, not a sample more; more than that had arrived
        expect(playedMs(run.stdout)).toBe(demoBargeInMs)
        const received = Number(/audio received \/ played:\s+(\d+) ms/.exec(run.stdout)?.[1])
        expect(received).toBeGreaterThan(demoBargeInMs)
        expect(run.stdout).toMatch(new RegExp(`barge-in: +item gemini_item_\\d+ truncated at ${demoBargeInMs} ms`))
        // the client's cut of what had streamed: a non-empty prefix of the reply, at a whole word
        const heard = JSON.parse(/transcript as heard: +\(estimated\) (".*")$/m.exec(run.stdout)?.[1] ?? "\"\"")
        expect(heard.length).toBeGreaterThan(0)
        expect(reply.startsWith(heard)).toBe(true)
        expect(reply.length).toBeGreaterThan(heard.length)
        expect(run.stdout).not.toContain("server error:")
      }),
    60_000
  )

  it.live(
    "runs the offline demo on the embedded OpenAI Live server: question, streamed reply, barge-in, summary",
    () =>
      Effect.gen(function*() {
        const run = yield* runMain(["--provider", "openai-live", "--speed", "20"])
        expect(run.exitCode).toBe(0)
        expect(run.stderr).toMatch(/^embedded realtime server on ws:\/\/127\.0\.0\.1:\d+\/v1\/live\/sessions\n$/)
        expect(run.stdout).toContain(`user: ${demoQuestion}\nassistant:\n`)
        const reply = replyOf(run.stdout)
        expect(reply).toMatch(/^The northern lights/)
        // played up to the barge-in, not a sample more; more than that had arrived
        expect(playedMs(run.stdout)).toBe(demoBargeInMs)
        expect(run.stdout).toMatch(new RegExp(`barge-in: +item live_item_\\d+ truncated at ${demoBargeInMs} ms`))
        expect(run.stdout).not.toContain("server error:")
      }),
    60_000
  )

  it.live("answers a text question in full, with the usage Gemini reports", () =>
    Effect.gen(function*() {
      const run = yield* runMain(["--provider", "gemini", "--text", "hello there", "--speed", "50"])
      expect(run.exitCode).toBe(0)
      expect(replyOf(run.stdout)).toMatch(/^Let me think about "hello there"\./)
      const ms = playedMs(run.stdout)
      expect(ms).toBeGreaterThan(1000)
      expect(run.stdout).toContain(`audio received / played:  ${ms} ms / ${ms} ms`)
      expect(run.stdout).toMatch(/tokens \(in \/ out \/ total\): [1-9]\d* \/ [1-9]\d* \/ [1-9]\d*/)
      expect(run.stdout).not.toContain("barge-in:")
    }), 60_000)

  it.live(
    "answers a WAV question: the audio turn is sent and answered without response.create",
    () =>
      Effect.gen(function*() {
        const input = join(scratch, "question.wav")
        // one second of a 440 Hz tone at 16 kHz
        const samples = Int16Array.from(
          { length: 16_000 },
          (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000))
        )
        writeFileSync(input, Wav.encode(samples, 16_000))
        const run = yield* runMain(["--provider", "gemini", "--input", input, "--speed", "50"])
        expect(run.exitCode).toBe(0)
        expect(run.stdout).toContain("user: (1000 ms of audio)")
        expect(run.stdout).toContain("  turns:                    1")
        expect(playedMs(run.stdout)).toBeGreaterThan(0)
      }),
    60_000
  )

  it.live(
    "--url: a Gemini server gets the key from GOOGLE_API_KEY (GEMINI_API_KEY first), a wrong one ends with exit 3",
    () =>
      Effect.gen(function*() {
        const server = yield* RealtimeServer.make({
          apiKey: Redacted.make("g-right-key"),
          rules: [{ match: "ping", reply: "Pong, from Gemini." }]
        })
        const ok = yield* runMain([
          "--provider",
          "gemini",
          "--url",
          server.geminiUrl,
          "--text",
          "ping",
          "--speed",
          "20"
        ], {
          env: { GOOGLE_API_KEY: "g-right-key" }
        })
        expect(ok.stderr).toBe("")
        expect(ok.exitCode).toBe(0)
        expect(replyOf(ok.stdout)).toBe("Pong, from Gemini.")
        const refused = yield* runMain(["--provider", "gemini", "--url", server.geminiUrl, "--text", "ping"], {
          env: { GEMINI_API_KEY: "g-wrong-key", GOOGLE_API_KEY: "g-right-key" }
        })
        // Gemini takes the upgrade and closes at the setup (1007), as Google does: the connect fails there
        expect(refused.exitCode).toBe(3)
        expect(refused.stdout).not.toContain("summary")
        expect(refused.stderr.trim().split("\n").filter((line) => line.startsWith("error:"))).toEqual([
          "error: the session was not set up: the server closed the connection (code 1007: API key not valid. Please pass a valid API key.)"
        ])
        expect(refused.stderr).not.toContain("g-wrong-key")
      }),
    60_000
  )

  it.live(
    "a connection the server drops mid-reply ends the session with its error and exit 3, on either protocol",
    () =>
      Effect.gen(function*() {
        // setupComplete, a few frames of the reply, then the close
        const server = yield* RealtimeServer.make({ faults: { closeAfterEvents: 6 } })
        for (const [provider, url] of [["gemini", server.geminiUrl], ["openai", server.url]] as const) {
          const run = yield* runMain(["--provider", provider, "--url", url, "--text", "hello there", "--speed", "20"])
          expect({ provider, exitCode: run.exitCode }).toEqual({ provider, exitCode: 3 })
          expect(run.stdout).not.toContain("summary")
          expect(run.stderr).toMatch(/^error: the connection dropped/m)
        }
      }),
    60_000
  )

  it.live(
    "openai-live dials with OpenAILive: a --url nobody listens on is unreachable, exit 3",
    () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const run = yield* runMain([
          "--provider",
          "openai-live",
          "--url",
          `ws://127.0.0.1:${port}/v1/live/sessions`,
          "--text",
          "hi"
        ])
        expect(run.exitCode).toBe(3)
        expect(run.stdout).toBe("")
        expect(run.stderr).toMatch(new RegExp(`^error: .*${port}`))
      }),
    30_000
  )

  it.live(
    "as a process: the library's log of the loss goes to standard error, not into the conversation",
    () =>
      Effect.gen(function*() {
        const server = yield* RealtimeServer.make({ faults: { closeAfterEvents: 6 } })
        const run = yield* runCli(["--provider", "gemini", "--url", server.geminiUrl, "--text", "hello there"])
        expect(run.code).toBe(3)
        expect(run.stdout).not.toMatch(/WARN|dropped/)
        expect(run.stderr).toMatch(/WARN.*the connection dropped/)
        expect(run.stderr).toMatch(/^error: the connection dropped/m)
      }),
    60_000
  )
})
