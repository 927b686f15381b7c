/**
 * `npm run bench`: the event pipeline of effect-realtime against the floor (`ws` + `JSON.parse` +
 * base64) and the peers, on the same loopback event streams, in one process run.
 *
 *   npm run bench              the full run (about 7 minutes on 2 cores)
 *   npm run bench -- --smoke   a tiny run, to check that the harness works
 *   npm run bench -- --idle    workload (e) alone (with --smoke: its tiny version)
 *   npm run bench -- --gemini  workload (f) alone: the Gemini Live row against its floor
 *   node --cpu-prof --import ./scratchpad/bench/register.mjs scratchpad/bench/main.ts --profile
 *                              the floor and effect-realtime alternating on (a) (--profile-paced: on
 *                              (b)), for a CPU profile; `node scratchpad/bench/profileSummary.mjs
 *                              <file.cpuprofile>` sums its self time per function
 *   node --expose-gc --import ./scratchpad/bench/register.mjs scratchpad/bench/main.ts --heap-breakdown
 *                              what one idle call is made of, from two heap snapshots, with the
 *                              sources run as the package's build runs (see loader.mjs)
 *
 * Run under `node --expose-gc` (the npm script does) so that retained heap is measured after a GC.
 */
import { Console, Effect, Exit, Result, Scope } from "effect"
import * as Os from "node:os"
import { BenchError } from "./BenchError.js"
import * as Breakdown from "./Breakdown.js"
import type { Consumer } from "./Consumer.js"
import { agentsRealtime } from "./consumers/AgentsRealtime.js"
import { effectRealtime } from "./consumers/EffectRealtime.js"
import { floor } from "./consumers/Floor.js"
import { openaiSdk } from "./consumers/OpenAISdk.js"
import * as Gemini from "./Gemini.js"
import * as Idle from "./Idle.js"
import * as LoopbackServer from "./LoopbackServer.js"
import type { Pace } from "./LoopbackServer.js"
import { gc } from "./Memory.js"
import { makeReceiver } from "./Receiver.js"
import type { HeapPeak, Receiver } from "./Receiver.js"
import * as Script from "./Script.js"

/** One measured trial. */
export interface Trial {
  readonly events: number
  readonly wallMs: number
  readonly cpuUs: number
  /** The part of `cpuUs` spent in the kernel. */
  readonly systemUs: number
  readonly latenciesMs: Float64Array
  readonly heapPeak: number
  readonly heapRetained: number
}

interface Sizes extends Idle.IdleSizes {
  readonly burst: number
  readonly mix: number
  readonly longSession: number
  readonly shortSession: number
  readonly connections: number
  readonly perConnection: number
  readonly trials: number
}

const full: Sizes = {
  burst: 20_000,
  mix: 3_000,
  longSession: 72_000,
  shortSession: 600,
  connections: 200,
  perConnection: 300,
  trials: 3,
  idleCalls: 1_000,
  idleInChild: true,
  idleCheck: { calls: 1_000, interval: "200 millis", step: 10, pings: 30 }
}
const smoke: Sizes = {
  burst: 200,
  mix: 100,
  longSession: 300,
  shortSession: 50,
  connections: 4,
  perConnection: 40,
  trials: 1,
  idleCalls: 20,
  idleInChild: false,
  idleCheck: { calls: 10, interval: "20 millis", step: 5, pings: 10 }
}

