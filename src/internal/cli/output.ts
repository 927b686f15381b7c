/**
 * Where the command line prints: standard output and standard error through Effect's `Stdio`
 * service (the process's own streams, or captured ones in tests), and whether standard error is a
 * terminal. A failed write (a closed pipe) is not the session's concern: it is dropped.
 */
import { Effect, Stdio, Stream } from "effect"

/** Printing, bound to one `Stdio`. */
export interface Printer {
  /** Writes text to standard output as it is. */
  readonly out: (text: string) => Effect.Effect<void>
  /** Writes text to standard error as it is. */
  readonly err: (text: string) => Effect.Effect<void>
  /** Writes lines to standard output. */
  readonly lines: (texts: ReadonlyArray<string>) => Effect.Effect<void>
  /** Writes one line to standard error. */
  readonly errLine: (text: string) => Effect.Effect<void>
  /** Standard error is a terminal: the progress bar is drawn there. */
  readonly stderrIsTerminal: boolean
}

/** The printer of the `Stdio` in context. */
export const printer: Effect.Effect<Printer, never, Stdio.Stdio> = Effect.gen(function*() {
  const stdio = yield* Stdio.Stdio
  const write = (sink: typeof stdio.stdout) => (text: string) => Effect.ignore(Stream.run(Stream.succeed(text), sink()))
  const out = write(stdio.stdout)
  const err = write(stdio.stderr)
  return {
    out,
    err,
    lines: (texts) => texts.length === 0 ? Effect.void : out(texts.map((text) => `${text}\n`).join("")),
    errLine: (text) => err(`${text}\n`),
    stderrIsTerminal: yield* stdio.stderrIsTerminal
  }
})
