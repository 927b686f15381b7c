/**
 * Every TypeScript block of the README compiles: each is written out as a module of its own
 * (importing the package's entries, mapped to the sources) and type-checked with the project's
 * compiler, the way docgen checks the API docs' examples. A block must be a whole module: it
 * imports what it uses.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

interface Block {
  /** The README line of the block's first code line. */
  readonly line: number
  readonly code: string
}

/** The README's ```ts blocks. */
const blocks = (readme: string): ReadonlyArray<Block> => {
  const lines = readme.split("\n")
  const found: Array<Block> = []
  for (let index = 0; index < lines.length; index++) {
    if (lines[index] !== "```ts") continue
    const end = lines.indexOf("```", index + 1)
    found.push({ line: index + 2, code: lines.slice(index + 1, end).join("\n") + "\n" })
    index = end
  }
  return found
}

const readmeBlocks = blocks(readFileSync(join(root, "README.md"), "utf8"))

describe("the README's TypeScript blocks", () => {
  it("are whole modules: each imports what it uses from the package's entries", () => {
    expect(readmeBlocks.length).toBeGreaterThanOrEqual(8)
    const scripts = readmeBlocks.filter((block) => !/^import /m.test(block.code)).map((block) => block.line)
    expect(scripts).toEqual([])
    // what a user copies names the package, never a path into this repository
    expect(readmeBlocks.filter((block) => /from "\.{1,2}\//.test(block.code)).map((block) => block.line)).toEqual([])
  })

  it("type-check, every one", () => {
    // inside node_modules, so that `effect` and the other packages resolve as they do for the tests
    const dir = join(root, "node_modules", ".cache", "readme-blocks")
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const files = readmeBlocks.map((block) => {
      const file = `readme-line-${block.line}.ts`
      writeFileSync(join(dir, file), block.code)
      return file
    })
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(root, "tsconfig.json"),
        compilerOptions: {
          noEmit: true,
          // a block may define what it does not use itself (a layer, a handler)
          noUnusedLocals: false,
          plugins: [],
          paths: {
            "effect-realtime": [join(root, "src/index.ts")],
            "effect-realtime/*": [join(root, "src/*.ts")]
          }
        },
        include: [],
        files
      })
    )
    const tsc = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], {
      encoding: "utf8"
    })
    // each error named by its README line
    const errors = `${tsc.stdout}${tsc.stderr}`.replace(
      /(?:\S*\/)?readme-line-(\d+)\.ts\((\d+),(\d+)\)/g,
      (_, start: string, line: string, column: string) => `README.md:${Number(start) + Number(line) - 1}:${column}`
    )
    expect(errors).toBe("")
    expect(tsc.status).toBe(0)
  }, 60_000)
})
