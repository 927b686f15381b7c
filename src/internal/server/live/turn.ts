/**
 * The Live model's speech on the embedded server, as OpenAI Live streams it: a reply's tones as
 * `session.output_audio.delta` in the session's format (paced like the other front-ends), its
 * words as `session.output_transcript.delta` placed on the session's timeline, then a quiet tail
 * (the Live stream carries the model's silences: a client sees the turn end in it) and the
 * session's usage so far. There are no turn events: the audio and the two transcripts are all.
 *
 * The model interrupts itself: once the user starts speaking over a reply, it finishes the word it
 * is saying (the next chunk that carries words) and stops. Its quiet tail is then owed until the
 * user's words are transcribed, so that a client sees the user start speaking inside the turn.
 */
import { Data, Effect } from "effect"
import type { AudioFormat } from "../../../AudioFormat.js"
import * as AudioFormats from "../../../AudioFormat.js"
import * as Codec from "../../audio/Codec.js"
import * as Tone from "../../audio/Tone.js"
import * as Base64 from "../../realtime/base64.js"
import { type Conversation, startReply } from "../conversation.js"
import * as Speech from "../speech.js"
import type * as Wire from "./wire.js"

/** Milliseconds of quiet the model sends after a reply: more than a client waits to see its turn end. */
export const quietTailMs = 1000

/** What the model's speech needs from its connection. */
export interface TurnContext {
  readonly emit: (frame: Wire.ServerFrame) => Effect.Effect<void>
  readonly nextId: (prefix: string) => Effect.Effect<string>
  readonly conversation: Conversation
  readonly pacing: Speech.Pacing
  /** The session's audio format, both ways. */
  readonly format: AudioFormat
  /** Milliseconds since the session started, on the Clock: the session's timeline. */
  readonly timeline: Effect.Effect<number>
  /** Whether the user has started speaking over the reply. */
  readonly userSpeaking: () => boolean
  /** Sends `session.usage.updated` with the session's usage so far. */
  readonly usage: Effect.Effect<void>
}

/** How a reply ended: spoken to its end (its quiet tail sent), or yielded to the user (the tail owed). */
export type Outcome = "Spoken" | "Yielded"

const audioDelta = (context: TurnContext, samples: Int16Array): Wire.ServerFrame => ({
  type: "session.output_audio.delta",
  delta: Base64.encode(Codec.encode(context.format, samples))
})

/** Sends `samples` (at the session format's rate) as output audio, in chunks paced as speech is. */
export const play = (context: TurnContext, samples: Int16Array): Effect.Effect<void> =>
  Effect.gen(function*() {
    const rate = AudioFormats.sampleRate(context.format)
    const perChunk = Math.max(1, Math.round((context.pacing.chunkMs * rate) / 1000))
    for (let offset = 0; offset < samples.length; offset += perChunk) {
      const part = samples.subarray(offset, offset + perChunk)
      yield* context.emit(audioDelta(context, part))
      yield* Effect.sleep((part.length * 1000) / rate / context.pacing.speed)
    }
  })

/** `ms` of quiet, paced as speech is. */
export const quiet = (context: TurnContext, ms: number): Effect.Effect<void> =>
  play(context, Tone.silence(ms, AudioFormats.sampleRate(context.format)))

/** The user spoke over the reply, and the model stopped after the word it was saying. */
class Yielded extends Data.TaggedError("Yielded")<{}> {}

/**
 * Speaks `text` (after `owedQuietMs` of quiet a yielded reply still owes); the reply joins the
 * conversation word by word as it goes out.
 */
export const speak = (context: TurnContext, text: string, owedQuietMs = 0): Effect.Effect<Outcome> =>
  Effect.gen(function*() {
    yield* quiet(context, owedQuietMs)
    const heard = startReply(context.conversation, yield* context.nextId("item"), text)
    const spoken = Speech.speak(
      text,
      AudioFormats.sampleRate(context.format),
      context.pacing,
      (chunk): Effect.Effect<void, Yielded> =>
        Effect.gen(function*() {
          const yielding = context.userSpeaking()
          const startMs = yield* context.timeline
          yield* context.emit(audioDelta(context, chunk.samples))
          const words = chunk.words.join("")
          heard(words, chunk.ms)
          if (words.length === 0) return
          yield* context.emit({
            type: "session.output_transcript.delta",
            delta: words,
            start_ms: startMs,
            end_ms: startMs + Math.round(chunk.ms / context.pacing.speed)
          })
          if (yielding) return yield* Effect.fail(new Yielded())
        })
    )
    const outcome: Outcome = yield* spoken.pipe(
      Effect.as("Spoken" as const),
      Effect.catchTag("Yielded", () => Effect.succeed("Yielded" as const))
    )
    if (outcome === "Spoken") {
      yield* quiet(context, quietTailMs)
      yield* context.usage
    }
    return outcome
  })
