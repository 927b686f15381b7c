/**
 * The command line is its own package (cli/): the library's package neither depends on what the
 * command line needs nor ships it, and the bundled command runs with only its package's
 * dependencies imported. The command's true end-to-end runs (a process, its signals and exit
 * codes) are here, on that bundle: everything else about the command is tested in-process.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expectInterruptedEmpty, expectInterruptedWithPartialWav } from "./expectations.js"
import { root, runCli } from "./subprocess.js"

interface PackageJson {
  readonly bin?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
}

const readPackage = (path: string): PackageJson => JSON.parse(readFileSync(join(root, path), "utf8")) as PackageJson

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string): string =>
  specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/")

const builtins = new Set(builtinModules)

/** The packages a bundle imports, Node's built-ins left out. */
const importedPackages = (code: string): ReadonlySet<string> => {
  const specifiers = [...code.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)"([^"./][^"]*)"/g)].map((match) =>
    match[1]!
  )
  return new Set(
    specifiers.filter((specifier) => !specifier.startsWith("node:") && !builtins.has(specifier)).map(packageOf)
  )
}

beforeAll(() => {
  execFileSync("npm", ["run", "-s", "build:cli"], { cwd: root, encoding: "utf8" })
}, 60_000)

describe("the command line's package", () => {
  it("the library depends on ws alone, has no command, and ships none of the command line", () => {
    const library = readPackage("package.json")
    expect(library.bin).toBeUndefined()
    expect(Object.keys(library.dependencies ?? {})).toEqual(["ws"])
    expect(Object.keys(library.peerDependencies ?? {})).toEqual(["effect"])
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" })
    ) as ReadonlyArray<{ readonly files: ReadonlyArray<{ readonly path: string }> }>
    const paths = packed[0]!.files.map((file) => file.path)
    expect(paths).toContain("LICENSE")
    expect(paths).toContain("src/index.ts")
    expect(paths.filter((path) => /(^|\/)bin\.|internal\/cli/.test(path))).toEqual([])
  })

  it("the bundled command imports only its package's dependencies", () => {
    const files = readdirSync(join(root, "cli/dist")).filter((file) => file.endsWith(".js"))
    expect(files).toContain("bin.js")
    const code = files.map((file) => readFileSync(join(root, "cli/dist", file), "utf8"))
    expect(readFileSync(join(root, "cli/dist/bin.js"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true)
    const cli = readPackage("cli/package.json")
    expect(cli.bin).toEqual({ "effect-realtime": "./dist/bin.js" })
    const imported = new Set(code.flatMap((text) => [...importedPackages(text)]))
    expect([...imported].sort()).toEqual(["@effect/platform-node", "effect", "ws"])
    for (const name of imported) expect(Object.keys(cli.dependencies ?? {})).toContain(name)
  })
})

const bin = "cli/dist/bin.js"
const scratch = mkdtempSync(join(tmpdir(), "effect-realtime-e2e-"))

describe("the command, end to end", () => {
  it.live(
    "with no arguments runs the offline demo: question, answer, barge-in, truncated result",
    () =>
      Effect.gen(function*() {
        const run = yield* runCli([], { script: bin })
        expect(run.code).toBe(0)
        expect(run.stdout).toContain("user: Tell me something about the northern lights.")
        expect(run.stdout).toMatch(/barge-in:\s+item \S+ truncated at 1500 ms/)
        expect(run.stdout).toMatch(/transcript as heard:\s+"/)
        expect(run.stdout).toMatch(/audio received \/ played:\s+\d+ ms \/ 1500 ms/)
      }),
    60_000
  )

  it.live("refuses a bad flag with one error line and exit code 2", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["--speed", "fast"], { script: bin })
      expect(run.code).toBe(2)
      expect(run.stderr.trim().split("\n")).toHaveLength(1)
      expect(run.stderr).toMatch(/^error: .*--speed/)
      expect(run.stdout).toBe("")
    }), 60_000)

  it.live(
    "Ctrl-C during playback: interrupted, the summary so far, a valid partial WAV file, exit 130",
    () =>
      Effect.gen(function*() {
        const output = join(scratch, "partial.wav")
        const run = yield* runCli(["--text", "tell me a long story", "--output", output], {
          script: bin,
          interruptWhen: /assistant:\n\S/
        })
        expect(run.code).toBe(130)
        expectInterruptedWithPartialWav(run.stdout, run.stderr, output)
        expect(run.stderr).not.toMatch(/\n\s+at /)
      }),
    60_000
  )

  it.live(
    "Ctrl-C while the command is still loading: interrupted and the empty summary, exit 130",
    () =>
      Effect.gen(function*() {
        // the preload holds the command's main module back until the process is interrupted
        const run = yield* runCli(["--text", "hi"], {
          script: bin,
          preload: "./test/cli/fixtures/holdLoading.mjs",
          interruptWhenStderr: /\(loading the command\)/
        })
        expect(run.code).toBe(130)
        expectInterruptedEmpty(run.stdout)
      }),
    60_000
  )
})
