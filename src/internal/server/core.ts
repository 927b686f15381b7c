/**
 * The settings every connection of an embedded server shares, whatever protocol it speaks: the
 * server's ids, how replies are chosen and paced, how user audio is transcribed, and the frame
 * faults to inject.
 */
import type { Effect } from "effect"
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
