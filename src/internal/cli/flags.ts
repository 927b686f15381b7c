/**
 * The flags of the `effect-realtime` command: each with a sentence and its default for `--help`,
 * and the checks that need no server (numbers in range, a ws:// or wss:// URL), so that a bad
 * value is refused by the parser, before anything is started, with exit code 2.
 */
import { Flag } from "effect/cli"
import { demoBargeInMs } from "./program.js"
import * as Providers from "./providers.js"

/** What a `--url` value should have been, or `undefined` when it is a ws:// or wss:// URL. */
export const urlProblem = (value: string): string | undefined => {
  if (!URL.canParse(value)) return "a ws:// or wss:// URL"
  const { protocol } = new URL(value)
  return protocol === "ws:" || protocol === "wss:" ? undefined : `a ws:// or wss:// URL, not ${protocol}//`
}

/** The command's flags. */
export const flags = {
  text: Flag.String("text").pipe(
    Flag.withDescription(
      "What the user says, as text. Default: the demo's question, when --input is not given either."
    ),
    Flag.filter((text) => text.trim().length > 0, () => "some text, not an empty string"),
    Flag.optional
  ),
  input: Flag.File("input").pipe(
    Flag.withDescription("What the user says, as a WAV file in any common encoding and rate. Default: none."),
    Flag.optional
  ),
  // checked by the program (folder exists and is writable) before anything starts
  output: Flag.String("output").pipe(
    Flag.withMetavar("file"),
    Flag.withDescription("Write the reply's audio, as far as it was heard, to this WAV file. Default: none."),
    Flag.optional
  ),
  bargeInMs: Flag.Int("barge-in-ms").pipe(
    Flag.withDescription(
      `The user interrupts the reply this many milliseconds into it. Default: ${demoBargeInMs} in the demo, else no barge-in.`
    ),
    Flag.filter((ms) => ms >= 0, () => "a whole number of milliseconds, 0 or more"),
    Flag.optional
  ),
  provider: Flag.Literals("provider", Providers.names).pipe(
    Flag.withDescription(
      "The model's provider: openai (OpenAI Realtime), gemini (Google's Gemini Live) or openai-live (OpenAI Live). Offline, the embedded server speaks its protocol. Default: openai."
    ),
    Flag.withDefault(Providers.names[0])
  ),
  live: Flag.Boolean("live").pipe(
    Flag.withDescription(
      "Talk to the provider itself: OpenAI (Realtime or Live) with OPENAI_API_KEY, or Gemini Live with GEMINI_API_KEY (else GOOGLE_API_KEY). Default: off (the embedded server)."
    ),
    Flag.withDefault(false)
  ),
  url: Flag.String("url").pipe(
    Flag.withDescription(
      "Talk to the realtime server at this ws:// or wss:// URL, in the provider's protocol, with its key if set. Default: the embedded server."
    ),
    Flag.filter((url) => urlProblem(url) === undefined, (url) => urlProblem(url) ?? ""),
    Flag.optional
  ),
  speed: Flag.Finite("speed").pipe(
    Flag.withDescription(
      "Play the reply this many times faster than real time (the embedded server also sends it that much faster; --barge-in-ms and the summary count the audio's own milliseconds). Default: 1."
    ),
    Flag.filter((speed) => speed > 0, () => "a number more than 0"),
    Flag.withDefault(1)
  ),
  instructions: Flag.String("instructions").pipe(
    Flag.withDescription("The session's instructions to the model. Default: the server's own."),
    Flag.optional
  ),
  voice: Flag.String("voice").pipe(
    Flag.withDescription("The voice the model speaks with, e.g. marin. Default: the server's own."),
    Flag.optional
  )
}
