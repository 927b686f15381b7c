/**
 * The voice session behind the `effect-realtime` command: checks what needs no server, reads the
 * input, picks the server (embedded, a given URL, or OpenAI), runs one `VoiceSession` and prints
 * its summary. From its first step, an interrupt (Ctrl-C) prints `interrupted` and the summary so
 * far, and writes the partial `--output`.
 */
import { Effect, FileSystem, Option, Redacted, Ref, Result, Runtime, Schema } from "effect"
import type { Scope, Stdio } from "effect"
import { dirname, resolve } from "node:path"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import * as RealtimeServer from "../../RealtimeServer.js"
import * as Pcm16 from "../audio/Pcm16.js"
import * as Resample from "../audio/Resample.js"
import * as Wav from "../audio/Wav.js"
import { reasonOf } from "./fileErrors.js"
import * as Output from "./output.js"
import * as Providers from "./providers.js"
import { interruptedLines, nothingYet, progressBar, summaryLines } from "./render.js"
import * as VoiceSession from "./VoiceSession.js"

/** The question the offline demo asks when no input is given. */
export const demoQuestion = "Tell me something about the northern lights."

/** Where the offline demo barges in when no input is given. */
export const demoBargeInMs = 1500

/** The key the embedded server is started with: it proves the handshake carries credentials. */
const embeddedKey = "offline-demo-key"
const sessionRate = 24_000

