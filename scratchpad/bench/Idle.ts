/**
 * Workload (e): what a call costs at rest. Many calls are opened to the loopback server and left
 * idle (nothing after `session.created`), and the heap and resident set after GC are divided by
 * their number; then, for effect-realtime, an idle check: the calls ping the server fast and the
 * heap must stay flat across many pings.
 *
 * The server runs in the same process, so every figure includes the server's side of each socket
 * (the same for every consumer); the differences between rows are the clients' own.
 */
import { Console, Duration, Effect, Exit, Result, Schema, Scope } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { BenchError } from "./BenchError.js"
import type { Consumer } from "./Consumer.js"
import { agentsRealtime } from "./consumers/AgentsRealtime.js"
import { effectRealtime } from "./consumers/EffectRealtime.js"
import type { EffectRealtimeOptions } from "./consumers/EffectRealtime.js"
import { floor } from "./consumers/Floor.js"
import type { LoopbackServer } from "./LoopbackServer.js"
import { footprint } from "./Memory.js"
import type { Footprint } from "./Memory.js"
import { makeReceiver } from "./Receiver.js"
import * as Script from "./Script.js"

/** One row of (e): a consumer, and whether its calls connect at all. */
export interface IdleVariant {
  readonly consumer: Consumer
  /** False for a model made but never connected: no server session, nothing to wait for. */
  readonly connects: boolean
  /**
   * How the row's own process runs the TypeScript sources: `"build"` as the package's build does
   * (`register.mjs`: no per-closure `name` property), `"tsx"` as the rest of the bench does.
   */
  readonly runtime: "build" | "tsx"
}

const ours = (name: string, listeners: number, options: EffectRealtimeOptions = {}): Consumer =>
  effectRealtime(listeners, { ...options, name: `effect-realtime, ${name}` })

/** The rows of (e): the floor, the official SDK's transport, and effect-realtime four ways. */
export const variants: ReadonlyArray<IdleVariant> = [
  { consumer: floor, connects: true, runtime: "build" },
  { consumer: agentsRealtime, connects: true, runtime: "build" },
  { consumer: ours("made, not connected (1 listener)", 1, { connect: false }), connects: false, runtime: "build" },
  { consumer: ours("connected, no listener", 0), connects: true, runtime: "build" },
  { consumer: ours("connected, 1 listener", 1), connects: true, runtime: "build" },
  {
    consumer: ours("connected, 1 listener, keepalive off", 1, { transport: { pingInterval: false } }),
    connects: true,
    runtime: "build"
  },
  { consumer: ours("connected, 1 listener, run by tsx", 1), connects: true, runtime: "tsx" }
]

/** The idle check's calls: effect-realtime with one listener, pinging every `interval`. */
export const pinging = (interval: Duration.Input): IdleVariant => ({
  consumer: ours("connected, 1 listener, fast pings", 1, { transport: { pingInterval: interval } }),
  connects: true,
  runtime: "build"
})

/** Calls opened at once while a variant's calls are made. */
const OPEN_CONCURRENCY = 25

/**
 * Opens `calls` idle calls of `variant` into a new scope and returns it; each call has the
 * consumer's listeners, all fed one shared receiver (no audio ever comes), so the harness adds
 * nothing per call beyond the server's session.
 */
export const openCalls = (
  server: LoopbackServer,
  variant: IdleVariant,
  calls: number
): Effect.Effect<Scope.Closeable, BenchError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const receiver = yield* makeReceiver({
      expectedAudio: 0,
      sendTimes: new Float64Array(0),
      interruptAfterAudio: [],
      drivesInterrupts: false,
      heap: null
    })
    const receivers = Array.from({ length: variant.consumer.listeners }, () => receiver)
    const unconnected = { port: server.port, path: "/s/unconnected" }
    yield* Effect.forEach(
      Array.from({ length: calls }),
      () =>
        Effect.gen(function*() {
          if (!variant.connects) {
            return yield* Scope.provide(variant.consumer.connect(unconnected, receivers), scope)
          }
          const session = yield* Scope.provide(server.session(Script.idle, { speed: null }), scope)
          yield* Scope.provide(variant.consumer.connect(session.endpoint, receivers), scope)
          yield* session.accepted
        }),
      { concurrency: OPEN_CONCURRENCY, discard: true }
    ).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
    return scope
  })

