#!/usr/bin/env node
/**
 * `effect-realtime`: a voice session from the command line. With no arguments it runs an offline
 * demo against the embedded server: a question, a streamed answer, a barge-in, the truncated result
 * (on OpenAI Realtime's protocol; `--provider gemini` on Gemini Live's).
 *
 * Exit codes: 0 done; 2 bad arguments, input file or missing key (all checked before connecting);
 * 3 the server could not be reached, refused us, or closed the connection before the reply's end;
 * 130 interrupted (Ctrl-C: an `interrupted` line,
 * the summary so far, the partial `--output`); 1 anything else (e.g. a failed `--output` write).
 *
 * Loading the command takes Node a moment (seconds when run from source), and Node delivers no
 * signal while it loads modules. So this entry listens for Ctrl-C first, loads the command, starts
 * it, and only then stops listening, once Node has delivered a Ctrl-C that came while it loaded:
 * that one is answered here with `interrupted` and the empty summary; later ones by the command.
 */
import { interruptedLines, nothingYet } from "./internal/cli/render.js"

const interruptedWhileLoading = (): void => {
  process.stdout.write(interruptedLines(nothingYet).map((line) => `${line}\n`).join(""))
  process.exit(130)
}
process.once("SIGINT", interruptedWhileLoading)

const { runOnNode } = await import("./internal/cli/main.js")
runOnNode()
// signals are delivered in the event loop's poll phase, which comes before its check phase
setImmediate(() => process.removeListener("SIGINT", interruptedWhileLoading))
