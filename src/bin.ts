#!/usr/bin/env node
/**
 * `effect-realtime`: a voice session from the command line. With no arguments it runs an offline
 * demo against the embedded server: a question, a streamed answer, a barge-in, the truncated result.
 *
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit } from "effect"
import { CliFailure, program } from "./internal/cli/program.js"
import type { CliArgs } from "./internal/cli/program.js"
import { RealtimeConnectError } from "./RealtimeError.js"

const options = {
  text: Options.text("text").pipe(Options.withDescription("what the user says, as text"), Options.optional),
  input: Options.file("input", { exists: "either" }).pipe(
    Options.withDescription("what the user says, as a WAV file (any common encoding and rate)"),
    Options.optional
  ),
  output: Options.file("output").pipe(Options.withDescription("write the reply's audio as heard to this WAV file"), Options.optional),
  bargeInMs: Options.integer("barge-in-ms").pipe(
    Options.withDescription("the user interrupts this many milliseconds into the reply"),
    Options.optional
  ),
  live: Options.boolean("live").pipe(Options.withDescription("talk to OpenAI's Realtime API (needs OPENAI_API_KEY)")),
  url: Options.text("url").pipe(Options.withDescription("talk to the realtime server at this WebSocket URL"), Options.optional),
  speed: Options.float("speed").pipe(
    Options.withDescription("how many times faster than real time the embedded server sends audio"),
    Options.withDefault(1)
  ),
  instructions: Options.text("instructions").pipe(Options.withDescription("session instructions"), Options.optional),
  voice: Options.text("voice").pipe(Options.withDescription("the model's voice"), Options.optional)
}

/** 2: bad arguments, input or missing key; 3: the server could not be reached or refused us; 1: anything else. */
const exitCodeOf = (error: unknown): number => {
  if (error instanceof CliFailure) return error.exitCode
  if (error instanceof RealtimeConnectError) return error.reason === "MissingApiKey" ? 2 : 3
  return 1
}

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const command = Command.make("effect-realtime", options, (args: CliArgs) =>
  program(args).pipe(
    Effect.scoped,
    Effect.asVoid,
    Effect.catchAll((error) =>
      Effect.zipRight(
        Console.error(`error: ${messageOf(error)}`),
        Effect.sync(() => {
          process.exitCode = exitCodeOf(error)
        })
      ))
  ))

const cli = Command.run(command, { name: "effect-realtime", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? 0 : Cause.isInterruptedOnly(exit.cause) ? 130 : 1)
  })
)