/**
 * Opens a few calls of `variant` and closes them, so that the code and type feedback made on
 * first use are not counted as the cost of the calls measured after it.
 */
export const warmUp = (server: LoopbackServer, variant: IdleVariant): Effect.Effect<void, BenchError> =>
  Effect.flatMap(openCalls(server, variant, 20), (scope) => Scope.close(scope, Exit.void))

/** Opens `calls` calls of `variant` (see `openCalls`) and lets them settle for half a second. */
export const openSettled = (
  server: LoopbackServer,
  variant: IdleVariant,
  calls: number
): Effect.Effect<Scope.Closeable, BenchError> =>
  Effect.tap(openCalls(server, variant, calls), Effect.sleep("500 millis"))

/** Bytes per call: the footprint with the calls open, less the one before, over their number. */
export const IdleCost = Schema.Struct({ heapPerCall: Schema.Number, rssPerCall: Schema.Number })
export type IdleCost = typeof IdleCost.Type

/** The flag that makes the bench measure one row of (e) and print it as JSON (see `inChild`). */
export const ROW_FLAG = "--idle-row"

const mainScript = fileURLToPath(new URL("./main.ts", import.meta.url))
const register = fileURLToPath(new URL("./register.mjs", import.meta.url))

/**
 * Measures row `index` of `variants` in a new process (the bench's main script with `ROW_FLAG`,
 * run the row's way), so that neither its heap nor its resident set carries what an earlier row
 * or workload left.
 */
