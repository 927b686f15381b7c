import { FileSystem } from "@effect/platform"
import { Console, Effect, Either, Option, Redacted, Ref, Schema } from "effect"
import type { Scope } from "effect"
import * as OpenAIRealtime from "../../OpenAIRealtime.js"
import * as RealtimeServer from "../../RealtimeServer.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import * as VoiceSession from "../../VoiceSession.js"
import * as Pcm16 from "../audio/Pcm16.js"
import * as Resample from "../audio/Resample.js"
import * as Wav from "../audio/Wav.js"
import { progressBar, summaryLines } from "./render.js"

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
  readonly live: boolean
  readonly url: Option.Option<string>
  readonly speed: number
  readonly instructions: Option.Option<string>
  readonly voice: Option.Option<string>
}

/** A failure the command reports with a message and an exit code instead of a stack trace. */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Number
}) {}

const usage = (message: string) => new CliFailure({ message, exitCode: 2 })

const readInput = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(path).pipe(
      Effect.mapError((error) => usage(`cannot read ${path}: ${error.message}`))
    )
    const decoded = Wav.decode(bytes)
    if (Either.isLeft(decoded)) return yield* usage(`cannot read ${path} as WAV audio: ${decoded.left.message}`)
    const { samples, sampleRate } = decoded.right
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
  }).pipe(Effect.catchAll((error) => Console.error(`could not write ${path}: ${error.message}`)))

/** Where the session connects: the embedded server (default), a given URL, or OpenAI itself. */
const target = (args: CliArgs): Effect.Effect<RealtimeModelConfig, CliFailure | RealtimeServer.RealtimeServerError, Scope.Scope> =>
  Effect.gen(function*() {
    if (args.live && Option.isSome(args.url)) return yield* usage("give either --live or --url, not both")
    if (Option.isSome(args.url)) return { url: args.url.value }
    if (args.live) return {}
    const server = yield* RealtimeServer.make({ apiKey: Redacted.make(embeddedKey), speed: args.speed })
    yield* Console.error(`embedded realtime server on ${server.url}`)
    return { url: server.url, apiKey: Redacted.make(embeddedKey) }
  })

const isTerminal = process.stderr.isTTY === true

/** The voice session the command line runs. */
export const program = (args: CliArgs) =>
  Effect.gen(function*() {
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
