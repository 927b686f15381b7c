/**
 * Reading V8 heap snapshots (the `.heapsnapshot` JSON that `v8.writeHeapSnapshot` writes) to find
 * what a call is made of: the nodes, their dominator tree and retained sizes, and the grouping of
 * the objects one snapshot has and an earlier one had not (the calls opened between the two) by
 * constructor or closure, with the source location of each closure.
 *
 * The dominator tree is computed with the iterative algorithm of Cooper, Harvey and Kennedy
 * ("A Simple, Fast Dominance Algorithm") over the strong edges (weak edges retain nothing).
 */

/** The JSON of a heap snapshot, as far as this module reads it. */
export interface SnapshotJson {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: ReadonlyArray<string>
      readonly node_types: ReadonlyArray<ReadonlyArray<string> | string>
      readonly edge_fields: ReadonlyArray<string>
      readonly edge_types: ReadonlyArray<ReadonlyArray<string> | string>
    }
    readonly node_count: number
  }
  readonly nodes: ReadonlyArray<number>
  readonly edges: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

/** A snapshot's graph in flat arrays, node 0 the root. */
export interface Graph {
  readonly count: number
  readonly type: ReadonlyArray<string>
  readonly name: ReadonlyArray<string>
  readonly id: Float64Array
  readonly selfSize: Float64Array
  /** The edges of node n are `firstEdge[n]` to `firstEdge[n + 1]` (exclusive). */
  readonly firstEdge: Uint32Array
  readonly edgeTo: Uint32Array
  readonly edgeType: ReadonlyArray<string>
  /** The edge's property name, or its index as a string for element and hidden edges. */
  readonly edgeName: ReadonlyArray<string>
}

const field = (fields: ReadonlyArray<string>, name: string): number => {
  const index = fields.indexOf(name)
  if (index < 0) throw new Error(`heap snapshot without the ${name} field`)
  return index
}

const enumOf = (types: ReadonlyArray<ReadonlyArray<string> | string>, index: number): ReadonlyArray<string> => {
  const values = types[index]
  return Array.isArray(values) ? values : []
}

/** The graph of a parsed snapshot. */
export const graphOf = (json: SnapshotJson): Graph => {
  const meta = json.snapshot.meta
  const nodeWidth = meta.node_fields.length
  const edgeWidth = meta.edge_fields.length
  const nType = field(meta.node_fields, "type")
  const nName = field(meta.node_fields, "name")
  const nId = field(meta.node_fields, "id")
  const nSize = field(meta.node_fields, "self_size")
  const nEdges = field(meta.node_fields, "edge_count")
  const eType = field(meta.edge_fields, "type")
  const eName = field(meta.edge_fields, "name_or_index")
  const eTo = field(meta.edge_fields, "to_node")
  const nodeTypes = enumOf(meta.node_types, nType)
  const edgeTypes = enumOf(meta.edge_types, eType)
  const count = json.nodes.length / nodeWidth
  const type = new Array<string>(count)
  const name = new Array<string>(count)
  const id = new Float64Array(count)
  const selfSize = new Float64Array(count)
  const firstEdge = new Uint32Array(count + 1)
  for (let n = 0, edges = 0; n < count; n++) {
    const base = n * nodeWidth
    type[n] = nodeTypes[json.nodes[base + nType]!] ?? "unknown"
    name[n] = json.strings[json.nodes[base + nName]!] ?? ""
    id[n] = json.nodes[base + nId]!
    selfSize[n] = json.nodes[base + nSize]!
    firstEdge[n] = edges
    edges += json.nodes[base + nEdges]!
    firstEdge[n + 1] = edges
  }
  const edgeCount = json.edges.length / edgeWidth
  const edgeTo = new Uint32Array(edgeCount)
  const edgeType = new Array<string>(edgeCount)
  const edgeName = new Array<string>(edgeCount)
  for (let e = 0; e < edgeCount; e++) {
    const base = e * edgeWidth
    const kind = edgeTypes[json.edges[base + eType]!] ?? "unknown"
    const nameOrIndex = json.edges[base + eName]!
    edgeType[e] = kind
    edgeName[e] = kind === "element" || kind === "hidden" ? String(nameOrIndex) : json.strings[nameOrIndex] ?? ""
    edgeTo[e] = json.edges[base + eTo]! / nodeWidth
  }
  return { count, type, name, id, selfSize, firstEdge, edgeTo, edgeType, edgeName }
}

