/**
 * The voice session behind the `effect-realtime` command: reads the input, picks the server
 * (embedded, a given URL, or OpenAI), runs one `VoiceSession` and prints its summary.
 *
 * @since 0.1.0
 */
import { Console, Effect, FileSystem, Option, Redacted, Ref, Result, Runtime, Schema } from "effect"
import type { Scope } from "effect"
import * as OpenAIRealtime from "../../OpenAIRealtime.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import * as RealtimeServer from "../../RealtimeServer.js"
import * as VoiceSession from "../../VoiceSession.js"
import * as Pcm16 from "../audio/Pcm16.js"
import * as Resample from "../audio/Resample.js"
import * as Wav from "../audio/Wav.js"
import { progressBar, summaryLines } from "./render.js"

/**
 * The question the offline demo asks when no input is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const demoQuestion = "Tell me something about the northern lights."

/**
 * Where the offline demo barges in when no input is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const demoBargeInMs = 1500

/** The key the embedded server is started with: it proves the handshake carries credentials. */
const embeddedKey = "offline-demo-key"
const sessionRate = 24_000

/**
 * What the command line asked for.
 *
 * @since 0.1.0
 * @category models
 */
export interface CliArgs {
  readonly text: Option.Option<string>
  readonly input: Option.Option<string>
  readonly output: Option.Option<string>
  readonly bargeInMs: Option.Option<number>
  readonly live: boolean
  readonly url: Option.Option<string>
  readonly speed: number
  readonly instructions: Option.Option<string>
  readonly voice: Option.Option<string>
}

/**
 * A failure the command reports as one `error: …` line and an exit code instead of a stack trace.
 * The command prints it before failing with it, so the runtime takes its exit code and does not
 * log it again.
 *
 * @since 0.1.0
 * @category errors
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Number,
  cause: Schema.optional(Schema.Defect())
}) {
  /** The process exit code `NodeRuntime.runMain` uses when the command fails with this error. */
  override readonly [Runtime.errorExitCode] = this.exitCode
  /** The command has printed it already. */
  override readonly [Runtime.errorReported] = false
}

const usage = (message: string, cause?: unknown) =>
  new CliFailure({ message, exitCode: 2, ...(cause === undefined ? {} : { cause }) })

const readInput = Effect.fn("cli.readInput")(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const bytes = yield* fs.readFile(path).pipe(
    Effect.mapError((error) => usage(`cannot read ${path}: ${error.message}`, error))
  )
  const decoded = Wav.decode(bytes)
  if (Result.isFailure(decoded)) {
    return yield* usage(`cannot read ${path} as WAV audio: ${decoded.failure.message}`, decoded.failure)
  }
  const { samples, sampleRate } = decoded.success
  return Pcm16.toBytes(Resample.resample(samples, sampleRate, sessionRate))
})

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
  chunks.reduce((offset, chunk) => {
    out.set(chunk, offset)
    return offset + chunk.byteLength
  }, 0)
  return out
}

/** Writes what was played so far as a valid WAV file; used as a finalizer, so Ctrl-C still leaves one. */
const writeOutput = (path: string, played: Ref.Ref<ReadonlyArray<Uint8Array>>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const pcm = concat(yield* Ref.get(played))
    yield* fs.writeFile(path, Wav.encode(Pcm16.fromBytes(pcm), sessionRate))
    yield* Console.error(`wrote ${path} (${Math.round(pcm.byteLength / 48)} ms of audio)`)
  }).pipe(Effect.catch((error) => Console.error(`could not write ${path}: ${error.message}`)))

/** Where the session connects: the embedded server (default), a given URL, or OpenAI itself. */
const target = (
  args: CliArgs
): Effect.Effect<RealtimeModelConfig, CliFailure | RealtimeServer.RealtimeServerError, Scope.Scope> =>
  Effect.gen(function*() {
    if (args.live && Option.isSome(args.url)) return yield* usage("give either --live or --url, not both")
    if (Option.isSome(args.url)) return { url: args.url.value }
    if (args.live) return {}
    const server = yield* RealtimeServer.make({ apiKey: Redacted.make(embeddedKey), speed: args.speed })
    yield* Console.error(`embedded realtime server on ${server.url}`)
    return { url: server.url, apiKey: Redacted.make(embeddedKey) }
  })

const isTerminal = process.stderr.isTTY === true

/**
 * The voice session the command line runs; its resources (server, connection, output file) live
 * in the surrounding Scope.
 *
 * @since 0.1.0
 * @category running
 */
export const program = Effect.fn("cli.program")(function*(args: CliArgs) {
  const noInput = Option.isNone(args.text) && Option.isNone(args.input)
  const text = noInput ? Option.some(demoQuestion) : args.text
  const bargeInMs = noInput && Option.isNone(args.bargeInMs) ? Option.some(demoBargeInMs) : args.bargeInMs
  const audio = Option.isSome(args.input) ? Option.some(yield* readInput(args.input.value)) : Option.none()

  const destination = yield* target(args)
  const model = yield* OpenAIRealtime.make()
  const played = yield* Ref.make<ReadonlyArray<Uint8Array>>([])
  if (Option.isSome(args.output)) {
    const path = args.output.value
    yield* Effect.addFinalizer(() => writeOutput(path, played))
  }
  const transcript = yield* Ref.make("")

  if (Option.isSome(text)) yield* Console.log(`user: ${text.value}`)
  if (Option.isSome(audio)) yield* Console.log(`user: (${Math.round(audio.value.byteLength / 48)} ms of audio)`)
  yield* Console.log("assistant:")

  const summary = yield* VoiceSession.run(model, {
    ...destination,
    initialSettings: {
      outputAudioFormat: "pcm16",
      inputAudioFormat: "pcm16",
      turnDetection: null,
      ...(Option.isSome(args.instructions) ? { instructions: args.instructions.value } : {}),
      ...(Option.isSome(args.voice) ? { voice: args.voice.value } : {})
    }
  }, {
    ...(Option.isSome(text) ? { text: text.value } : {}),
    ...(Option.isSome(audio) ? { audio: audio.value } : {}),
    ...(Option.isSome(bargeInMs) ? { bargeInMs: bargeInMs.value } : {}),
    outputFormat: "pcm16",
    onTranscript: (delta) =>
      isTerminal
        ? Ref.update(transcript, (so) => so + delta)
        : Effect.sync(() => process.stdout.write(delta)),
    onPlayed: (chunk) => Ref.update(played, (chunks) => [...chunks, chunk]),
    onProgress: ({ playedMs, receivedMs }) =>
      isTerminal
        ? Effect.flatMap(Ref.get(transcript), (so) =>
          Effect.sync(() => process.stderr.write(`\r\x1b[K${progressBar(playedMs, receivedMs)}  ${so.slice(-48)}`)))
        : Effect.void
  })
  if (isTerminal) yield* Effect.sync(() => process.stderr.write("\r\x1b[K"))
  yield* Console.log(isTerminal ? summary.transcript : "")
  for (const line of summaryLines(summary)) yield* Console.log(line)
  return summary
})
