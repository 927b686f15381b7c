/**
 * The graph of a V8 heap snapshot (the `.heapsnapshot` JSON that `v8.writeHeapSnapshot` writes):
 * its nodes and edges in flat arrays, and its dominator tree with retained sizes, computed with
 * the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast Dominance Algorithm")
 * over the strong edges (weak edges retain nothing).
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

/** The node an edge of `node` named `name` leads to, if there is one. */
export const edgeNamed = (graph: Graph, node: number, name: string): number | undefined => {
  for (let e = graph.firstEdge[node]!; e < graph.firstEdge[node + 1]!; e++) {
    if (graph.edgeName[e] === name) return graph.edgeTo[e]
  }
  return undefined
}
