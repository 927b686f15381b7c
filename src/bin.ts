#!/usr/bin/env node
/**
 * `effect-realtime`: a voice session from the command line. With no arguments it runs an offline
 * demo against the embedded server: a question, a streamed answer, a barge-in, the truncated result.
 *
 * Exit codes: 0 done; 2 bad arguments, input file or missing key; 3 the server could not be
 * reached or refused us; 130 interrupted; 1 anything else.
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { CliOutput, Command, Flag } from "effect/cli"
import type { CliError } from "effect/cli"
import { CliFailure, program } from "./internal/cli/program.js"
import { RealtimeConnectError } from "./RealtimeError.js"

const flags = {
  text: Flag.String("text").pipe(Flag.withDescription("what the user says, as text"), Flag.optional),
  input: Flag.File("input").pipe(
    Flag.withDescription("what the user says, as a WAV file (any common encoding and rate)"),
    Flag.optional
  ),
  output: Flag.File("output").pipe(
    Flag.withDescription("write the reply's audio as heard to this WAV file"),
    Flag.optional
  ),
  bargeInMs: Flag.Int("barge-in-ms").pipe(
    Flag.withDescription("the user interrupts this many milliseconds into the reply"),
    Flag.optional
  ),
  live: Flag.Boolean("live").pipe(
    Flag.withDescription("talk to OpenAI's Realtime API (needs OPENAI_API_KEY)"),
    Flag.withDefault(false)
  ),
  url: Flag.String("url").pipe(Flag.withDescription("talk to the realtime server at this WebSocket URL"), Flag.optional),
  speed: Flag.Finite("speed").pipe(
    Flag.withDescription("how many times faster than real time the embedded server sends audio"),
    Flag.withDefault(1)
  ),
  instructions: Flag.String("instructions").pipe(Flag.withDescription("session instructions"), Flag.optional),
  voice: Flag.String("voice").pipe(Flag.withDescription("the model's voice"), Flag.optional)
}

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** 2: bad arguments, input or missing key; 3: the server could not be reached or refused us; 1: anything else. */
const toFailure = (error: unknown): CliFailure =>
  error instanceof CliFailure
    ? error
    : new CliFailure({
      message: messageOf(error),
      exitCode: error instanceof RealtimeConnectError ? (error.reason === "MissingApiKey" ? 2 : 3) : 1,
      cause: error
    })

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
)

Command.run(command, { version: "0.1.0" }).pipe(
  Effect.catchTag("ShowHelp", badArguments),
  Effect.provideService(CliOutput.Presenter, presenter),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
