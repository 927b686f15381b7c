/** What the command's tests check in its output, in one place: the summary and the WAV files it writes. */
import { expect } from "@effect/vitest"
import { Result } from "effect"
import { readFileSync } from "node:fs"
import * as Wav from "../../src/internal/audio/Wav.js"
import { interruptedLines, nothingYet } from "../../src/internal/cli/render.js"

/** The audio played, in milliseconds, as the summary says. */
export const playedMs = (stdout: string): number => {
  const match = /audio received \/ played:\s+(\d+) ms \/ (\d+) ms/.exec(stdout)
  return match === null ? Number.NaN : Number(match[2])
}

export const readWav = (path: string) => {
  const decoded = Wav.decode(new Uint8Array(readFileSync(path)))
  if (Result.isFailure(decoded)) throw new Error(decoded.failure.message)
  return decoded.success
}

/** Interrupted before anything happened: exactly the lines the summary's own test pins down. */
export const expectInterruptedEmpty = (stdout: string) =>
  expect(stdout).toBe(`${interruptedLines(nothingYet).join("\n")}\n`)

/** Interrupted part-way: an `interrupted` line, the summary so far, and `output` holds exactly what was played. */
export const expectInterruptedWithPartialWav = (stdout: string, stderr: string, output: string) => {
  const lines = stdout.split("\n")
  const at = lines.indexOf("interrupted")
  expect(at).toBeGreaterThan(0)
  expect(lines.slice(at + 1)).toEqual(expect.arrayContaining(["summary", "  turns:                    1"]))
  const wav = readWav(output)
  expect(wav.sampleRate).toBe(24_000)
  expect(Math.abs(wav.samples.length / 24 - playedMs(stdout))).toBeLessThanOrEqual(1)
  expect(stderr).toContain(`wrote ${output}`)
}