export const inChild = (index: number, calls: number): Effect.Effect<IdleCost, BenchError> =>
  Effect.callback<string, BenchError>((resume) => {
    const loader = variants[index]?.runtime === "tsx" ? "tsx" : register
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", loader, mainScript, ROW_FLAG, String(index), String(calls)],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.on(
      "error",
      (cause) => resume(Effect.fail(new BenchError({ message: `could not start the process of row ${index}`, cause })))
    )
    child.on("close", (code) =>
      resume(
        code === 0
          ? Effect.succeed(stdout.trim().split("\n").at(-1) ?? "")
          : Effect.fail(new BenchError({ message: `the process of row ${index} exited with ${code}` }))
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(
    Effect.flatMap((line) =>
      Schema.decodeUnknownEffect(Schema.fromJsonString(IdleCost))(line).pipe(
        Effect.mapError((cause) =>
          new BenchError({ message: `row ${index} printed no figures: ${line.slice(0, 200)}`, cause })
        )
      )
    )
  )

const perCall = (before: Footprint, after: Footprint, calls: number): IdleCost => ({
  heapPerCall: (after.heap - before.heap) / calls,
  rssPerCall: (after.rss - before.rss) / calls
})

/**
 * The cost of one idle call of `variant`: after a warm-up, `calls` calls held open, measured
 * after GC.
 */
export const idleCost = (
  server: LoopbackServer,
  variant: IdleVariant,
  calls: number
): Effect.Effect<IdleCost, BenchError> =>
  Effect.gen(function*() {
    yield* warmUp(server, variant)
    const before = yield* footprint
    const scope = yield* openSettled(server, variant, calls)
    const after = yield* footprint
    yield* Scope.close(scope, Exit.void)
    return perCall(before, after, calls)
  })

/** One reading of the idle check. */
export interface IdleReading {
  /** Pings the server received per call since the first reading. */
  readonly pingsPerCall: number
  readonly heap: number
  readonly rss: number
}

/**
 * The idle check: `calls` calls of `variant` (which pings every `interval`) sit idle; after a
 * warm-up of three intervals the heap is read after GC, then again each time every call has pinged
 * `step` more times (counted by the server), up to `pings` per call.
 */
export const idleGrowth = (
  server: LoopbackServer,
  variant: IdleVariant,
  options: { readonly calls: number; readonly interval: Duration.Input; readonly step: number; readonly pings: number }
): Effect.Effect<ReadonlyArray<IdleReading>, BenchError> =>
  Effect.gen(function*() {
    const interval = Duration.fromInputUnsafe(options.interval)
    const scope = yield* openCalls(server, variant, options.calls)
    yield* Effect.sleep(Duration.times(interval, 3))
    const start = server.pings()
    const first = yield* footprint
    const readings: Array<IdleReading> = [{ pingsPerCall: 0, heap: first.heap, rss: first.rss }]
    for (let target = options.step; target <= options.pings; target += options.step) {
      while (server.pings() - start < target * options.calls) yield* Effect.sleep(interval)
      const pinged = server.pings() - start
      const reading = yield* footprint
      readings.push({ pingsPerCall: pinged / options.calls, heap: reading.heap, rss: reading.rss })
    }
    yield* Scope.close(scope, Exit.void)
    return readings
  })

const kb = (bytes: number) => (bytes / 1024).toFixed(1)

/** A markdown table of idle costs, with each row's excess over the floor (the first row). */
export const costTable = (
  title: string,
  rows: ReadonlyArray<{ readonly name: string; readonly cost: IdleCost | string }>
): string => {
  const base = rows[0]?.cost
  const floorHeap = typeof base === "string" || base === undefined ? Number.NaN : base.heapPerCall
  return [
    `### ${title}`,
    "",
    "| call | heap KB per call | over the floor KB | × floor | RSS KB per call |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map(({ cost, name }) =>
      typeof cost === "string"
        ? `| ${name} | failed: ${cost} | | | |`
        : `| ${name} | ${kb(cost.heapPerCall)} | ${kb(cost.heapPerCall - floorHeap)} | ${
          (cost.heapPerCall / floorHeap).toFixed(2)
        } | ${kb(cost.rssPerCall)} |`
    ),
    ""
  ].join("\n")
}

/** A markdown table of the idle check's readings, growth per call since the first. */
export const growthTable = (title: string, calls: number, readings: ReadonlyArray<IdleReading>): string => {
  const first = readings[0]
  return [
    `### ${title}`,
    "",
    "| pings per call | heap MB | growth since the first reading, bytes per call | RSS MB |",
    "| ---: | ---: | ---: | ---: |",
    ...readings.map((reading) =>
      `| ${reading.pingsPerCall.toFixed(1)} | ${(reading.heap / 2 ** 20).toFixed(1)} | ${
        ((reading.heap - (first?.heap ?? Number.NaN)) / calls).toFixed(0)
      } | ${(reading.rss / 2 ** 20).toFixed(1)} |`
    ),
    ""
  ].join("\n")
}

/** How big (e) is. */
export interface IdleSizes {
  /** Idle calls per row. */
  readonly idleCalls: number
  /** Each row in a process of its own (clean heap and RSS), or all in this one (quicker). */
  readonly idleInChild: boolean
  /** The idle check's calls, ping interval, pings per call between readings, and pings per call in all. */
  readonly idleCheck: {
    readonly calls: number
    readonly interval: Duration.Input
    readonly step: number
    readonly pings: number
  }
}

/** Workload (e): the rows of idle calls, then the idle check, each printed as a table. */
export const run = (server: LoopbackServer, sizes: IdleSizes): Effect.Effect<void> =>
  Effect.gen(function*() {
    const rows = []
    for (const [index, variant] of variants.entries()) {
      const cost = yield* Effect.result(
        sizes.idleInChild ? inChild(index, sizes.idleCalls) : idleCost(server, variant, sizes.idleCalls)
      )
      rows.push({
        name: variant.consumer.name,
        cost: Result.isFailure(cost) ? cost.failure.message : cost.success
      })
    }
    yield* Console.log(
      costTable(
        `(e) ${sizes.idleCalls} idle calls at once (keepalive every 20 s unless off), heap and RSS per call after GC${
          sizes.idleInChild ? "; each row in a process of its own, the sources run as built unless \"run by tsx\"" : ""
        }`,
        rows
      )
    )
    const check = sizes.idleCheck
    const readings = yield* Effect.result(
      idleGrowth(server, pinging(check.interval), check)
    )
    const title = `(e) idle check: ${check.calls} idle effect-realtime calls (1 listener) pinging every ${
      Duration.format(Duration.fromInputUnsafe(check.interval))
    }`
    yield* Console.log(
      Result.isFailure(readings)
        ? `### ${title}\n\nfailed: ${readings.failure.message}\n`
        : growthTable(title, check.calls, readings.success)
    )
  })