/** Runs `script` into `connections` connections of `consumer` and measures it. */
export const trial = (
  server: LoopbackServer.LoopbackServer,
  consumer: Consumer,
  script: Script.Script,
  pace: Pace,
  connections = 1
): Effect.Effect<Trial, BenchError> =>
  Effect.gen(function*() {
    gc()
    const scope = yield* Scope.make()
    const heap: HeapPeak = { peak: process.memoryUsage().heapUsed }
    const sessions = []
    const receivers: Array<Receiver> = []
    for (let c = 0; c < connections; c++) {
      const session = yield* Scope.provide(server.session(script, pace), scope)
      const mine: Array<Receiver> = []
      for (let l = 0; l < consumer.listeners; l++) {
        mine.push(
          yield* makeReceiver({
            expectedAudio: script.audioCount,
            sendTimes: session.sendTimes,
            interruptAfterAudio: script.interruptAfterAudio,
            drivesInterrupts: l === 0,
            heap: c === 0 && l === 0 ? heap : null
          })
        )
      }
      receivers.push(...mine)
      yield* Scope.provide(consumer.connect(session.endpoint, mine), scope)
      yield* session.accepted
      sessions.push(session)
    }
    const cpu = process.cpuUsage()
    const started = performance.now()
    yield* Effect.forEach(sessions, (session) => session.start, { discard: true })
    yield* Effect.forEach(receivers, (receiver) => receiver.done, { concurrency: "unbounded", discard: true }).pipe(
      Effect.mapError((message) => new BenchError({ message: `${consumer.name} on ${script.name}: ${message}` })),
      Effect.timeoutOrElse({
        duration: "180 seconds",
        orElse: () =>
          Effect.fail(
            new BenchError({
              message: `${consumer.name} on ${script.name}: timed out with ${
                receivers[0]?.received()
              } of ${script.audioCount} chunks`
            })
          )
      })
    )
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    gc()
    const heapRetained = process.memoryUsage().heapUsed
    const latencies = receivers.filter((_, index) => index % consumer.listeners === 0).map((receiver) =>
      receiver.latenciesMs()
    )
    const all = new Float64Array(latencies.reduce((sum, part) => sum + part.length, 0))
    latencies.reduce((offset, part) => (all.set(part, offset), offset + part.length), 0)
    yield* Scope.close(scope, Exit.void)
    return {
      events: script.audioCount * connections,
      wallMs,
      cpuUs: used.user + used.system,
      systemUs: used.system,
      latenciesMs: all,
      heapPeak: Math.max(heap.peak, heapRetained),
      heapRetained
    }
  })

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const percentile = (values: Float64Array, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/** A figure of one consumer on one workload, the median of its trials. */
export interface Row {
  readonly consumer: string
  readonly eventsPerSecond: number
  readonly cpuUsPerEvent: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly error: string | null
}

const measure = (
  server: LoopbackServer.LoopbackServer,
  consumer: Consumer,
  script: Script.Script,
  pace: Pace,
  trials: number,
  connections = 1
): Effect.Effect<Row> =>
  Effect.gen(function*() {
    // one untimed warm-up, then the trials
    yield* trial(server, consumer, script, pace, connections)
    const results: Array<Trial> = []
    for (let t = 0; t < trials; t++) results.push(yield* trial(server, consumer, script, pace, connections))
    return {
      consumer: consumer.name,
      eventsPerSecond: median(results.map((r) => (r.events / r.wallMs) * 1000)),
      cpuUsPerEvent: median(results.map((r) => r.cpuUs / r.events)),
      p50Ms: median(results.map((r) => percentile(r.latenciesMs, 50))),
      p99Ms: median(results.map((r) => percentile(r.latenciesMs, 99))),
      error: null
    }
  }).pipe(
    Effect.catch((error) =>
      Effect.succeed({
        consumer: consumer.name,
        eventsPerSecond: Number.NaN,
        cpuUsPerEvent: Number.NaN,
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        error: error.message
      })
    )
  )

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")

/** A markdown table of rows, with ratios to the floor (the first row). */
export const table = (title: string, rows: ReadonlyArray<Row>): string => {
  const base = rows[0]
  const lines = [
    `### ${title}`,
    "",
    "| consumer | events/s | × floor | CPU µs/event | × floor | latency p50 ms | p99 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((row) =>
      row.error !== null
        ? `| ${row.consumer} | failed: ${row.error} | | | | | |`
        : `| ${row.consumer} | ${fixed(row.eventsPerSecond, 0)} | ${
          fixed(row.eventsPerSecond / (base?.eventsPerSecond ?? Number.NaN), 2)
        } | ${fixed(row.cpuUsPerEvent, 1)} | ${fixed(row.cpuUsPerEvent / (base?.cpuUsPerEvent ?? Number.NaN), 2)} | ${
          fixed(row.p50Ms, 2)
        } | ${fixed(row.p99Ms, 2)} |`
    ),
    ""
  ]
  return lines.join("\n")
}

