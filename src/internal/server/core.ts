/**
 * The settings every connection of an embedded server shares, whatever protocol it speaks: the
 * server's ids, how replies are chosen and paced, how user audio is transcribed, and the frame
 * faults to inject; and the server's key, redacted.
 */
import { Effect, Redacted, Ref } from "effect"
import { answer } from "./answers.js"
import type { ReplyRule } from "./conversation.js"
import type { FrameFaults } from "./faults.js"
import type { Pacing } from "./speech.js"

/** What a connection's conversation is made with. */
export interface CoreSettings {
  /** A server-wide unique id with the given prefix. */
  readonly nextId: (prefix: string) => Effect.Effect<string>
  readonly pacing: Pacing
  readonly rules: ReadonlyArray<ReplyRule>
  /** The reply to a question no rule matches. */
  readonly defaultReply: (question: string) => string
  /** The transcript of the user's audio turn. */
  readonly transcribe: (samples: Int16Array, ms: number) => string
  readonly faults: FrameFaults
}

/** The server's options that make its core settings (`RealtimeServerOptions` documents them). */
export type CoreOptions =
  & Partial<Record<"speed" | "chunkMs" | "msPerChar", number>>
  & Partial<Pick<CoreSettings, "rules" | "transcribe" | "faults">>
  & { readonly defaultReply?: string }

/**
 * The core settings of a server's options: real-time pacing in 100 ms chunks at 65 ms a
 * character, no rules, answers that follow the question, a transcript saying how long the audio was.
 */
export const settingsOf = (
  options: CoreOptions,
  nextId: (prefix: string) => Effect.Effect<string>
): CoreSettings => ({
  nextId,
  pacing: { speed: options.speed ?? 1, chunkMs: options.chunkMs ?? 100, msPerChar: options.msPerChar ?? 65 },
  rules: options.rules ?? [],
  defaultReply: options.defaultReply === undefined ? answer : () => options.defaultReply ?? "",
  transcribe: options.transcribe ?? ((_, ms) => `(${Math.round(ms)} ms of speech)`),
  faults: options.faults ?? {}
})

/** A new sequence of server-wide ids: `nextId(prefix)` is `prefix_0001`, then `other_0002`, … */
export const makeIds: Effect.Effect<(prefix: string) => Effect.Effect<string>> = Effect.map(
  Ref.make(0),
  (ids) => (prefix) =>
    Ref.modify(ids, (last): [string, number] => [`${prefix}_${String(last + 1).padStart(4, "0")}`, last + 1])
)

/** The server's key, redacted; none when the server takes any. */
export const keyOf = (
  apiKey: string | Redacted.Redacted<string> | undefined
): Redacted.Redacted<string> | undefined =>
  apiKey === undefined ? undefined : Redacted.isRedacted(apiKey) ? apiKey : Redacted.make(apiKey)
