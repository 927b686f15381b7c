/**
 * The state of one OpenAI Live call, as the protocol keeps it between frames: immutable values,
 * replaced whole by each `receive` and `send`. It outlives connections: what a connection knows
 * only while it is open (the session started, the model's turn in flight, the user's words being
 * transcribed, delegations waiting for an answer) is reset by `ended` and `open`; the rest (the
 * session's id, the conversation's text, the settings, the id counter) carries over to the next.
 *
 * The Live model runs its own turns and sends no turn events: the protocol draws the turns from
 * what it receives (see `turns.ts`), and keeps the positions it needs in bytes of the model's audio
 * and in milliseconds of the session's timeline (the `start_ms`/`end_ms` of transcript deltas),
 * never from a clock.
 */
import type { AudioFormat } from "../../AudioFormat.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { ClientFrame } from "./wire.js"

/** What the provider chooses for every call (its options), not the session settings. */
export interface ProtocolOptions {
  /** The Responses model that takes the tasks the Live model delegates, when the session has tools. */
  readonly backendModel: string
  /** Instructions for that backend model (the Live model's are the settings' `instructions`). */
  readonly backendInstructions?: string
  /** Milliseconds before the Live model asks for a spoken acknowledgement of a delegation (server default when absent). */
  readonly acknowledgementDelayMs?: number
  /** Whether the server stores the session: a new connection then forks it, conversation and all. */
  readonly store: boolean
  /** A stable identifier of the end user, for OpenAI's safety monitoring. */
  readonly safetyIdentifier?: string
  /**
   * Whether a `SessionUpdate` of what a session's start fixes (instructions, voice, model, …) is
   * taken by moving the call to a new session (verdict `NewSessionNeeded`) instead of refused.
   */
  readonly newSessionOnChange: boolean
  /** Milliseconds of quiet model audio that end the model's turn. */
  readonly quietMs: number
  /**
   * The model interrupted itself when its speech ended at most this many milliseconds (on the
   * session's timeline) after the user started speaking over it.
   */
  readonly yieldMs: number
  /** How many lines of the conversation a new session is given as its startup history (the API takes 128). */
  readonly historyLimit: number
  /**
   * How many characters of the conversation a new session is given, newest kept (the API takes
   * 8,192 rendered tokens by default: about 24,000 characters leaves room for the rendering).
   */
  readonly historyChars: number
}

/** The Responses model delegated tasks go to when the options name none. */
export const defaultBackendModel = "gpt-5.6"

/** The options when the provider gives none. */
export const defaultOptions: ProtocolOptions = {
  backendModel: defaultBackendModel,
  store: false,
  newSessionOnChange: false,
  quietMs: 800,
  yieldMs: 1000,
  historyLimit: 128,
  historyChars: 24_000
}

/** The model's turn in flight: one assistant item, one response id (both assigned here). */
export interface ModelTurn {
  readonly responseId: string
  readonly itemId: string
  readonly previousItemId: string | null
  /** Bytes of the model's audio received for the turn (in the session's format). */
  readonly audioBytes: number
  /** Where the last chunk with speech ended, in bytes of the turn's audio. */
  readonly speechEndBytes: number
  readonly transcript: string
  /** The session timeline's start of the turn's first transcript delta, if any came. */
  readonly firstOutputStartMs: number | null
  /** The timeline's end of the turn's last transcript delta, if any came. */
  readonly lastOutputEndMs: number | null
  /** The timeline's start of the user's first words after the turn's first words, if any. */
  readonly userStartMs: number | null
  /** The application interrupted it: the rest of its audio and transcript is not passed on. */
  readonly muted: boolean
}

/** The model's last turn, once ended: where its late transcript goes. */
export interface EndedTurn {
  readonly responseId: string
  readonly itemId: string
  readonly previousItemId: string | null
  readonly transcript: string
  readonly lastOutputEndMs: number | null
  readonly status: "completed" | "incomplete"
  readonly muted: boolean
}

/** The user's speech being transcribed: one user item. */
export interface UserTurn {
  readonly itemId: string
  readonly previousItemId: string | null
  readonly transcript: string
  readonly lastEndMs: number
}

/**
 * A function call waiting for its output: a client delegation (answered with commentary or
 * thinking, under the delegation's id) or a function the Responses backend called (answered
 * with a `function_call_output` item).
 */
export type PendingCall =
  | { readonly _tag: "Client"; readonly delegationId: string }
  | { readonly _tag: "Backend"; readonly name: string; readonly delegationId: string | null }

/** One line of the conversation as text: what the user said, what the model said (and was heard). */
export interface Line {
  readonly role: "user" | "assistant"
  readonly text: string
}

/** The last interruption: which item stopped playing, how much of it was heard, how much had arrived. */
export interface Interruption {
  readonly itemId: string
  readonly heardMs: number
  readonly receivedMs: number
}

