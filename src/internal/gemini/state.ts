/**
 * The state of one Gemini Live call, as the protocol keeps it between frames: immutable values,
 * replaced whole by each `receive` and `send`. It outlives connections: what a connection knows
 * only while it is open (setup acknowledged, the model's turn in flight, manual activity) is reset
 * by `resume`; the rest (the resumption handle, the conversation's items and transcripts, the
 * settings, the id counter) carries over to the next connection.
 */
import type { AudioFormat } from "../../AudioFormat.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import * as Audio from "./audio.js"
import type { ClientFrame } from "./wire.js"

/**
 * What the provider chooses for every call (its options), not the session settings.
 */
export interface ProtocolOptions {
  /** Context window compression: a sliding window (token counts, or the server's defaults), or off. */
  readonly compression: false | { readonly triggerTokens?: number; readonly targetTokens?: number }
  /** Sampling temperature (Gemini Live's `generationConfig.temperature`); the server's default when absent. */
  readonly temperature?: number
  /** How many transcript entries the state keeps for a new session's context (0: none). */
  readonly historyLimit: number
}

/**
 * The options when the provider gives none: compression on with the server's own sliding window
 * defaults (so a call is not capped at the 15 minutes of an uncompressed audio session), the
 * server's temperature, the last 50 transcript entries kept.
 */
export const defaultOptions: ProtocolOptions = { compression: {}, historyLimit: 50 }

/** The model's turn in flight: one assistant item, one response id. */
export interface ModelTurn {
  readonly responseId: string
  readonly itemId: string
  readonly previousItemId: string | null
  /** Bytes of 24 kHz PCM16 audio received for the item. */
  readonly audioBytes: number
  readonly transcript: string
  readonly text: string
  readonly generationComplete: boolean
  /** The server said it interrupted the turn (the user spoke over it). */
  readonly interrupted: boolean
  /** The application interrupted it: the rest of its audio and transcript is not passed on. */
  readonly muted: boolean
}

/** The user's audio turn being transcribed. */
export interface UserTurn {
  readonly itemId: string
  readonly previousItemId: string | null
  readonly transcript: string
}

/** A function call waiting for its output: its name, and the id the server gave it (none: the call id is ours). */
export interface PendingCall {
  readonly name: string
  readonly wireId: string | undefined
}

/** One line of the conversation as text: what the user said, what the model said (and was heard). */
export interface Line {
  readonly role: "user" | "model"
  readonly text: string
}

/** The last interruption: which item stopped playing, how much of it was heard, how much had arrived. */
export interface Interruption {
  readonly itemId: string
  readonly heardMs: number
  readonly receivedMs: number
}

/** The state. */
export interface GeminiState {
  readonly options: ProtocolOptions
  /** The settings in force (the initial ones, as changed by `SessionUpdate`). */
  readonly settings: RealtimeSessionSettings
  /** The application's audio on its way to the model (its format, the resampler's position). */
  readonly inputAudio: Audio.Stream
  /** The model's audio on its way to the application. */
  readonly outputAudio: Audio.Stream
  /** Whether the setup of the current connection was acknowledged (`setupComplete`). */
  readonly ready: boolean
  /** Whether a connection of this call had its setup acknowledged: the settings are ones the server takes. */
  readonly accepted: boolean
  /** Whether the current connection's setup carried a resumption handle. */
  readonly resuming: boolean
  readonly sessionId: string | null
  /** The latest handle the server said the session can be resumed with. */
  readonly handle: string | null
  /**
   * Whether the handle holds the conversation as it is now: set by a resumable update, cleared by
   * what comes after it (a model turn, a tool call, the user's transcript or input), and by an
   * update that says the session cannot be resumed at this point.
   */
  readonly resumable: boolean
  /** Counter for the ids the protocol assigns (items, responses, calls without an id). */
  readonly counter: number
  readonly lastItemId: string | null
  readonly turn: ModelTurn | null
  readonly input: UserTurn | null
  /** The last assistant item whose audio arrived, and how many bytes of it (what an `interrupted` stops when no turn is in flight). */
  readonly lastAudio: { readonly itemId: string; readonly bytes: number } | null
  /** Function calls asked for and neither answered nor cancelled, by call id. */
  readonly pendingCalls: ReadonlyMap<string, PendingCall>
  /** Manual activity (turn detection off): an `activityStart` was sent and no `activityEnd` yet. */
  readonly activityOpen: boolean
  readonly interruption: Interruption | null
  /**
   * The server interrupted the model's turn and it was closed there: what still comes of it
   * (a transcript that trails) is dropped until the model's next audio or text opens a new turn.
   */
  readonly cutShort: boolean
  /** The conversation as text, newest last, at most `options.historyLimit` lines. */
  readonly history: ReadonlyArray<Line>
}

