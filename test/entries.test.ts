/**
 * What each entry of the package imports, found by bundling it with esbuild (packages left
 * external): the core and browser entries need `effect` alone, the Node and testing entries
 * `effect` and `ws`, so no entry needs a package the library does not bring or name as its peer.
 */
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { builtinModules } from "node:module"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const builtins = new Set(builtinModules)

/** The packages and Node built-ins an entry's module graph imports. */
const importsOf = async (entry: string) => {
  const result = await build({
    entryPoints: [join(root, "src", entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    packages: "external",
    logLevel: "silent"
  })
  const paths = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((imported) => imported.external).map((imported) => imported.path)
  )
  const isBuiltin = (path: string) => path.startsWith("node:") || builtins.has(path)
  const packageOf = (path: string) => path.split("/").slice(0, path.startsWith("@") ? 2 : 1).join("/")
  return {
    packages: [...new Set(paths.filter((path) => !isBuiltin(path)).map(packageOf))].sort(),
    builtins: [...new Set(paths.filter(isBuiltin))].sort()
  }
}

describe("the package's entries", () => {
  it("the core and browser entries import effect alone and no Node built-in", async () => {
    for (const entry of ["index.ts", "browser.ts"]) {
      const imports = await importsOf(entry)
      expect(imports.packages).toEqual(["effect"])
      expect(imports.builtins).toEqual([])
    }
  })

  it("the Node entry imports effect and ws", async () => {
    expect((await importsOf("node.ts")).packages).toEqual(["effect", "ws"])
  })

  it("the testing entry needs no platform package: effect, ws and Node's built-ins", async () => {
    const imports = await importsOf("testing.ts")
    expect(imports.packages).toEqual(["effect", "ws"])
    expect(imports.builtins).toContain("node:http")
  })
})
