import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { runMain } from "./inProcess.js"
import type { Ran } from "./inProcess.js"

const scratch = mkdtempSync(join(tmpdir(), "effect-realtime-contract-"))
const folder = join(scratch, "a-folder")
mkdirSync(folder)
const aFile = join(scratch, "a-file.txt")
writeFileSync(aFile, "not a folder")

/** Exit code 2 with exactly one `error:` line: no stack, no JSON, nothing on stdout, nothing started. */
const expectBadArguments = (run: Ran, mentions: string | RegExp) => {
  expect({ code: run.exitCode, stdout: run.stdout }).toEqual({ code: 2, stdout: "" })
  const lines = run.stderr.trim().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(lines[0]).toMatch(mentions)
  expect(lines[0]).not.toMatch(/[{}]|\bat \S+:\d+/)
  expect(run.stderr).not.toContain("embedded realtime server")
}

describe("command line contract: bad arguments exit 2 with one line, before connecting", () => {
  it.live.each<[string, ReadonlyArray<string>, string | RegExp]>([
    ["an unknown flag", ["--bogus"], "--bogus"],
    ["a non-numeric --barge-in-ms", ["--barge-in-ms", "abc"], "--barge-in-ms"],
    ["a fractional --barge-in-ms", ["--barge-in-ms", "1.5"], "--barge-in-ms"],
    ["a negative --barge-in-ms", ["--barge-in-ms", "-5"], /--barge-in-ms.*0 or more/],
    ["a non-numeric --speed", ["--speed", "fast"], "--speed"],
    ["--speed 0", ["--speed", "0"], /--speed.*more than 0/],
    ["a negative --speed", ["--speed", "-1"], /--speed.*more than 0/],
    ["an extra positional argument", ["--text", "hi", "extra"], "extra"],
    ["a flag with no value", ["--text"], "--text"],
    ["an empty --text", ["--text", ""], "--text"],
    ["a folder as --input", ["--input", folder], "--input"],
    [
      "a missing --input file",
      ["--input", join(scratch, "nowhere.wav")],
      /cannot read \S+nowhere\.wav: no such file or folder$/
    ],
    ["a folder as --output", ["--output", folder], /--output .* is a folder/],
    ["an --output whose folder does not exist", ["--output", join(scratch, "missing", "x.wav")], "does not exist"],
    ["an --output inside a file", ["--output", join(aFile, "x.wav")], "not a folder"],
    ["an --output whose folder is not writable", ["--output", "/proc/1/x.wav"], "not writable"],
    ["an http:// --url", ["--url", "http://127.0.0.1:1/v1/realtime"], /--url.*ws:\/\/ or wss:\/\//],
    ["a --url that is not a URL", ["--url", "not-a-url"], /--url.*ws:\/\/ or wss:\/\//],
    ["--live together with --url", ["--live", "--url", "ws://127.0.0.1:1/"], "--live or --url"],
    ["--live without a key", ["--live", "--text", "hi"], "OPENAI_API_KEY"],
    ["an unknown --provider", ["--provider", "bogus"], /--provider.*"openai" \| "gemini" \| "openai-live"/],
    [
      "--provider gemini --live without a key",
      ["--provider", "gemini", "--live", "--text", "hi"],
      /Gemini Live .* GEMINI_API_KEY or GOOGLE_API_KEY/
    ],
    [
      "--provider openai-live --live without a key",
      ["--provider", "openai-live", "--live"],
      /OpenAI's Live API.*OPENAI_API_KEY/
    ],
    ["--wizard without a terminal", ["--wizard"], /--wizard asks its questions in a terminal/]
  ])("%s", ([, args, mentions]) => Effect.map(runMain(args), (run) => expectBadArguments(run, mentions)), 30_000)

  it.live(
    "an empty OPENAI_API_KEY= is no key for --live",
    () =>
      Effect.map(
        runMain(["--live", "--text", "hi"], { env: { OPENAI_API_KEY: "" } }),
        (run) => expectBadArguments(run, "OPENAI_API_KEY")
      ),
    30_000
  )
})

describe("command line contract: keys, servers and writes", () => {
  it.live("a keyless loopback server just works with --url and no OPENAI_API_KEY", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ rules: [{ match: "ping", reply: "Pong, from a keyless server." }] })
      const run = yield* runMain(["--url", server.url, "--text", "ping", "--speed", "20"])
      expect(run.stderr).toBe("")
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toContain("Pong, from a keyless server.")
    }), 30_000)

  it.live("a server that refuses the upgrade with 401 exits 3 and says a key is needed", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-the-server-wants" })
      const run = yield* runMain(["--url", server.url, "--text", "hi"])
      expect(run.exitCode).toBe(3)
      const errors = run.stderr.trim().split("\n").filter((line) => line.startsWith("error:"))
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(/401.*API key/)
    }), 30_000)

  it.live("a write that fails after the session exits non-zero and says so", () =>
    Effect.gen(function*() {
      const doomed = join(scratch, "doomed")
      mkdirSync(doomed)
      const output = join(doomed, "reply.wav")
      // the folder is fine when checked, and gone by the time the reply is written
      const run = yield* runMain(["--text", "hello", "--output", output, "--barge-in-ms", "300"], {
        onOutput: { when: /assistant:/, run: Effect.sync(() => rmSync(doomed, { recursive: true })) }
      })
      expect(run.exitCode).toBe(1)
      expect(run.stdout).toContain("summary")
      expect(run.stderr).toMatch(new RegExp(`^error: could not write ${output}`, "m"))
    }), 30_000)
})

describe("command line help", () => {
  const flagLines = (text: string) =>
    text.split("\n").filter((line) =>
      /^ {2}--(text|input|output|barge-in-ms|provider|live|url|speed|instructions|voice)\b/.test(line)
    )

  it.live("has a sentence and a default for each option, plain when piped", () =>
    Effect.gen(function*() {
      const run = yield* runMain(["--help"])
      expect(run.exitCode).toBe(0)
      expect(run.stdout).not.toContain("\x1b[")
      const lines = flagLines(run.stdout)
      expect(lines).toHaveLength(10)
      // a choice's values follow, as the parser lists them
      for (const line of lines) expect(line).toMatch(/ {2}[A-Z][^.]+\..* Default: .+\.( \(choices: [^)]+\))?$/)
      expect(run.stdout).not.toContain("A user-defined piece of text")
    }), 30_000)

  it.live("is plain in a terminal when NO_COLOR is set, coloured without it", () =>
    Effect.gen(function*() {
      const plain = yield* runMain(["--help"], { stdoutIsTerminal: true, env: { NO_COLOR: "1" } })
      expect(plain.exitCode).toBe(0)
      expect(flagLines(plain.stdout.replaceAll("\r", ""))).toHaveLength(10)
      expect(plain.stdout).not.toContain("\x1b[")
      const coloured = yield* runMain(["--help"], { stdoutIsTerminal: true })
      expect(coloured.stdout).toContain("\x1b[")
    }), 30_000)
})