/** Workload (f): Gemini Live's frames, their floor and `GeminiLive`, ratios to that floor. */
const gemini = (server: LoopbackServer.LoopbackServer, sizes: Sizes) =>
  Effect.gen(function*() {
    const burst = Gemini.audioBurst(sizes.burst)
    const rows: Array<Row> = []
    for (const consumer of [Gemini.floor, Gemini.geminiLive]) {
      rows.push(yield* measure(server, consumer, burst, { speed: null }, sizes.trials))
    }
    yield* Console.log(table(
      `(f) Gemini Live audio burst: ${sizes.burst} × 100 ms PCM16 audio in serverContent frames (${burst.frameCount} frames), as fast as the server sends`,
      rows
    ))
  })

/** The machine a run was on, and a blank line. */
const machine = Effect.suspend(() => {
  const cpus = Os.cpus()
  return Console.log(
    `machine: node ${process.version}, ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${
      Math.round(Os.totalmem() / 2 ** 30)
    } GiB\n`
  )
})

export const run = (sizes: Sizes) =>
  Effect.scoped(Effect.gen(function*() {
    const server = yield* LoopbackServer.make
    yield* machine
    const consumers: ReadonlyArray<Consumer> = [floor, agentsRealtime, openaiSdk, effectRealtime(1), effectRealtime(8)]
    // the A/B of the listeners' hub: Effect's PubSub in place of the library's, on (a) and (b)
    const withPubSub: ReadonlyArray<Consumer> = [
      ...consumers,
      effectRealtime(1, { hub: "pubsub" }),
      effectRealtime(8, { hub: "pubsub" })
    ]

    const burst = Script.audioBurst(sizes.burst)
    const burstRows: Array<Row> = []
    for (const consumer of withPubSub) {
      burstRows.push(yield* measure(server, consumer, burst, { speed: null }, sizes.trials))
    }
    yield* Console.log(
      table(`(a) audio burst: ${sizes.burst} × 100 ms PCM16 deltas, as fast as the server sends`, burstRows)
    )

    const mix = Script.conversation({ name: "conversation mix", audioDeltas: sizes.mix, interruptEvery: 5 })
    const mixRows: Array<Row> = []
    for (const consumer of withPubSub) mixRows.push(yield* measure(server, consumer, mix, { speed: 50 }, sizes.trials))
    yield* Console.log(
      table(
        `(b) conversation mix at 50× real time: ${mix.frameCount} frames, ${mix.audioCount} audio deltas, barge-in every 5th response`,
        mixRows
      )
    )

    const heapLines: Array<string> = [
      "### (c) a two-hour session compressed, against a one-minute session (heap after GC, MB)",
      "",
      "| consumer | one minute: retained | two hours: peak | two hours: retained | growth |",
      "| --- | ---: | ---: | ---: | ---: |"
    ]
    const long = Script.conversation({ name: "two-hour session", audioDeltas: sizes.longSession, interruptEvery: 4 })
    const short = Script.conversation({
      name: "one-minute session",
      audioDeltas: sizes.shortSession,
      interruptEvery: 4
    })
    for (const consumer of [floor, effectRealtime(1)]) {
      const outcome = yield* Effect.result(Effect.gen(function*() {
        const one = yield* trial(server, consumer, short, { speed: null })
        const two = yield* trial(server, consumer, long, { speed: null })
        return { one, two }
      }))
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
      heapLines.push(
        Result.isFailure(outcome)
          ? `| ${consumer.name} | failed: ${outcome.failure.message} | | | |`
          : `| ${consumer.name} | ${mb(outcome.success.one.heapRetained)} | ${mb(outcome.success.two.heapPeak)} | ${
            mb(outcome.success.two.heapRetained)
          } | ${mb(outcome.success.two.heapRetained - outcome.success.one.heapRetained)} |`
      )
    }
    yield* Console.log(heapLines.join("\n") + "\n")

    const perConnection = Script.conversation({
      name: "conversation per connection",
      audioDeltas: sizes.perConnection,
      interruptEvery: 5
    })
    const manyRows: Array<Row> = []
    for (const consumer of consumers) {
      manyRows.push(yield* measure(server, consumer, perConnection, { speed: 50 }, 1, sizes.connections))
    }
    yield* Console.log(
      table(
        `(d) ${sizes.connections} concurrent connections, each a conversation at 50× real time (${perConnection.audioCount} audio deltas each)`,
        manyRows
      )
    )

    yield* Idle.run(server, sizes)
    yield* gemini(server, sizes)
  }))

const argAfter = (flag: string, offset: number): string | undefined => process.argv[process.argv.indexOf(flag) + offset]

