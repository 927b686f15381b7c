/**
 * Owns the shape of a connection of the OpenAI model: what it offers the engine and its tests, and
 * what it is built from (its handler is `connection.ts`, its owner fiber `engine/generation.ts`).
 */
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { Live, OwnerOptions } from "../engine/generation.js"
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
export interface ConnectionOptions extends OwnerOptions<History.History> {
  readonly settings: RealtimeSessionSettings
  readonly history?: History.History
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
export type Connection = Live<ClientEvent, Unanswered, State.Bookkeeping>