/** What the command line asked for. */
export interface CliArgs {
  readonly text: Option.Option<string>
  readonly input: Option.Option<string>
  readonly output: Option.Option<string>
  readonly bargeInMs: Option.Option<number>
  readonly provider: Providers.ProviderName
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

/** Bad arguments or input: exit code 2. */
export const usage = (message: string, cause?: unknown) =>
  new CliFailure({ message, exitCode: 2, ...(cause === undefined ? {} : { cause }) })

const readInput = Effect.fn("cli.readInput")(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const bytes = yield* fs.readFile(path).pipe(
    Effect.mapError((error) => usage(`cannot read ${path}: ${reasonOf(error)}`, error))
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

/**
 * Refuses an `--output` that cannot be written, before anything is started: its folder must exist,
 * be a folder and be writable; an existing file there must be writable.
 */
const checkOutput = Effect.fn("cli.checkOutput")(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const folder = dirname(resolve(path))
  const info = yield* fs.stat(folder).pipe(
    Effect.mapError((error) =>
      usage(
        error.reason._tag === "NotFound"
          ? `cannot write --output ${path}: its folder ${folder} does not exist`
          : `cannot write --output ${path}: its folder ${folder}: ${reasonOf(error)}`,
        error
      )
    )
  )
  if (info.type !== "Directory") return yield* usage(`cannot write --output ${path}: ${folder} is not a folder`)
  yield* fs.access(folder, { writable: true }).pipe(
    Effect.mapError((error) => usage(`cannot write --output ${path}: the folder ${folder} is not writable`, error))
  )
  if (yield* Effect.orElseSucceed(fs.exists(path), () => false)) {
    const existing = yield* Effect.option(fs.stat(path))
    if (Option.isSome(existing) && existing.value.type === "Directory") {
      return yield* usage(`cannot write --output ${path}: it is a folder`)
    }
    yield* fs.access(path, { writable: true }).pipe(
      Effect.mapError((error) => usage(`cannot write --output ${path}: the file is not writable`, error))
    )
  }
})

/** Writes what was played so far as a valid WAV file; a failed write is a `CliFailure` (exit code 1). */
const writeOutput = (path: string, played: Ref.Ref<ReadonlyArray<Uint8Array>>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const pcm = concat(yield* Ref.get(played))
    yield* fs.writeFile(path, Wav.encode(Pcm16.fromBytes(pcm), sessionRate)).pipe(
      Effect.mapError((error) =>
        new CliFailure({ message: `could not write ${path}: ${reasonOf(error)}`, exitCode: 1, cause: error })
      )
    )
    yield* (yield* Output.printer).errLine(`wrote ${path} (${Math.round(pcm.byteLength / 48)} ms of audio)`)
  })

/**
 * Where the session connects: the embedded server (default) on the provider's front-end, a given
 * URL, or the provider itself.
 */
const target = (
  args: CliArgs,
  provider: Providers.CliProvider
): Effect.Effect<RealtimeModelConfig, CliFailure | RealtimeServer.RealtimeServerError, Scope.Scope | Stdio.Stdio> =>
  Effect.gen(function*() {
    if (Option.isSome(args.url)) return { url: args.url.value }
    if (args.live) return {}
    const server = yield* RealtimeServer.make({ apiKey: Redacted.make(embeddedKey), speed: args.speed })
    const url = provider.embeddedUrl(server)
    yield* (yield* Output.printer).errLine(`embedded realtime server on ${url}`)
    return { url, apiKey: Redacted.make(embeddedKey) }
  })

/** What an interrupt reports from, once the session is set up. */
export interface Progress {
  readonly session: VoiceSession.VoiceSession
  /** The audio played so far. */
  readonly played: Ref.Ref<ReadonlyArray<Uint8Array>>
  readonly output: Option.Option<string>
}

/**
 * What an interrupt (Ctrl-C) prints, at any point of the command: an `interrupted` line and the
 * summary so far (empty before the session was set up), and the partial `--output` file.
 */
export const reportInterrupted = (progress: Ref.Ref<Option.Option<Progress>>) =>
  Effect.gen(function*() {
    const print = yield* Output.printer
    if (print.stderrIsTerminal) yield* print.err("\r\x1b[K")
    const so = yield* Ref.get(progress)
    yield* print.lines(interruptedLines(Option.isSome(so) ? yield* so.value.session.summary : nothingYet))
    if (Option.isSome(so) && Option.isSome(so.value.output)) {
      yield* writeOutput(so.value.output.value, so.value.played).pipe(
        Effect.catch((failure) => print.errLine(`error: ${failure.message}`))
      )
    }
  })

/**
 * The voice session the command line runs; its resources (server, connection) live in the
 * surrounding Scope. Everything that needs no server is checked first; the `user:` and
 * `assistant:` lines come once the connection is open. Once the session is set up, it is put in
 * `progress`, for `reportInterrupted`.
 */
export const program = Effect.fn("cli.program")(function*(args: CliArgs, progress: Ref.Ref<Option.Option<Progress>>) {
  const print = yield* Output.printer
  const isTerminal = print.stderrIsTerminal

  if (args.live && Option.isSome(args.url)) return yield* usage("give either --live or --url, not both")
  const provider = Providers.resolve(args.provider)
  const noInput = Option.isNone(args.text) && Option.isNone(args.input)
  const text = noInput ? Option.some(demoQuestion) : args.text
  const bargeInMs = noInput && Option.isNone(args.bargeInMs) ? Option.some(demoBargeInMs) : args.bargeInMs
  if (args.live && Option.isNone(yield* Effect.orElseSucceed(provider.environmentKey, Option.none))) {
    return yield* usage(
      `--live talks to ${provider.service}, which needs an API key: set ${provider.keyVariables.join(" or ")}`
    )
  }
  if (Option.isSome(args.output)) yield* checkOutput(args.output.value)
  const audio = Option.isSome(args.input) ? Option.some(yield* readInput(args.input.value)) : Option.none()

  const destination = yield* target(args, provider)
  const model = yield* provider.model
  const played = yield* Ref.make<ReadonlyArray<Uint8Array>>([])

  const session = yield* VoiceSession.make(model, {
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
    speed: args.speed,
    outputFormat: "pcm16",
    moves: provider.moves,
    // said once the server has answered, so a refused connection prints only its error
    onConnected: print.lines([
      ...(Option.isSome(text) ? [`user: ${text.value}`] : []),
      ...(Option.isSome(audio) ? [`user: (${Math.round(audio.value.byteLength / 48)} ms of audio)`] : []),
      "assistant:"
    ]),
    // in a terminal the transcript's tail rides on the progress bar; else it streams to stdout
    onTranscript: (delta) => isTerminal ? Effect.void : print.out(delta),
    onPlayed: (chunk) => Ref.update(played, (chunks) => [...chunks, chunk]),
    onProgress: (progress) =>
      isTerminal
        ? print.err(`\r\x1b[K${progressBar(progress.playedMs, progress.totalMs)}  ${progress.transcript.slice(-48)}`)
        : Effect.void
  }).pipe(Effect.mapError((error) => usage(error.message, error)))
  yield* Ref.set(progress, Option.some({ session, played, output: args.output }))

  const summary = yield* session.run
  if (isTerminal) yield* print.err("\r\x1b[K")
  yield* print.lines([isTerminal ? summary.transcript : ""])
  yield* print.lines(summaryLines(summary))
  if (Option.isSome(args.output)) yield* writeOutput(args.output.value, played)
  return summary
})
