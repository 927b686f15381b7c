/**
 * Gemini Live as a protocol without I/O: the entry the engine plugs in. It owns no socket, fiber
 * or clock; every function takes the state and returns the next one with what to do:
 *
 * - `init` (settings, options) → the first state, or the settings Gemini refuses;
 * - `open` (state) → the frame that opens a connection: `setup`, with the latest resumption handle;
 * - `receive` (state, frame text) → state, events, verdicts;
 * - `send` (state, send event, playback) → state, frames, events, verdicts, or a typed refusal;
 * - `classify` (state, close) → retryable, expired or fatal;
 * - `ended` (state) → the state for the next connection, and what the one that ended lost;
 * - `resume` (state) → what the next connection is given after `setup`: nothing with a handle,
 *   the conversation as context without one;
 * - `heard` (state, item, ms) → the state, knowing how much of an interrupted item was heard;
 * - `expire` (state) → the state for a new session when the handle cannot be used.
 */
import * as AudioFormats from "../../AudioFormat.js"
import { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import * as Close from "./close.js"
import * as Items from "./items.js"
import * as Receive from "./receive.js"
import * as Send from "./send.js"
import * as Setup from "./setup.js"
import type { GeminiState, ProtocolOptions, Step } from "./state.js"
import * as State from "./state.js"
import * as Wire from "./wire.js"

/** The frames that open a connection, and the notes on the settings Gemini ignores (for a Debug log). */
export interface Opened {
  readonly state: GeminiState
  readonly frames: ReadonlyArray<Wire.ClientFrame>
  readonly notes: ReadonlyArray<string>
  /** How the new connection gets the conversation: the server's handle, the transcript as context, or not at all. */
  readonly restoredBy: "handle" | "history" | "nothing"
}

/** What the next connection is given of the call (the shape of the engine's `Resumption`). */
export interface Resumption {
  /** The handle its `setup` resumes with, if any. */
  readonly handle: string | null
  /** The frames after `setup`, before any send of the application. */
  readonly frames: ReadonlyArray<Wire.ClientFrame>
  readonly ids: ReadonlySet<string>
  readonly lost: number
}

/** What a connection that ended leaves behind, for the next one. */
export interface Ended extends Step {
  /** The model's turn the end cut off, if one was in flight (its item is reported incomplete). */
  readonly lostResponseId: string | null
  /** Function calls asked for and not answered: the next connection cannot take their outputs. */
  readonly lostCalls: ReadonlyArray<string>
}

/**
 * The first state of a call, or `InvalidConfig` naming every setting Gemini Live refuses.
 */
export const init = (
  settings: RealtimeSessionSettings,
  options: ProtocolOptions = State.defaultOptions
): GeminiState | RealtimeConnectError => {
  const { refused } = Setup.plan(settings, options, null)
  if (refused.length > 0) {
    return new RealtimeConnectError({
      reason: "InvalidConfig",
      message: `Gemini Live cannot honour these settings: ${
        refused.map((refusal) => `${refusal.setting} (${refusal.message})`).join("; ")
      }`
    })
  }
  return State.make(
    options,
    settings,
    AudioFormats.resolve(settings.inputAudioFormat) ?? "pcm16",
    AudioFormats.resolve(settings.outputAudioFormat) ?? "pcm16"
  )
}

const historyTurns = (state: GeminiState): Array<Wire.WireContent> =>
  state.history.map((line) => ({ role: line.role, parts: [{ text: line.text }] }))

/** Whether a connection opened now restores the call by its transcript: no handle, but a conversation. */
const replays = (state: GeminiState): boolean => state.handle === null && state.history.length > 0

/**
 * The frame that opens a connection: `setup`, resuming the session with the latest handle when
 * there is one (the server restores the conversation: nothing is replayed). Without a handle, a
 * call that already has a conversation starts a new session with it as context: the `setup` says
 * the history comes as client content, and {@link resume} gives that content.
 */
export const open = (state: GeminiState): Opened => {
  const plan = Setup.plan(state.settings, state.options, state.handle)
  const replay = replays(state)
  const setup: Wire.Setup = replay
    ? { ...plan.setup, historyConfig: { initialHistoryInClientContent: true } }
    : plan.setup
  return {
    state: {
      ...state,
      ready: false,
      resuming: state.handle !== null,
      turn: null,
      input: null,
      activityOpen: false
    },
    frames: [Wire.live({ setup })],
    notes: plan.notes,
    restoredBy: state.handle !== null ? "handle" : replay ? "history" : "nothing"
  }
}

/**
 * What a connection that follows another is given, after its `setup` and before any send of the
 * application: nothing when it resumes with a handle; else the conversation as one `clientContent`
 * that asks for no reply. Gemini echoes none of it (`ids` is empty), and nothing is left out
 * (`lost` is 0: the transcript holds every turn, the model's cut to what was heard).
 */
export const resume = (state: GeminiState): Resumption => ({
  handle: state.handle,
  frames: replays(state)
    ? [Wire.live({ clientContent: { turns: historyTurns(state), turnComplete: false } })]
    : [],
  ids: new Set(),
  lost: 0
})

/**
 * A connection ended (dropped, or rolled over after `goAway`): the model's turn in flight ends
 * there (its item incomplete, `TurnEnded`), the user's transcript so far is completed, unanswered
 * calls are dropped (the next connection cannot take their outputs). The handle stays: the next
 * `open` resumes with it.
 */
export const ended = (state: GeminiState): Ended => {
  const step = State.draft(state)
  const turn = state.turn
  if (turn !== null) State.update(step, { turn: { ...turn, interrupted: true } })
  Items.closeUserTurn(step)
  Items.closeTurn(step)
  const lostCalls = [...state.pendingCalls.keys()]
  State.update(step, { pendingCalls: new Map(), ready: false, activityOpen: false })
  return { ...step, lostResponseId: turn?.responseId ?? null, lostCalls }
}

/**
 * What the playback tracker says was heard of an item the server interrupted (after a
 * `PlaybackInterrupted` verdict, before the tracker is reset): the conversation's text keeps that
 * share of the item's transcript.
 */
export const heard = (state: GeminiState, itemId: string, heardMs: number): GeminiState => {
  const step = State.draft(state)
  Items.recordHeard(step, itemId, heardMs)
  return step.state
}

/** The handle cannot be used (expired, unknown): the next `open` starts a new session, with the conversation as context. */
export const expire = (state: GeminiState): GeminiState => ({ ...state, handle: null, resumable: false })

/** The protocol as one value, for the engine. */
export const GeminiProtocol = {
  init,
  open,
  receive: Receive.receive,
  send: Send.send,
  classify: Close.classify,
  classifyHandshake: Close.classifyHandshake,
  resume,
  ended,
  heard,
  expire,
  atBoundary: State.atBoundary,
  encode: Wire.encodeClientFrame
} as const