/** The state. */
export interface LiveState {
  readonly options: ProtocolOptions
  /** The settings in force (the initial ones, as changed by `SessionUpdate`). */
  readonly settings: RealtimeSessionSettings
  /** The session's one audio format, both ways. */
  readonly format: AudioFormat
  /** Whether the current connection's session started (`session.started`). */
  readonly ready: boolean
  /** Whether the current connection forks the stored session. */
  readonly forking: boolean
  readonly sessionId: string | null
  /** Unix seconds at which the server ends the session for its duration limit. */
  readonly expiresAt: number | null
  /** The reason of the current connection's `session.closed`, once it came. */
  readonly closedReason: string | null
  /** Counter for the ids the protocol assigns (items, responses). */
  readonly counter: number
  readonly lastItemId: string | null
  readonly turn: ModelTurn | null
  /** The model's last turn, once ended, until the next one opens. */
  readonly lastTurn: EndedTurn | null
  readonly input: UserTurn | null
  /** The last assistant item whose audio arrived, and how many bytes of it up to its last speech. */
  readonly lastAudio: { readonly itemId: string; readonly bytes: number } | null
  /** Calls asked for and not answered, by call id. */
  readonly pendingCalls: ReadonlyMap<string, PendingCall>
  /**
   * The delegations (by id, `""` for none) whose backend was asked to go on while others of their
   * calls were still waiting: `response.create` goes when the last of them is answered.
   */
  readonly continueAfter: ReadonlySet<string>
  /** The ids of the last calls answered (at most {@link answeredLimit}): a call announced again is not asked twice. */
  readonly answeredCalls: ReadonlyArray<string>
  readonly interruption: Interruption | null
  /** The conversation as text, newest last, at most `options.historyLimit` lines. */
  readonly history: ReadonlyArray<Line>
}

/** A fresh state: no connection yet. */
export const make = (options: ProtocolOptions, settings: RealtimeSessionSettings, format: AudioFormat): LiveState => ({
  options,
  settings,
  format,
  ready: false,
  forking: false,
  sessionId: null,
  expiresAt: null,
  closedReason: null,
  counter: 0,
  lastItemId: null,
  turn: null,
  lastTurn: null,
  input: null,
  lastAudio: null,
  pendingCalls: new Map(),
  answeredCalls: [],
  continueAfter: new Set(),
  interruption: null,
  history: []
})

/** How many answered call ids the state keeps. */
export const answeredLimit = 64

/** The answered ids with `callId` added, the oldest dropped past the limit. */
export const answered = (state: LiveState, callId: string): ReadonlyArray<string> =>
  [...state.answeredCalls, callId].slice(-answeredLimit)

/**
 * The history with `line` appended (blank lines are not kept), trimmed to the limits: the oldest
 * lines go first; a line longer than the character limit on its own is not kept.
 */
export const remember = (state: LiveState, role: Line["role"], text: string): ReadonlyArray<Line> => {
  const trimmed = text.trim()
  const { historyChars, historyLimit } = state.options
  if (trimmed.length === 0 || historyLimit <= 0) return state.history
  const history = [...state.history, { role, text: trimmed }]
  let start = Math.max(0, history.length - historyLimit)
  let chars = history.slice(start).reduce((sum, line) => sum + line.text.length, 0)
  while (start < history.length && chars > historyChars) {
    chars -= history[start]?.text.length ?? 0
    start++
  }
  return start === 0 ? history : history.slice(start)
}

/**
 * Whether a new connection could take over now without losing anything: the session started, no
 * model turn, no user speech being transcribed, no call waiting for its output.
 */
export const atBoundary = (state: LiveState): boolean =>
  state.ready && state.turn === null && state.input === null && state.pendingCalls.size === 0

/**
 * What the engine is told besides events: the session started (the connection is usable), the
 * start was refused (an `error` before `session.started`: the connect fails), a turn boundary (a
 * new connection could take over now), the session closed (with its reason: see `close.ts`),
 * playback of an item stopped (reset the playback trackers), settings that need a new session.
 */
export type Verdict =
  | { readonly _tag: "SessionStarted"; readonly sessionId: string; readonly expiresAt: number | null }
  | { readonly _tag: "StartRefused"; readonly message: string }
  | { readonly _tag: "TurnBoundary" }
  | { readonly _tag: "SessionClosed"; readonly reason: string }
  | { readonly _tag: "PlaybackInterrupted"; readonly itemId: string }
  /**
   * The settings changed in ways only a new session takes (`settings` names them): the engine
   * moves the call to a new connection at the next turn boundary; `open` then starts a new
   * session with the new settings and the conversation as history.
   */
  | { readonly _tag: "NewSessionNeeded"; readonly settings: ReadonlyArray<string> }

/** The outcome of one step (a frame received, an event sent): the new state, and what to do. */
export interface Step {
  readonly state: LiveState
  /** Events for the listeners, in order. */
  readonly events: ReadonlyArray<RealtimeModelEvent>
  /** Frames to send, in order. */
  readonly frames: ReadonlyArray<ClientFrame>
  readonly verdicts: ReadonlyArray<Verdict>
}

/** A step being built: one function's local, written only by the step that made it. */
export interface Draft {
  state: LiveState
  readonly events: Array<RealtimeModelEvent>
  readonly frames: Array<ClientFrame>
  readonly verdicts: Array<Verdict>
}

/** A step that starts from `state`. */
export const draft = (state: LiveState): Draft => ({ state, events: [], frames: [], verdicts: [] })

/** Assigns the next id with `prefix`, counting it in the draft's state. */
export const assignId = (step: Draft, prefix: "item" | "resp"): string => {
  const counter = step.state.counter + 1
  step.state = { ...step.state, counter }
  return `live_${prefix}_${counter}`
}

/** Updates the draft's state. */
export const update = (step: Draft, change: Partial<LiveState>): void => {
  step.state = { ...step.state, ...change }
}

/** Ends a step: a `TurnBoundary` verdict when the step brought the call to a boundary from elsewhere. */
export const boundary = (before: LiveState, step: Draft): void => {
  if (!atBoundary(before) && atBoundary(step.state)) step.verdicts.push({ _tag: "TurnBoundary" })
}
