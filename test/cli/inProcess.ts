/**
 * Runs the command in this process: `main` with its arguments, environment and terminal given
 * here, its standard output and error captured, and the exit code the Node runtime would take
 * from its end (`Runtime.defaultTeardown`). Real files, real servers, real sockets: only the
 * process boundary is left out.
 */
import { NodeServices } from "@effect/platform-node"
import { ConfigProvider, Deferred, Effect, Fiber, Ref, Runtime, Sink, Stdio } from "effect"
import { main } from "../../src/internal/cli/main.js"

export interface Ran {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface MainOptions {
  /** The whole environment the command sees (no OPENAI_API_KEY unless given). */
  readonly env?: Record<string, string>
  readonly stdinIsTerminal?: boolean
  readonly stdoutIsTerminal?: boolean
  readonly stderrIsTerminal?: boolean
  /** Interrupts the command (as Ctrl-C does) once its standard output matches. */
  readonly interruptWhen?: RegExp
  /** Interrupts the command (as Ctrl-C does) once this completes. */
  readonly interruptOn?: Effect.Effect<void>
  /** Runs once when standard output first matches `when`. */
  readonly onOutput?: { readonly when: RegExp; readonly run: Effect.Effect<void> }
}

const decoder = new TextDecoder()
const text = (chunk: string | Uint8Array): string => typeof chunk === "string" ? chunk : decoder.decode(chunk)

export const runMain = (args: ReadonlyArray<string>, options: MainOptions = {}) =>
  Effect.gen(function*() {
    const stdout = yield* Ref.make("")
    const stderr = yield* Ref.make("")
    const matched = yield* Deferred.make<void>()
    const onOutputRan = yield* Ref.make(false)
    const onStdout = (chunk: string | Uint8Array) =>
      Effect.gen(function*() {
        const so = yield* Ref.updateAndGet(stdout, (all) => all + text(chunk))
        if (options.interruptWhen?.test(so)) yield* Deferred.succeed(matched, undefined)
        if (options.onOutput?.when.test(so) && !(yield* Ref.getAndSet(onOutputRan, true))) yield* options.onOutput.run
      })
    const stdio = Stdio.layerTest({
      args: Effect.succeed(args),
      stdout: () => Sink.forEach(onStdout),
      stderr: () => Sink.forEach((chunk) => Ref.update(stderr, (all) => all + text(chunk))),
      stdinIsTerminal: Effect.succeed(options.stdinIsTerminal ?? false),
      stdoutIsTerminal: Effect.succeed(options.stdoutIsTerminal ?? false),
      stderrIsTerminal: Effect.succeed(options.stderrIsTerminal ?? false)
    })
    const fiber = yield* main.pipe(
      Effect.provide(stdio),
      Effect.provide(NodeServices.layer),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: options.env ?? {} })),
      Effect.forkChild
    )
    if (options.interruptWhen !== undefined || options.interruptOn !== undefined) {
      yield* Effect.raceFirst(
        options.interruptOn === undefined ? Deferred.await(matched) : options.interruptOn,
        Fiber.await(fiber)
      )
      yield* Fiber.interrupt(fiber)
    }
    const exit = yield* Fiber.await(fiber)
    let exitCode = -1
    Runtime.defaultTeardown(exit, (code) => {
      exitCode = code
    })
    return {
      exitCode,
      stdout: yield* Ref.get(stdout),
      stderr: yield* Ref.get(stderr)
    } satisfies Ran
  })
