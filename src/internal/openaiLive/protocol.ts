/**
 * OpenAI Live as a protocol without I/O: the entry the engine plugs in. It owns no socket, fiber
 * or clock; every function takes the state and returns the next one with what to do:
 *
 * - `init` (settings, options) → the first state, or the settings Live refuses;
 * - `open` (state) → the frame that opens a connection (`session.start`), and where to dial: a new
 *   session, or the fork of the stored one;
 * - `receive` (state, frame text) → state, events, verdicts;
 * - `send` (state, send event, playback) → state, frames, events, verdicts, or a typed refusal;
 * - `classify` (state, close) → ended, retryable, expired or fatal (`classifyHandshake` for a
 *   refused upgrade, `classifyFailure` for the engine's failure of a connection);
 * - `ended` (state) → the state for the next connection, and what the one that ended lost;
 * - `resume` (state) → what the next connection is given after its `session.start`: nothing, as
 *   the start itself carries the conversation (a fork keeps it server-side; a new session gets it
 *   as its startup history);
 * - `heard` (state, item, ms) → the state, knowing how much of an interrupted item was heard;
 * - `expire` (state) → the state for a new session when the stored one cannot be forked;
 * - `stallAfter` (state) / `stalled` (state) → how long to wait for the model's audio in its turn,
 *   and the step that ends the turn when none came (the engine owns the timer);
 * - `closeFrame` → the `session.close` the call's close sends before it waits for `session.closed`.
 *
 * A Live session lasts until its duration limit (`session.closed` with `expired`) and cannot be
 * re-attached after its connection drops. A call outlives both: the next connection continues the
 * conversation, either by forking the session when the provider stores sessions (`store`), or by
 * starting a new session whose startup history is the conversation's text (both sides, the
 * model's words cut to what the user heard).
 */
import { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import * as Close from "./close.js"
import * as Receive from "./receive.js"
import * as Send from "./send.js"
import * as Session from "./session.js"
import type { LiveState, ProtocolOptions, Step } from "./state.js"
import * as State from "./state.js"
import * as Turns from "./turns.js"
import * as Wire from "./wire.js"

/** The frame that opens a connection, where to dial, and the notes on the settings Live ignores (for a Debug log). */
export interface Opened {
  readonly state: LiveState
  readonly frames: ReadonlyArray<Wire.ClientFrame>
  readonly notes: ReadonlyArray<string>
  /** The stored session this connection forks (dial `Wire.sessionUrl(base, forkOf)`), or `null` for a new session. */
  readonly forkOf: string | null
  /** How the new connection gets the conversation: a fork, the text as startup history, or not at all. */
  readonly restoredBy: "fork" | "history" | "nothing"
}

/** What the next connection is given of the call (the shape of the engine's `Resumption`). */
export interface Resumption {
  readonly frames: ReadonlyArray<Wire.ClientFrame>
  readonly ids: ReadonlySet<string>
  readonly lost: number
}

/** What a connection that ended leaves behind, for the next one. */
export interface Ended extends Step {
  /** The model's turn the end cut off, if one was in flight (its item is reported incomplete). */
  readonly lostResponseId: string | null
  /** Calls asked for and not answered: the next session cannot take their outputs. */
  readonly lostCalls: ReadonlyArray<string>
}

/** The first state of a call, or `InvalidConfig` naming every setting Live refuses. */
export const init = (
  settings: RealtimeSessionSettings,
  options: ProtocolOptions = State.defaultOptions
): LiveState | RealtimeConnectError => {
  const { format, refused } = Session.plan(settings, options)
  if (refused.length > 0) {
    return new RealtimeConnectError({
      reason: "InvalidConfig",
      message: `OpenAI Live cannot honour these settings: ${
        refused.map((refusal) => `${refusal.setting} (${refusal.message})`).join("; ")
      }`
    })
  }
  return State.make(options, settings, format)
}

/**
 * The frame that opens a connection: `session.start`. A call whose session is stored forks it
 * (the overrides give only this connection's audio format); else a new session starts with the
 * settings as they are now, and the conversation so far as its startup history.
 */
export const open = (state: LiveState): Opened => {
  const forkOf = state.options.store ? state.sessionId : null
  const plan = Session.plan(state.settings, state.options, forkOf === null ? state.history : [])
  const next: LiveState = {
    ...state,
    ready: false,
    forking: forkOf !== null,
    closedReason: null,
    turn: null,
    // each session has its own timeline: the last turn's positions mean nothing in the next
    lastTurn: null,
    input: null,
    pendingCalls: new Map(),
    continueAfter: new Set()
  }
  const frame: Wire.ClientFrame = forkOf === null
    ? Wire.live({ type: "session.start", session: plan.session })
    : Wire.live({ type: "session.start", session: { audio: { format: Session.formatToWire(state.format) } } })
  return {
    state: next,
    frames: [frame],
    notes: plan.notes,
    forkOf,
    restoredBy: forkOf !== null ? "fork" : state.history.length > 0 ? "history" : "nothing"
  }
}

/**
 * What a connection that follows another is given after its `session.start`: nothing. Live
 * echoes nothing of it (`ids` is empty) and nothing is left out beyond the history's limit (`lost`
 * is 0: the startup history holds the conversation's last lines, the model's cut to what was heard).
 */
export const resume = (_state: LiveState): Resumption => ({ frames: [], ids: new Set(), lost: 0 })

/**
 * A connection ended: the model's turn in flight ends there (its item incomplete, `TurnEnded`),
 * the user's words so far are completed, unanswered calls are dropped (the next session cannot
 * take their outputs). The session's id stays: the next `open` forks it when sessions are stored.
 */
export const ended = (state: LiveState): Ended => {
  const step = State.draft(state)
  const lostResponseId = state.turn?.responseId ?? null
  Turns.closeUserTurn(step)
  Turns.closeTurn(step, true)
  const lostCalls = [...state.pendingCalls.keys()]
  State.update(step, { pendingCalls: new Map(), continueAfter: new Set(), ready: false })
  return { ...step, lostResponseId, lostCalls }
}

/**
 * What the playback tracker says was heard of an item the model interrupted (after a
 * `PlaybackInterrupted` verdict, before the tracker is reset): the conversation's text keeps that
 * share of the item's transcript.
 */
export const heard = (state: LiveState, itemId: string, heardMs: number): LiveState => {
  const step = State.draft(state)
  Turns.recordHeard(step, itemId, heardMs)
  return step.state
}

/**
 * How long the server may stay quiet (no frame at all) while the model's turn is open before the
 * engine calls {@link stalled} (the quiet that ends a turn), or `null` when no turn is open. The
 * Live stream carries the model's silences, so a turn ends on the quiet audio itself; this is for
 * a stream that stops instead (a server that sends no silence, a stalled connection).
 */
export const stallAfter = (state: LiveState): number | null => state.turn === null ? null : state.options.quietMs

/**
 * No audio of the model arrived for {@link stallAfter} with its turn open: the turn ends as if
 * its quiet had arrived (`AudioDone`, or `AudioInterrupted` when the model yielded to the user).
 */
export const stalled = (state: LiveState): Step => {
  const step = State.draft(state)
  Turns.closeTurn(step)
  State.boundary(state, step)
  return step
}

/** The stored session cannot be forked: the next `open` starts a new session, with the conversation as history. */
export const expire = (state: LiveState): LiveState => ({ ...state, sessionId: null })

/**
 * The frame that asks the server to close the session, for the call's close: the server answers
 * with `session.closed` (reason `close_requested`, the final usage) and then closes the socket.
 */
export const closeFrame = (): Wire.ClientFrame => Wire.live({ type: "session.close" })

/** The protocol as one value, for the engine. */
export const OpenAILiveProtocol = {
  init,
  open,
  receive: Receive.receive,
  send: Send.send,
  classify: Close.classify,
  classifyHandshake: Close.classifyHandshake,
  classifyFailure: Close.classifyFailure,
  resume,
  ended,
  heard,
  expire,
  stallAfter,
  stalled,
  closeFrame,
  atBoundary: State.atBoundary,
  encode: Wire.encodeClientFrame,
  url: Wire.sessionUrl,
  authHeaders: Wire.authHeaders
} as const