/** A fresh state: no connection yet, nothing to resume. */
export const make = (
  options: ProtocolOptions,
  settings: RealtimeSessionSettings,
  inputFormat: AudioFormat,
  outputFormat: AudioFormat
): GeminiState => ({
  options,
  settings,
  inputAudio: Audio.stream(inputFormat),
  outputAudio: Audio.stream(outputFormat),
  ready: false,
  accepted: false,
  resuming: false,
  sessionId: null,
  handle: null,
  resumable: false,
  counter: 0,
  lastItemId: null,
  turn: null,
  input: null,
  lastAudio: null,
  pendingCalls: new Map(),
  activityOpen: false,
  interruption: null,
  cutShort: false,
  history: []
})

/** The next id with `prefix`, and the state that counted it. */
export const nextId = (state: GeminiState, prefix: "item" | "resp" | "call"): readonly [string, GeminiState] => {
  const counter = state.counter + 1
  return [`gemini_${prefix}_${counter}`, { ...state, counter }]
}

/** The history with `line` appended (blank lines are not kept), trimmed to the limit. */
export const remember = (state: GeminiState, role: Line["role"], text: string): ReadonlyArray<Line> => {
  const trimmed = text.trim()
  if (trimmed.length === 0 || state.options.historyLimit <= 0) return state.history
  const history = [...state.history, { role, text: trimmed }]
  return history.length > state.options.historyLimit ? history.slice(-state.options.historyLimit) : history
}

/**
 * Whether a new connection could take over now without losing anything: a handle that holds the
 * conversation as it is, no model turn, no call and no user transcript in flight.
 */
export const atBoundary = (state: GeminiState): boolean =>
  state.handle !== null && state.resumable && state.turn === null && state.pendingCalls.size === 0 &&
  state.input === null

/**
 * Ends a step: a `TurnBoundary` verdict when the step brought the call to a boundary (see
 * {@link atBoundary}) from elsewhere.
 */
export const boundary = (before: GeminiState, step: Draft): void => {
  if (!atBoundary(before) && atBoundary(step.state)) step.verdicts.push({ _tag: "TurnBoundary" })
}

/**
 * What the engine is told besides events: the setup was acknowledged (the connection is usable), a
 * turn boundary (a new connection could take over now), the session is ending (`goAway`, with the
 * time left when the server said), playback of an item stopped (reset the playback trackers).
 */
export type Verdict =
  | { readonly _tag: "SetupComplete"; readonly sessionId: string | null }
  /** The call reached a point where a new connection can take over: see {@link atBoundary}. */
  | { readonly _tag: "TurnBoundary" }
  | { readonly _tag: "SessionEnding"; readonly timeLeftMs: number | null }
  | { readonly _tag: "PlaybackInterrupted"; readonly itemId: string }

/** The outcome of one step (a frame received, an event sent): the new state, and what to do. */
export interface Step {
  readonly state: GeminiState
  /** Events for the listeners, in order. */
  readonly events: ReadonlyArray<RealtimeModelEvent>
  /** Frames to send, in order. */
  readonly frames: ReadonlyArray<ClientFrame>
  readonly verdicts: ReadonlyArray<Verdict>
}

/**
 * A step being built: one function's local, written only by the step that made it, then returned
 * as a {@link Step}.
 */
export interface Draft {
  state: GeminiState
  readonly events: Array<RealtimeModelEvent>
  readonly frames: Array<ClientFrame>
  readonly verdicts: Array<Verdict>
}

/** A step that starts from `state`. */
export const draft = (state: GeminiState): Draft => ({ state, events: [], frames: [], verdicts: [] })

/** Assigns the next id with `prefix`, counting it in the draft's state. */
export const assignId = (step: Draft, prefix: "item" | "resp" | "call"): string => {
  const [id, state] = nextId(step.state, prefix)
  step.state = state
  return id
}

/** Updates the draft's state. */
export const update = (step: Draft, change: Partial<GeminiState>): void => {
  step.state = { ...step.state, ...change }
}
