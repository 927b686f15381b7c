/**
 * Checks the package as a user gets it from a clone: `npm pack` (whose `prepack` builds `dist/`),
 * the tarball installed into a new project beside `effect` and `@effect/platform-node`, and every
 * entry of the package's `exports` imported there by this Node; a file under `dist/internal/` must
 * be refused. Run it with `npm run pack-check` (it needs the npm registry, or npm's cache, for the
 * peers). It leaves nothing behind.
 */
/* oxlint-disable no-console */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const pkg = JSON.parse(readFileSync("package.json", "utf8"))
const entries = Object.keys(pkg.exports)
  .filter((key) => key.startsWith(".") && !key.endsWith(".json"))
  .map((key) => key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`)

const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })

const work = mkdtempSync(join(tmpdir(), "effect-realtime-pack-"))
try {
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", work], "."))
  const tarball = join(work, packed.filename)
  const shipped = packed.files.map((file) => file.path)
  const missing = Object.values(pkg.exports).flatMap((target) =>
    typeof target === "string" ? [target] : Object.values(target)
  ).map((path) => path.slice(2)).filter((path) => !shipped.includes(path))
  if (missing.length > 0) throw new Error(`the pack lacks what its exports name: ${missing.join(", ")}`)
  console.log(`packed ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes`)

  const project = join(work, "consumer")
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  const peers = Object.entries(pkg.peerDependencies).map(([name, range]) => `${name}@${range}`)
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...peers], project)

  const check = `
    for (const entry of ${JSON.stringify(entries)}) {
      const module = await import(entry)
      console.log("import " + entry + ": " + Object.keys(module).join(", "))
    }
    const refused = await import(${JSON.stringify(`${pkg.name}/dist/internal/eventHub.js`)}).then(
      () => false,
      (error) => error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
    )
    if (!refused) throw new Error("an internal module is importable")
    console.log("internals refused by the exports map")
  `
  writeFileSync(join(project, "check.mjs"), check)
  process.stdout.write(execFileSync(process.execPath, ["check.mjs"], { cwd: project, encoding: "utf8" }))
  console.log(`installed and imported under Node ${process.version}`)
} catch (error) {
  console.error(`pack check failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  rmSync(work, { recursive: true, force: true })
}
