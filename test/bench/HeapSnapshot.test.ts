/**
 * The heap snapshot reader of the benchmark's breakdown: dominators and retained sizes on small
 * graphs written in V8's snapshot format, and the grouping of the objects new between two
 * snapshots.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Breakdown from "../../scratchpad/bench/Breakdown.js"
import * as HeapGraph from "../../scratchpad/bench/HeapGraph.js"
import * as HeapSnapshot from "../../scratchpad/bench/HeapSnapshot.js"

const nodeTypes = [
  "hidden",
  "array",
  "string",
  "object",
  "code",
  "closure",
  "regexp",
  "number",
  "native",
  "synthetic",
  "concatenated string",
  "sliced string",
  "symbol",
  "bigint",
  "object shape"
]
const edgeTypes = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]

interface TestNode {
  readonly type: string
  readonly name: string
  readonly id: number
  readonly size: number
  readonly edges: ReadonlyArray<readonly [type: string, name: string | number, to: number]>
}

/** A snapshot in V8's JSON layout (7 node fields, 3 edge fields, one string table). */
const snapshotOf = (nodes: ReadonlyArray<TestNode>): HeapGraph.SnapshotJson => {
  const strings: Array<string> = []
  const stringIndex = (value: string) => {
    const at = strings.indexOf(value)
    return at >= 0 ? at : strings.push(value) - 1
  }
  const flatNodes: Array<number> = []
  const flatEdges: Array<number> = []
  for (const node of nodes) {
    flatNodes.push(nodeTypes.indexOf(node.type), stringIndex(node.name), node.id, node.size, node.edges.length, 0, 0)
    for (const [type, name, to] of node.edges) {
      flatEdges.push(edgeTypes.indexOf(type), typeof name === "number" ? name : stringIndex(name), to * 7)
    }
  }
  return {
    snapshot: {
      meta: {
        node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        node_types: [nodeTypes, "string", "number", "number", "number", "number", "number"],
        edge_fields: ["type", "name_or_index", "to_node"],
        edge_types: [edgeTypes, "string_or_number", "node"]
      },
      node_count: nodes.length
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings
  }
}

const node = (type: string, name: string, id: number, size: number, edges: TestNode["edges"] = []): TestNode => ({
  type,
  name,
  id,
  size,
  edges
})

/**
 * A call (1) holding a closure (3) whose context (7) a weak edge from elsewhere also reaches, a
 * dictionary-mode property store (8), and an object (9) shared with an older object (2).
 */
const call = snapshotOf([
  node("synthetic", "", 1, 0, [["element", 1, 1], ["element", 2, 2], ["element", 3, 4]]),
  node("object", "Call", 11, 100, [["property", "f", 3], ["internal", "properties", 8], ["property", "s", 9]]),
  node("object", "Other", 12, 10, [["weak", "ref", 7], ["property", "s", 9]]),
  node("closure", "onPong", 13, 30, [["internal", "context", 7], ["internal", "shared", 4]]),
  node("code", "system / SharedFunctionInfo", 14, 5, [["internal", "script", 5]]),
  node("code", "system / Script", 15, 5, [["internal", "name", 6]]),
  node("string", "file:///home/me/effect-realtime/src/internal/realtime/keepalive.ts", 16, 8),
  node("object", "system / Context", 17, 40, [["context", "answered", 9]]),
  node("array", "(object properties)", 18, 50),
  node("object", "Object", 19, 20, [["property", "interval", 0], ["property", "timeout", 0]])
])

describe("heap snapshot reader", () => {
  it("finds dominators and retained sizes over strong edges, through a cycle", () => {
    const graph = HeapGraph.graphOf(snapshotOf([
      node("synthetic", "", 1, 0, [["element", 1, 1], ["element", 2, 4], ["element", 3, 5]]),
      node("object", "A", 2, 10, [["property", "b", 2]]),
      node("object", "B", 3, 20, [["property", "c", 3]]),
      node("object", "C", 4, 30, [["property", "a", 1], ["property", "d", 4]]),
      node("object", "D", 5, 40),
      node("object", "E", 6, 50, [["weak", "c", 3]])
    ]))
    const tree = HeapGraph.dominators(graph)
    expect(Array.from(tree.idom)).toEqual([0, 0, 1, 2, 0, 0])
    expect(Array.from(tree.retained)).toEqual([150, 60, 50, 30, 40, 50])
    expect(tree.postorder[tree.postorder.length - 1]).toBe(0)
  })

  it("reads names, closure scripts and dominators of a V8-format snapshot", () => {
    const graph = HeapGraph.graphOf(call)
    expect(graph.count).toBe(10)
    expect(graph.name[1]).toBe("Call")
    expect(Array.from(graph.id)).toEqual([1, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    const tree = HeapGraph.dominators(graph)
    // the shared object has two owners, so only the root dominates it
    expect(tree.idom[9]).toBe(0)
    expect(tree.idom[7]).toBe(3)
    expect(tree.retained[1]).toBe(100 + 30 + 40 + 50)
    expect(HeapSnapshot.groupOf(graph, tree.idom, 3)).toBe("onPong() src/internal/realtime/keepalive.ts")
    expect(HeapSnapshot.groupOf(graph, tree.idom, 7)).toBe(
      "system / Context {answered} of onPong() src/internal/realtime/keepalive.ts"
    )
    expect(HeapSnapshot.groupOf(graph, tree.idom, 8)).toBe("(array) (object properties) of Call")
    expect(HeapSnapshot.groupOf(graph, tree.idom, 9)).toBe("Object {interval, timeout}")
  })

  it("groups the objects a later snapshot adds, per call, by self and by what the topmost retain", () => {
    const later = HeapGraph.graphOf(call)
    // the root, the older object and the function's code and script were there before
    const earlierIds = new Set([1, 12, 14, 15, 16])
    const result = HeapSnapshot.breakdown(later, earlierIds, 2)
    expect(result.totalBytes).toBe((100 + 30 + 40 + 50 + 20) / 2)
    expect(result.bySelf.map((row) => [row.group, row.count, row.selfBytes])).toEqual([
      ["Call", 0.5, 50],
      ["(array) (object properties) of Call", 0.5, 25],
      ["system / Context {answered} of onPong() src/internal/realtime/keepalive.ts", 0.5, 20],
      ["onPong() src/internal/realtime/keepalive.ts", 0.5, 15],
      ["Object {interval, timeout}", 0.5, 10]
    ])
    expect(result.byRetained.map((row) => [row.group, row.topmost, row.retainedBytes])).toEqual([
      ["Call", 0.5, 110],
      ["Object {interval, timeout}", 0.5, 10]
    ])
    expect(result.inside.get("Call")?.map((row) => [row.group, row.selfBytes])).toEqual([
      ["Call", 50],
      ["(array) (object properties) of Call", 25],
      ["system / Context {answered} of onPong() src/internal/realtime/keepalive.ts", 20],
      ["onPong() src/internal/realtime/keepalive.ts", 15]
    ])
    // the property store is the call's, the context its closure's; the shared object has no new owner
    expect(result.byOwner.map((row) => [row.group, row.count, row.selfBytes])).toEqual([
      ["Call", 0.5, 75],
      ["onPong() src/internal/realtime/keepalive.ts", 0.5, 35],
      ["(no owner) Object {interval, timeout}", 0, 10]
    ])
    expect(result.byFile.map((row) => [row.group, row.selfBytes])).toEqual([
      ["(native or unknown)", 75],
      ["src/internal/realtime/keepalive.ts", 35],
      ["(no owner)", 10]
    ])
  })

  it("prints a breakdown as markdown tables, per call", () => {
    const result = HeapSnapshot.breakdown(HeapGraph.graphOf(call), new Set([1, 12, 14, 15, 16]), 2)
    const lines = Breakdown.tables("one call", result, 10).split("\n")
    expect(lines[0]).toBe("### one call")
    expect(lines).toContain("New objects per call: 120 bytes (self sizes, summed).")
    // topmost: the call and what it retains; inside it, its parts; then by owner, script and self
    expect(lines).toContain("| Call | 0.50 | 110 |")
    expect(lines).toContain("Inside Call (110 bytes per call):")
    expect(lines).toContain("| onPong() src/internal/realtime/keepalive.ts | 0.50 | 35 |")
    expect(lines).toContain("| src/internal/realtime/keepalive.ts | 0.50 | 35 |")
    expect(lines).toContain("| (array) (object properties) of Call | 0.50 | 25 |")
  })

  it("shortens script URLs to the package or node_modules path", () => {
    expect(HeapSnapshot.shortPath("file:///a/b/node_modules/effect/dist/Fiber.js")).toBe("effect/dist/Fiber.js")
    expect(HeapSnapshot.shortPath("file:///a/b/src/OpenAIRealtime.ts")).toBe("src/OpenAIRealtime.ts")
    expect(HeapSnapshot.shortPath("node:events")).toBe("node:events")
  })
})
