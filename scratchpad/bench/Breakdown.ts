/**
 * `npm run bench -- --heap-breakdown`: what one idle call is made of. N idle calls are opened and
 * a heap snapshot written, then N more and a second snapshot; the objects of the second that the
 * first lacks are the N calls opened between them, grouped by constructor or closure (with the
 * script that defines the closure), per call, by self size and by what each group's topmost
 * objects retain. Snapshots go to `.bench-out/` (ignored by git).
 */
import { Console, Effect, Exit, Scope } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as V8 from "node:v8"
import { BenchError } from "./BenchError.js"
import * as HeapGraph from "./HeapGraph.js"
import * as HeapSnapshot from "./HeapSnapshot.js"
import * as Idle from "./Idle.js"
import type { LoopbackServer } from "./LoopbackServer.js"
import { footprint } from "./Memory.js"

const OUT = ".bench-out"

const writeSnapshot = (file: string): Effect.Effect<string, BenchError> =>
  Effect.flatMap(footprint, () =>
    Effect.try({
      try: () => {
        Fs.mkdirSync(OUT, { recursive: true })
        return V8.writeHeapSnapshot(Path.join(OUT, file))
      },
      catch: (cause) => new BenchError({ message: `could not write the heap snapshot ${file}`, cause })
    }))

const readGraph = (file: string): Effect.Effect<HeapGraph.Graph, BenchError> =>
  Effect.try({
    try: () => HeapGraph.graphOf(JSON.parse(Fs.readFileSync(file, "utf8")) as HeapGraph.SnapshotJson),
    catch: (cause) => new BenchError({ message: `could not read the heap snapshot ${file}`, cause })
  })

/** The breakdown of one idle call of `variant`, from snapshots with `calls` and `2 × calls` calls. */
export const measure = (
  server: LoopbackServer,
  variant: Idle.IdleVariant,
  calls: number
): Effect.Effect<HeapSnapshot.Breakdown, BenchError> =>
  Effect.gen(function*() {
    const tag = variant.consumer.name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "")
    yield* Idle.warmUp(server, variant)
    const first = yield* Idle.openSettled(server, variant, calls)
    const earlier = yield* writeSnapshot(`${tag}-1.heapsnapshot`)
    const second = yield* Idle.openSettled(server, variant, calls)
    const later = yield* writeSnapshot(`${tag}-2.heapsnapshot`)
    yield* Scope.close(second, Exit.void)
    yield* Scope.close(first, Exit.void)
    const earlierIds = HeapSnapshot.idsOf(yield* readGraph(earlier))
    return HeapSnapshot.breakdown(yield* readGraph(later), earlierIds, calls)
  })

const bytes = (value: number) => value.toFixed(0)

/** A caption and a table of groups: name, count, and the bytes `value` picks, per call. */
const groupTable = (
  caption: string,
  header: readonly [string, string, string],
  rows: ReadonlyArray<HeapSnapshot.GroupCost>,
  count: (row: HeapSnapshot.GroupCost) => number,
  value: (row: HeapSnapshot.GroupCost) => number
): ReadonlyArray<string> => [
  caption,
  "",
  `| ${header.join(" | ")} |`,
  "| --- | ---: | ---: |",
  ...rows.map((row) => `| ${row.group} | ${count(row).toFixed(2)} | ${bytes(value(row))} |`),
  ""
]

const objects = (row: HeapSnapshot.GroupCost) => row.count
const selfBytes = (row: HeapSnapshot.GroupCost) => row.selfBytes

/** Markdown tables of a breakdown: the `top` groups by retained size, then by owner and by self size. */
export const tables = (title: string, result: HeapSnapshot.Breakdown, top: number): string =>
  [
    `### ${title}`,
    "",
    `New objects per call: ${bytes(result.totalBytes)} bytes (self sizes, summed).`,
    "",
    ...groupTable(
      "By what the topmost new objects of each group retain (per call):",
      ["group (constructor, or closure and its script)", "topmost objects", "retained bytes"],
      result.byRetained.slice(0, top),
      (row) => row.topmost,
      (row) => row.retainedBytes
    ),
    ...result.byRetained.slice(0, 12).flatMap((row) =>
      groupTable(
        `Inside ${row.group} (${bytes(row.retainedBytes)} bytes per call):`,
        ["group", "objects", "self bytes"],
        (result.inside.get(row.group) ?? []).slice(0, 12),
        objects,
        selfBytes
      )
    ),
    ...([
      [
        "By owner: every new object under the nearest new closure or class instance that dominates it (per call):",
        ["owner", "owners", "bytes"],
        result.byOwner
      ],
      ["By the script of the owner (per call):", ["script", "owners", "bytes"], result.byFile],
      ["By self size (per call):", ["group", "objects", "self bytes"], result.bySelf]
    ] as const).flatMap(([caption, header, rows]) =>
      groupTable(caption, header, rows.slice(0, top), objects, selfBytes)
    )
  ].join("\n")

/** Runs the breakdown of each variant and prints its tables. */
export const run = (server: LoopbackServer, variants: ReadonlyArray<Idle.IdleVariant>, calls: number, top: number) =>
  Effect.forEach(variants, (variant) =>
    Effect.flatMap(
      measure(server, variant, calls),
      (result) =>
        Console.log(tables(`heap breakdown: ${variant.consumer.name}, ${calls} → ${2 * calls} calls`, result, top))
    ), { discard: true })
