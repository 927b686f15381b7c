/**
 * What the objects of one heap snapshot that an earlier one lacks are made of (the calls opened
 * between the two): grouped by constructor or closure (with the script that defines the closure),
 * per call, by self size, by what each group's topmost objects retain, and by owner.
 */
import type { Graph } from "./HeapGraph.js"
import { dominators, edgeNamed } from "./HeapGraph.js"

/** Where a closure's function is defined: its script's name (from `shared` → `script` → `name`). */
const scriptOf = (graph: Graph, closure: number): string => {
  const shared = edgeNamed(graph, closure, "shared")
  const script = shared === undefined ? undefined : edgeNamed(graph, shared, "script")
  const name = script === undefined ? undefined : edgeNamed(graph, script, "name")
  return name === undefined ? "" : graph.name[name] ?? ""
}

/** Shortens a script URL to a path from the package root or from `node_modules`. */
export const shortPath = (url: string): string => {
  const modules = url.lastIndexOf("node_modules/")
  if (modules >= 0) return url.slice(modules + "node_modules/".length)
  for (const top of ["/src/", "/scratchpad/"]) {
    const at = url.lastIndexOf(top)
    if (at >= 0) return url.slice(at + 1)
  }
  return url.replace(/^file:\/\//, "")
}

/** Node kinds with no identity of their own, counted under the object that holds them. */
const isInternal = (graph: Graph, node: number): boolean => {
  const type = graph.type[node]!
  return type === "array" || type === "hidden" || type === "object shape" || type === "code" ||
    (type === "object" && graph.name[node]!.startsWith("system / "))
}

/** The names of a node's first edges of one type (a plain object's properties, a context's variables). */
const namesOf = (graph: Graph, node: number, type: "property" | "context"): string => {
  const names: Array<string> = []
  for (let e = graph.firstEdge[node]!; e < graph.firstEdge[node + 1]! && names.length < 4; e++) {
    if (graph.edgeType[e] === type && !graph.edgeName[e]!.startsWith("__")) names.push(graph.edgeName[e]!)
  }
  return `{${names.join(", ")}}`
}

/** A node's own kind: objects by constructor (plain ones by their first properties), closures by name and script. */
const kindOf = (graph: Graph, node: number): string => {
  const type = graph.type[node]!
  const name = graph.name[node]!
  switch (type) {
    case "object":
      return name === "Object"
        ? `Object ${namesOf(graph, node, "property")}`
        : name === "system / Context"
        ? `system / Context ${namesOf(graph, node, "context")}`
        : name
    case "closure":
      return `${name === "" ? "(anonymous)" : name}() ${shortPath(scriptOf(graph, node))}`
    case "string":
    case "concatenated string":
    case "sliced string":
      return "(string)"
    case "number":
      return "(heap number)"
    case "code":
      return `(code) ${name.replace(/ \/ .*$/, "")}`
    case "array":
      return `(array) ${name}`
    default:
      return `(${type}) ${name}`
  }
}

/**
 * The group a node is counted in: its kind, and for internal nodes (backing stores, closure
 * contexts, code) also the kind of the nearest dominator that is not internal, which owns it.
 */
export const groupOf = (graph: Graph, idom: Int32Array, node: number): string => {
  const kind = kindOf(graph, node)
  if (!isInternal(graph, node)) return kind
  let owner = idom[node]!
  for (let hops = 0; hops < 8 && owner > 0 && isInternal(graph, owner); hops++) owner = idom[owner]!
  return owner > 0 ? `${kind} of ${kindOf(graph, owner)}` : kind
}

/** Constructors whose instances are containers or values, counted under what holds them. */
const generic: ReadonlySet<string> = new Set([
  "Object",
  "Array",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "ArrayBuffer",
  "Uint8Array",
  "Float64Array",
  "Buffer",
  "Promise",
  "Generator",
  "Error"
])

/** Whether a node owns what it dominates: a closure, or an instance of a class of its own. */
const isOwner = (graph: Graph, node: number): boolean =>
  graph.type[node] === "closure" || (graph.type[node] === "object" && !isInternal(graph, node) &&
    !generic.has(graph.name[node]!))

/** The script of a class instance's constructor (its map's constructor, through back pointers). */
const constructorScript = (graph: Graph, node: number): string => {
  let at = edgeNamed(graph, node, "map")
  for (let hops = 0; hops < 16 && at !== undefined; hops++) {
    if (graph.type[at] === "closure") return scriptOf(graph, at)
    at = edgeNamed(graph, at, "constructor_or_back_pointer") ?? edgeNamed(graph, at, "back_pointer") ??
      edgeNamed(graph, at, "constructor")
  }
  return ""
}

/** The script an owner comes from: its function's, or its class's. */
const fileOf = (graph: Graph, owner: number): string => {
  const url = graph.type[owner] === "closure" ? scriptOf(graph, owner) : constructorScript(graph, owner)
  return url === "" ? "(native or unknown)" : shortPath(url)
}

/** One group of the objects new between two snapshots, per call. */
export interface GroupCost {
  readonly group: string
  readonly count: number
  readonly selfBytes: number
  /** Objects of the group that no other new object dominates. */
  readonly topmost: number
  /** Retained by the new objects of the group that no other new object dominates. */
  readonly retainedBytes: number
}

/** The objects of `later` not in `earlierIds`, grouped, over `calls` calls. */
export interface Breakdown {
  readonly calls: number
  /** Self size of every new object, per call. */
  readonly totalBytes: number
  /** Largest first, by self size. */
  readonly bySelf: ReadonlyArray<GroupCost>
  /** Largest first, by retained size of the group's topmost new objects. */
  readonly byRetained: ReadonlyArray<GroupCost>
  /**
   * Every new object counted under its owner (the nearest new closure or class instance that
   * dominates it, itself included), by the owner's kind; `count` is owners per call.
   */
  readonly byOwner: ReadonlyArray<GroupCost>
  /** The same, by the script the owner comes from. */
  readonly byFile: ReadonlyArray<GroupCost>
  /** For each group of `byRetained`, what its topmost objects retain, by group (self sizes). */
  readonly inside: ReadonlyMap<string, ReadonlyArray<GroupCost>>
}

/** The ids of a snapshot's nodes. */
export const idsOf = (graph: Graph): Set<number> => new Set(graph.id)

/**
 * Groups the nodes of `later` whose ids `earlierIds` lacks: each by itself (self size), and each
 * topmost one (its immediate dominator is not new) with everything it retains.
 */
export const breakdown = (later: Graph, earlierIds: ReadonlySet<number>, calls: number): Breakdown => {
  const tree = dominators(later)
  const groups = new Map<string, { count: number; selfBytes: number; retainedBytes: number; tops: number }>()
  const entry = (group: string) => {
    let found = groups.get(group)
    if (found === undefined) {
      found = { count: 0, selfBytes: 0, retainedBytes: 0, tops: 0 }
      groups.set(group, found)
    }
    return found
  }
  const owner = new Int32Array(later.count).fill(-1)
  const top = new Int32Array(later.count).fill(-1)
  const inside = new Map<string, Map<string, { count: number; selfBytes: number }>>()
  const owners = new Map<string, { count: number; selfBytes: number }>()
  const files = new Map<string, { count: number; selfBytes: number }>()
  const add = (sums: Map<string, { count: number; selfBytes: number }>, key: string, bytes: number, first: boolean) => {
    const found = sums.get(key) ?? { count: 0, selfBytes: 0 }
    found.count += first ? 1 : 0
    found.selfBytes += bytes
    sums.set(key, found)
  }
  // parents before children: reverse postorder
  for (let i = tree.postorder.length - 1; i >= 0; i--) {
    const node = tree.postorder[i]!
    if (earlierIds.has(later.id[node]!)) continue
    const parent = tree.idom[node]!
    const own = isOwner(later, node)
    owner[node] = own ? node : earlierIds.has(later.id[parent]!) ? -1 : owner[parent]!
    const holder = owner[node]!
    const bytes = later.selfSize[node]!
    top[node] = earlierIds.has(later.id[parent]!) ? node : top[parent]!
    const topGroup = groupOf(later, tree.idom, top[node]!)
    const parts = inside.get(topGroup) ?? new Map<string, { count: number; selfBytes: number }>()
    inside.set(topGroup, parts)
    add(parts, groupOf(later, tree.idom, node), bytes, true)
    add(owners, holder === -1 ? `(no owner) ${groupOf(later, tree.idom, node)}` : kindOf(later, holder), bytes, own)
    add(files, holder === -1 ? "(no owner)" : fileOf(later, holder), bytes, own)
  }
  let total = 0
  for (const node of tree.postorder) {
    if (earlierIds.has(later.id[node]!)) continue
    const group = entry(groupOf(later, tree.idom, node))
    group.count++
    group.selfBytes += later.selfSize[node]!
    total += later.selfSize[node]!
    const parent = tree.idom[node]!
    if (earlierIds.has(later.id[parent]!) || parent === node) {
      group.retainedBytes += tree.retained[node]!
      group.tops++
    }
  }
  const rows = [...groups].map(([group, sums]) => ({
    group,
    count: sums.count / calls,
    selfBytes: sums.selfBytes / calls,
    topmost: sums.tops / calls,
    retainedBytes: sums.retainedBytes / calls
  }))
  const perCall = (sums: Map<string, { count: number; selfBytes: number }>) =>
    [...sums].map(([group, { count, selfBytes }]) => ({
      group,
      count: count / calls,
      selfBytes: selfBytes / calls,
      topmost: 0,
      retainedBytes: 0
    })).sort((a, b) => b.selfBytes - a.selfBytes)
  return {
    calls,
    totalBytes: total / calls,
    byOwner: perCall(owners),
    byFile: perCall(files),
    inside: new Map([...inside].map(([group, parts]) => [group, perCall(parts)])),
    bySelf: [...rows].sort((a, b) => b.selfBytes - a.selfBytes),
    byRetained: rows.filter((row) => row.retainedBytes > 0).sort((a, b) => b.retainedBytes - a.retainedBytes)
  }
}
