/**
 * Owns the shape of a connection of the OpenAI model: what it offers the engine and its tests, and
 * what it is built from (the owner fiber behind it is `connection.ts`).
 */
import type { Effect } from "effect"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type * as Mailbox from "../engine/mailbox.js"
import type { Generation, GenerationOptions } from "../engine/protocol.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import type * as History from "./history.js"
import type * as Sequencer from "./sequencer.js"
import type * as State from "./state.js"

export type { Flow } from "../engine/protocol.js"

/**
 * What a connection is built from: the engine's options, with the settings sent at open and the
 * call's memory (kept across connections: fed with what this connection sees and sends; default:
 * its own), and what tests tune.
 *
 * @category models
 */
export interface ConnectionOptions extends Omit<GenerationOptions<History.History>, "flow" | "memory" | "ping"> {
  readonly settings: RealtimeSessionSettings
  readonly history?: History.History
  /** How many unprocessed frames may wait before the socket is paused. Default 1024. */
  readonly backlogLimit?: number
  /** Pauses and resumes the socket's reading, where it can; without, frames wait in memory. */
  readonly flow?: GenerationOptions<History.History>["flow"]
  /** Writes a ping on the socket, for the keepalive; without, no ping is written. */
  readonly ping?: GenerationOptions<History.History>["ping"]
  /** See the response sequencer. Default 30 seconds. */
  readonly staleResponseMs?: number
}

/**
 * What a lost connection left unanswered: the turns asked for again on the next one, and the
 * response it cut off.
 *
 * @category models
 */
export type Unanswered = ReturnType<typeof Sequencer.unanswered>

/**
 * A live connection.
 *
 * @category models
 */
export interface Connection extends Generation<ClientEvent, Unanswered> {
  /** {@link Generation.deliverUnsafe} as an effect. */
  readonly deliver: (deliveries: ReadonlyArray<Mailbox.Delivery>) => Effect.Effect<boolean>
  /** How much per-item and per-response state the connection holds, as the owner sees it now. */
  readonly bookkeeping: Effect.Effect<State.Bookkeeping>
}
