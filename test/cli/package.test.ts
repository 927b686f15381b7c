/**
 * The command line is its own package (cli/): the library's package neither depends on what the
 * command line needs nor ships it, and the bundled command runs with only its package's
 * dependencies imported.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join } from "node:path"
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

  it.live(
    "the bundled command imports only its package's dependencies and runs the offline demo",
    () =>
      Effect.gen(function*() {
        execFileSync("npm", ["run", "-s", "build:cli"], { cwd: root, encoding: "utf8" })
        const bundle = readFileSync(join(root, "cli/dist/bin.js"), "utf8")
        expect(bundle.startsWith("#!/usr/bin/env node\n")).toBe(true)
        const cli = readPackage("cli/package.json")
        expect(cli.bin).toEqual({ "effect-realtime": "./dist/bin.js" })
        const imported = importedPackages(bundle)
        expect([...imported].sort()).toEqual(["@effect/platform-node", "effect", "ws"])
        for (const name of imported) expect(Object.keys(cli.dependencies ?? {})).toContain(name)

        const run = yield* runCli([], { script: "cli/dist/bin.js" })
        expect(run.code).toBe(0)
        expect(run.stdout).toMatch(/^user: /m)
        expect(run.stdout).toMatch(/barge-in: +item \S+ truncated at \d+ ms/)
      }),
    60_000
  )
})
