/**
 * The `@category` half of the API-docs check: `@effect/docgen` enforces `@since` and type-checks
 * the examples, but files an export with no `@category` under its default one, `utils`. This
 * reads the modules docgen generated and fails if any export landed there (so `utils` is not a
 * category to use). Run it after `docgen`.
 */
/* oxlint-disable no-console */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const modulesDir = join("docs", "modules")
const defaultCategory = "# utils"

const problems = []
for (const name of readdirSync(modulesDir).filter((f) => f.endsWith(".ts.md"))) {
  let inDefault = false
  for (const line of readFileSync(join(modulesDir, name), "utf8").split("\n")) {
    if (line.startsWith("# ")) {
      inDefault = line === defaultCategory
    } else if (inDefault && line.startsWith("## ")) {
      problems.push(`src/${name.slice(0, -".md".length)}: ${line.slice(3)}`)
    }
  }
}

if (problems.length > 0) {
  console.error(`Exports without a @category (or with "@category utils"), ${problems.length}:`)
  console.error(problems.join("\n"))
  process.exit(1)
}
console.log("Every documented export has a @category.")
