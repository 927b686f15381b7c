/**
 * The `effect-realtime` command as one Effect: the flags parsed from `Stdio`'s arguments, the help,
 * the one-line `error:` reports and their exit codes. `src/bin.ts` runs it on Node (`runOnNode`);
 * tests run `main` in-process with their own `Stdio`, environment and terminal.
 *
 * Exit codes: 0 done; 2 bad arguments, input file or missing key (all checked before connecting);
 * 3 the server could not be reached, refused us or closed the connection before the reply's end;
 * 130 interrupted; 1 anything else.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Logger, Option, Ref, Stdio } from "effect"
import { CliOutput, Command, TerminalCapabilities } from "effect/cli"
import type { CliError } from "effect/cli"
import { InvalidArgumentError, RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import { flags } from "./flags.js"
import * as Output from "./output.js"
import { CliFailure, program, reportInterrupted, usage } from "./program.js"
import type { Progress } from "./program.js"

/** The command's version, for `--version`. */
export const version = "0.1.0"

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** The connect failures that are the command line's fault: a missing key or an unusable URL. */
const usageReasons: ReadonlySet<string> = new Set(["MissingApiKey", "InvalidConfig", "InsecureTransport"])

/**
 * 2: bad arguments, input or missing key; 3: the server could not be reached, refused us, or
 * closed the connection before the reply's end; 1: anything else.
 */
const exitCodeOf = (error: unknown): number => {
  if (error instanceof InvalidArgumentError) return 2
  // e.g. Gemini accepts the upgrade and closes at once on a bad key (1007)
  if (error instanceof RealtimeConnectionLost) return 3
  // a server that answered the upgrade with an HTTP status refused us, whatever the reason
  if (error instanceof RealtimeConnectError) return usageReasons.has(error.reason) && error.status === undefined ? 2 : 3
  return 1
}

const toFailure = (error: unknown): CliFailure =>
  error instanceof CliFailure
    ? error
    : new CliFailure({ message: messageOf(error), exitCode: exitCodeOf(error), cause: error })

/** Prints the one line a failure gets, then fails with it (the runtime takes its exit code from it). */
const report = (failure: CliFailure) =>
  Effect.flatMap(
    Output.printer,
    (print) => Effect.andThen(print.errLine(`error: ${failure.message}`), Effect.fail(failure))
  )

/** Bad arguments: one line naming what is wrong (no help page), exit code 2. */
const badArguments = (help: CliError.ShowHelp): Effect.Effect<never, CliFailure | CliError.ShowHelp, Stdio.Stdio> =>
  help.errors.length === 0
    ? Effect.fail(help)
    : report(usage(`${help.errors.map((error) => error.message).join("; ")} (see --help)`, help))

/** Help and version on standard output; nothing for a parse error (`badArguments` prints its one line). */
const presenter = (print: Output.Printer): CliOutput.Presenter => ({
  present: (event) =>
    Effect.gen(function*() {
      const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
      const formatter = CliOutput.defaultFormatter({ colors: canColor })
      switch (event._tag) {
        case "Help":
          return yield* print.lines([formatter.formatHelpDoc(event.helpDoc)])
        case "Version":
          return yield* print.lines([formatter.formatVersion(event.name, event.version)])
        case "InvalidInvocation":
          return
      }
    })
})

const commandWith = (progress: Ref.Ref<Option.Option<Progress>>) =>
  Command.make(
    "effect-realtime",
    flags,
    (args) =>
      program(args, progress).pipe(Effect.scoped, Effect.asVoid, Effect.catch((error) => report(toFailure(error))))
  ).pipe(
    Command.withDescription(
      "A voice session with a realtime speech model: a question, the streamed reply played back in real time, an optional barge-in, and a summary. With no flags, an offline demo against the embedded server."
    )
  )

const isWizard = (arg: string): boolean => arg === "--wizard" || arg.startsWith("--wizard=")

/**
 * The command, with its arguments from `Stdio`. Its failures have been printed already; a
 * `CliFailure` carries the exit code.
 */
export const main = Effect.gen(function*() {
  const print = yield* Output.printer
  const args = yield* Stdio.Stdio.use((stdio) => stdio.args)
  const { canPrompt } = yield* TerminalCapabilities.TerminalCapabilities
  // the wizard asks its questions on the terminal; without one it could only give up
  if (args.some(isWizard) && !canPrompt) {
    return yield* report(
      usage(
        "--wizard asks its questions in a terminal, and stdin or stdout is not one: give the flags instead (see --help)"
      )
    )
  }
  // what an interrupt reports, from the first step (argument parsing) to the last
  const progress = yield* Ref.make(Option.none<Progress>())
  yield* Command.runWith(commandWith(progress), { version })(args).pipe(
    Effect.catchTag("ShowHelp", badArguments),
    Effect.provideService(CliOutput.Presenter, presenter(print)),
    Effect.onInterrupt(() => reportInterrupted(progress))
  )
}).pipe(
  Effect.provide(TerminalCapabilities.layer),
  // the library's log lines (a connection lost, …) go to standard error, beside the command's own;
  // standard output holds the conversation and the summary only
  Effect.provideService(Logger.LogToStderr, true)
)

/** Runs the command as this Node process: arguments, streams and exit code are the process's. */
export const runOnNode = (): void => main.pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
