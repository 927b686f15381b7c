/**
 * One tool call answered: its `arguments` parsed as JSON, decoded and handled by the toolkit, and
 * whatever came of it (a success, a typed failure, arguments that do not decode, a defect) turned
 * into the output text the model reads. Nothing here fails: every outcome is an output, and only
 * an interruption ends the effect without one.
 */
import { Cause, Effect, Option, Schema, Stream } from "effect"
import { AiError, Tool } from "effect/ai"
import type { FunctionCall } from "../../RealtimeModelEvent.js"

/** What the call came to (the `tool.outcome` of its span), and the output sent for it. */
export interface Answer {
  readonly outcome: "success" | "failure" | "invalidArguments" | "defect" | "timeout" | "unknownTool"
  readonly output: string
}

/**
 * A toolkit's `handle`, seen without its tools' names and with the handlers' services provided:
 * a call's name and arguments come off the wire, so their types are only known once decoded.
 */
export type Handle = (
  name: string,
  params: unknown,
  callId: string
) => Effect.Effect<Stream.Stream<Tool.HandlerResult<Tool.Any>, unknown>, unknown>

const json = (value: unknown): string => JSON.stringify(value ?? null)

const errorOutput = (error: unknown): string => json({ error })

/** The short output of a defect: the model learns that the tool failed, never how. */
export const defectOutput = errorOutput("the tool failed unexpectedly")

const invalidArguments = (message: string): Effect.Effect<Answer> =>
  Effect.as(
    Effect.logWarning(`tool call arguments rejected: ${message}`),
    { outcome: "invalidArguments", output: errorOutput(`invalid arguments: ${message}`) } as const
  )

const defect = (what: string, cause: Cause.Cause<unknown>): Effect.Effect<Answer> =>
  Effect.as(Effect.logError(what, cause), { outcome: "defect", output: defectOutput } as const)

const failure = (encoded: unknown): Effect.Effect<Answer> =>
  Effect.as(
    Effect.logWarning(`tool call failed: ${json(encoded)}`),
    { outcome: "failure", output: errorOutput(encoded) } as const
  )

/** An AiError: the arguments did not decode, the result could not be encoded, or the handler's own. */
const fromAiError = (error: AiError.AiError, cause: Cause.Cause<unknown>): Effect.Effect<Answer> => {
  switch (error.reason._tag) {
    case "ToolParameterValidationError":
      return invalidArguments(error.reason.description ?? error.message)
    case "ToolResultEncodingError":
    case "InvalidToolResultError":
      return defect("the tool's result does not match its success schema", cause)
    default:
      return failure(error.message)
  }
}

/**
 * A typed failure encoded with the tool's failure Schema. Its encoding services are among the
 * handlers' requirements, which the caller provides around the whole answer.
 */
const encodeFailure = (tool: Tool.Any, error: unknown): Effect.Effect<unknown, Schema.SchemaError> =>
  Schema.encodeUnknownEffect(tool.failureSchema as Schema.Encoder<unknown>)(error)

/** A handler's failure: an AiError, or the tool's typed failure encoded with its failure schema. */
const fromFailure = (tool: Tool.Any, error: unknown, cause: Cause.Cause<unknown>): Effect.Effect<Answer> =>
  AiError.isAiError(error) ? fromAiError(error, cause) : encodeFailure(tool, error).pipe(
    Effect.matchEffect({
      onFailure: () => defect("the tool's failure does not match its failure schema", cause),
      onSuccess: failure
    })
  )

/** The final result of a handler (a "return"-mode tool yields its failures as results). */
const fromResult = (result: Tool.HandlerResult<Tool.Any>): Effect.Effect<Answer> => {
  if (!result.isFailure) return Effect.succeed({ outcome: "success", output: json(result.encodedResult) })
  if (AiError.isAiError(result.result)) return fromAiError(result.result, Cause.fail(result.result))
  return failure(result.encodedResult)
}

/**
 * Answers one call of a tool the toolkit holds. Interruption is passed on (the call no longer
 * matters); every other ending is an `Answer`.
 */
export const answer = (handle: Handle, tool: Tool.Any, call: FunctionCall): Effect.Effect<Answer> =>
  Effect.try({
    try: () => Tool.unsafeSecureJsonParse(call.arguments === "" ? "{}" : call.arguments),
    catch: (error) => error instanceof Error ? error.message : String(error)
  }).pipe(
    Effect.matchEffect({
      onFailure: (message) => invalidArguments(`not JSON (${message})`),
      onSuccess: (params) =>
        handle(call.name, params, call.callId).pipe(
          Effect.flatMap((results) => Stream.runLast(Stream.filter(results, (result) => !result.preliminary))),
          Effect.matchCauseEffect({
            onSuccess: Option.match({
              onNone: () => defect("the tool ended without a result", Cause.empty),
              onSome: fromResult
            }),
            onFailure: (cause): Effect.Effect<Answer> => {
              if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
              const failed = cause.reasons.find(Cause.isFailReason)
              return failed === undefined
                ? defect("the tool failed unexpectedly", cause)
                : fromFailure(tool, failed.error, cause)
            }
          })
        )
    })
  )
