/**
 * `node scratchpad/bench/profileSummary.mjs <file.cpuprofile> [top]`: the self time of a V8 CPU
 * profile (as `node --cpu-prof` writes it) summed per function and per source file, largest first,
 * then the total time per function (itself and what it called, each sample counted once).
 */
import { readFileSync } from "node:fs"

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  console.error("usage: node profileSummary.mjs <file.cpuprofile> [top]")
  process.exit(1)
}
const top = Number(topArg ?? 40)
const profile = JSON.parse(readFileSync(file, "utf8"))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const deltas = profile.timeDeltas
const selfUs = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0))
}
const shortUrl = (url) =>
  url.replace(/^file:\/\/.*?\/(node_modules|src|scratchpad)\//, "$1/").replace(/^node:/, "node:")
const keyOf = (callFrame) =>
  `${callFrame.functionName || "(anonymous)"}  ${shortUrl(callFrame.url) || "(native)"}:${callFrame.lineNumber + 1}`
const parentOf = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
const perFunction = new Map()
const inclusive = new Map()
const perFile = new Map()
let total = 0
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id)
  const where = shortUrl(callFrame.url) || "(native)"
  const key = keyOf(callFrame)
  perFunction.set(key, (perFunction.get(key) ?? 0) + us)
  const seen = new Set()
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const name = keyOf(byId.get(at).callFrame)
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + us)
  }
  perFile.set(where, (perFile.get(where) ?? 0) + us)
  total += us
}
const print = (title, map) => {
  console.log(`\n${title}`)
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`)
  }
}
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`)
print("self time per file", perFile)
print("self time per function", perFunction)
print("total time per function", inclusive)
