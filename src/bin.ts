#!/usr/bin/env node
/**
 * `effect-realtime`: a voice session from the command line. With no arguments it runs an offline
 * demo against the embedded server: a question, a streamed answer, a barge-in, the truncated result.
 *
 * Exit codes: 0 done; 2 bad arguments, input file or missing key (all checked before connecting);
 * 3 the server could not be reached or refused us; 130 interrupted (Ctrl-C: an `interrupted` line,
 * the summary so far, the partial `--output`); 1 anything else (e.g. a failed `--output` write).
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { CliOutput, Command } from "effect/cli"
import type { CliError } from "effect/cli"
import { flags } from "./internal/cli/flags.js"
import { CliFailure, program } from "./internal/cli/program.js"
import { InvalidArgumentError, RealtimeConnectError } from "./RealtimeError.js"

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** The connect failures that are the command line's fault: a missing key or an unusable URL. */
const usageReasons: ReadonlySet<string> = new Set(["MissingApiKey", "InvalidConfig", "InsecureTransport"])

/** 2: bad arguments, input or missing key; 3: the server could not be reached or refused us; 1: anything else. */
const exitCodeOf = (error: unknown): number => {
  if (error instanceof InvalidArgumentError) return 2
  // a server that answered the upgrade with an HTTP status refused us, whatever the reason
  if (error instanceof RealtimeConnectError) return usageReasons.has(error.reason) && error.status === undefined ? 2 : 3
  return 1
}

const toFailure = (error: unknown): CliFailure =>
  error instanceof CliFailure
    ? error
    : new CliFailure({ message: messageOf(error), exitCode: exitCodeOf(error), cause: error })

/** Prints the one line a failure gets, then fails with it (the runtime takes its exit code from it). */
const report = (failure: CliFailure) => Effect.andThen(Console.error(`error: ${failure.message}`), Effect.fail(failure))

/** Bad arguments: one line naming what is wrong (no help page), exit code 2. */
const badArguments = (help: CliError.ShowHelp): Effect.Effect<never, CliFailure | CliError.ShowHelp> =>
  help.errors.length === 0
    ? Effect.fail(help)
    : report(
      new CliFailure({
        message: `${help.errors.map((error) => error.message).join("; ")} (see --help)`,
        exitCode: 2,
        cause: help
      })
    )

/** The built-in help and version output, minus the help page `effect/cli` prints on a parse error. */
const presenter: CliOutput.Presenter = {
  present: (event) => (event._tag === "InvalidInvocation" ? Effect.void : CliOutput.defaultPresenter.present(event))
}

const command = Command.make(
  "effect-realtime",
  flags,
  (args) => program(args).pipe(Effect.scoped, Effect.asVoid, Effect.catch((error) => report(toFailure(error))))
).pipe(
  Command.withDescription(
    "A voice session with a realtime speech model: a question, the streamed reply played back in real time, an optional barge-in, and a summary. With no flags, an offline demo against the embedded server."
  )
)

Command.run(command, { version: "0.1.0" }).pipe(
  Effect.catchTag("ShowHelp", badArguments),
  Effect.provideService(CliOutput.Presenter, presenter),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