/** The immediate dominator of every node reachable from the root (the root's is itself; -1: unreachable). */
export interface Dominators {
  readonly idom: Int32Array
  /** Reachable nodes in postorder (the root last). */
  readonly postorder: Uint32Array
  readonly retained: Float64Array
}

/** Dominators and retained sizes over the strong edges. */
export const dominators = (graph: Graph): Dominators => {
  const { count, edgeTo, edgeType, firstEdge } = graph
  const strong = (e: number) => edgeType[e] !== "weak"
  // postorder by an iterative depth-first walk from the root
  const order = new Int32Array(count).fill(-1)
  const postorder = new Uint32Array(count)
  let visited = 0
  const visiting = new Uint8Array(count)
  const stackNode = new Uint32Array(count)
  const stackEdge = new Uint32Array(count)
  let depth = 0
  stackNode[0] = 0
  stackEdge[0] = firstEdge[0]!
  visiting[0] = 1
  while (depth >= 0) {
    const n = stackNode[depth]!
    const e = stackEdge[depth]!
    if (e < firstEdge[n + 1]!) {
      stackEdge[depth] = e + 1
      const to = edgeTo[e]!
      if (strong(e) && visiting[to] === 0) {
        visiting[to] = 1
        depth++
        stackNode[depth] = to
        stackEdge[depth] = firstEdge[to]!
      }
    } else {
      order[n] = visited
      postorder[visited++] = n
      depth--
    }
  }
  // predecessors of reachable nodes, by strong edges from reachable nodes
  const predCount = new Uint32Array(count + 1)
  for (let n = 0; n < count; n++) {
    if (order[n] === -1) continue
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) if (strong(e)) predCount[edgeTo[e]! + 1]!++
  }
  for (let n = 0; n < count; n++) predCount[n + 1]! += predCount[n]!
  const preds = new Uint32Array(predCount[count]!)
  const fill = predCount.slice(0, count)
  for (let n = 0; n < count; n++) {
    if (order[n] === -1) continue
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) if (strong(e)) preds[fill[edgeTo[e]!]!++] = n
  }
  const root = 0
  const idom = new Int32Array(count).fill(-1)
  idom[root] = root
  const intersect = (a: number, b: number): number => {
    let x = a
    let y = b
    while (x !== y) {
      while (order[x]! < order[y]!) x = idom[x]!
      while (order[y]! < order[x]!) y = idom[y]!
    }
    return x
  }
  let changed = true
  while (changed) {
    changed = false
    // reverse postorder, the root (last in postorder) skipped
    for (let i = visited - 2; i >= 0; i--) {
      const n = postorder[i]!
      let next = -1
      for (let p = predCount[n]!; p < predCount[n + 1]!; p++) {
        const pred = preds[p]!
        if (idom[pred] === -1) continue
        next = next === -1 ? pred : intersect(pred, next)
      }
      if (next !== -1 && idom[n] !== next) {
        idom[n] = next
        changed = true
      }
    }
  }
  const retained = Float64Array.from(graph.selfSize)
  for (let i = 0; i < visited - 1; i++) {
    const n = postorder[i]!
    retained[idom[n]!]! += retained[n]!
  }
  return { idom, postorder: postorder.subarray(0, visited), retained }
}

const edgeNamed = (graph: Graph, node: number, name: string): number | undefined => {
  for (let e = graph.firstEdge[node]!; e < graph.firstEdge[node + 1]!; e++) {
    if (graph.edgeName[e] === name) return graph.edgeTo[e]
  }
  return undefined
}

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