/**
 * `--profile`: the floor and effect-realtime on the audio burst, twice each, for `node --cpu-prof`;
 * `--profile-paced`: the same on the conversation mix at 50× real time, workload (b). With
 * `--effect-only` (or `--floor-only`), an untimed warm-up then three runs of that consumer alone and
 * their median (what an A/B of two checkouts compares); with `--listeners <n>`, `n` listeners per call.
 */
const profile = (sizes: Sizes, paced: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const server = yield* LoopbackServer.make
    const listeners = process.argv.includes("--listeners") ? Number(argAfter("--listeners", 1)) : 1
    const script = paced
      ? Script.conversation({ name: "conversation mix", audioDeltas: sizes.mix, interruptEvery: 5 })
      : Script.audioBurst(sizes.burst)
    const pace = { speed: paced ? 50 : null }
    const effect = effectRealtime(listeners)
    // one consumer alone: an untimed warm-up, then three runs
    const alone = process.argv.includes("--effect-only")
      ? effect
      : process.argv.includes("--floor-only")
      ? floor
      : undefined
    if (alone !== undefined) yield* trial(server, alone, script, pace)
    const results: Array<Trial> = []
    for (const consumer of alone !== undefined ? [alone, alone, alone] : [floor, effect, floor, effect]) {
      const result = yield* trial(server, consumer, script, pace)
      results.push(result)
      yield* Console.log(
        `${consumer.name}: ${((result.events / result.wallMs) * 1000).toFixed(0)} events/s, ${
          (result.cpuUs / result.events).toFixed(1)
        } CPU µs/event (${(result.systemUs / result.events).toFixed(1)} in the kernel), p50 ${
          percentile(result.latenciesMs, 50).toFixed(2)
        } ms, p99 ${percentile(result.latenciesMs, 99).toFixed(2)} ms`
      )
    }
    if (alone === undefined) return
    yield* Console.log(
      `median: ${median(results.map((r) => (r.events / r.wallMs) * 1000)).toFixed(0)} events/s, ${
        median(results.map((r) => r.cpuUs / r.events)).toFixed(1)
      } CPU µs/event, p99 ${median(results.map((r) => percentile(r.latenciesMs, 99))).toFixed(2)} ms`
    )
  }))

const sizes = process.argv.includes("--smoke") ? smoke : full

/** `--heap-breakdown`: what an idle call is made of, for the floor and effect-realtime (see Breakdown.ts). */
const heapBreakdown = (calls: number) =>
  Effect.scoped(Effect.flatMap(LoopbackServer.make, (server) =>
    Breakdown.run(
      server,
      Idle.variants.filter((variant) =>
        variant.consumer === floor || variant.consumer.name === "effect-realtime, connected, 1 listener"
      ),
      calls,
      40
    )))

/** `--idle-row <index> <calls>`: one row of (e), measured in this (new) process, printed as JSON. */
const idleRow = (index: number, calls: number) =>
  Effect.scoped(Effect.gen(function*() {
    const variant = Idle.variants[index]
    if (variant === undefined) return yield* new BenchError({ message: `there is no row ${index} in (e)` })
    const server = yield* LoopbackServer.make
    const cost = yield* Idle.idleCost(server, variant, calls)
    yield* Console.log(JSON.stringify(cost))
  }))

/** `--gemini`: workload (f) alone. */
const geminiOnly = (sizes: Sizes) =>
  Effect.scoped(Effect.flatMap(LoopbackServer.make, (server) => Effect.andThen(machine, gemini(server, sizes))))

/** `--idle`: workload (e) alone. */
const idleOnly = (sizes: Sizes) =>
  Effect.scoped(Effect.flatMap(LoopbackServer.make, (server) => Idle.run(server, sizes)))

Effect.runPromise(
  process.argv.includes("--profile") || process.argv.includes("--profile-paced")
    ? profile(sizes, process.argv.includes("--profile-paced"))
    : process.argv.includes("--heap-breakdown")
    ? heapBreakdown(process.argv.includes("--smoke") ? 20 : 500)
    : process.argv.includes(Idle.ROW_FLAG)
    ? idleRow(Number(argAfter(Idle.ROW_FLAG, 1)), Number(argAfter(Idle.ROW_FLAG, 2)))
    : process.argv.includes("--idle")
    ? idleOnly(sizes)
    : process.argv.includes("--gemini")
    ? geminiOnly(sizes)
    : run(sizes)
).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
