/**
 * The conversation's items as the protocol assigns them (Gemini Live names none): one assistant
 * item per model turn, one user item per transcribed audio turn or text input, one tool call item
 * per function call. Each function here opens or closes one of them on a step, with the
 * `ItemUpdated` (and turn) events that say so, and keeps the conversation's text in the history.
 */
import type * as RealtimeItem from "../../RealtimeItem.js"
import * as ItemEvents from "../realtime/itemEvents.js"
import { modelAudioMs } from "./audio.js"
import type { Draft, Line, ModelTurn } from "./state.js"
import { assignId, remember, update } from "./state.js"

/** The model's turn in flight, opened (`TurnStarted`, its item in progress) if there is none. */
export const openTurn = (step: Draft): ModelTurn => {
  const current = step.state.turn
  if (current !== null) return current
  const responseId = assignId(step, "resp")
  const itemId = assignId(step, "item")
  const turn: ModelTurn = {
    responseId,
    itemId,
    previousItemId: step.state.lastItemId,
    audioBytes: 0,
    transcript: "",
    text: "",
    generationComplete: false,
    interrupted: false,
    muted: false
  }
  update(step, { turn, lastItemId: itemId, resumable: false })
  step.events.push(...ItemEvents.modelTurnStarted(responseId, itemId, turn.previousItemId))
  return turn
}

/** Replaces the turn in flight. */
export const setTurn = (step: Draft, turn: ModelTurn): void => update(step, { turn })

/**
 * Closes the model's turn: `AudioDone` if its audio never said it was done, its item completed
 * (or incomplete, when interrupted), `TurnEnded`. Its transcript (or text) joins the history.
 */
export const closeTurn = (step: Draft): void => {
  const turn = step.state.turn
  if (turn === null) return
  const cut = turn.interrupted || turn.muted
  if (turn.audioBytes > 0 && !turn.generationComplete && !cut) {
    step.events.push({ _tag: "AudioDone", itemId: turn.itemId, contentIndex: 0 })
  }
  const content: Array<RealtimeItem.AssistantContent> = turn.audioBytes > 0 || turn.transcript.length > 0
    ? [{ _tag: "OutputAudio", audio: null, transcript: turn.transcript }]
    : turn.text.length > 0
    ? [{ _tag: "OutputText", text: turn.text }]
    : []
  step.events.push(
    ItemEvents.assistantMessage(turn.itemId, turn.previousItemId, cut ? "incomplete" : "completed", content)
  )
  step.events.push({ _tag: "TurnEnded", responseId: turn.responseId })
  const interruption = step.state.interruption
  const said = turn.transcript || turn.text
  const heard = interruption?.itemId === turn.itemId
    ? heardShare(said, interruption.heardMs, interruption.receivedMs)
    : said
  // a handle from before the turn's end does not hold it
  update(step, { turn: null, resumable: false, history: remember(step.state, "model", heard) })
}

/**
 * The share of `text` that was heard: Gemini sends no word timings, so the transcript is cut in
 * proportion to the audio heard, at the last whole word (nothing when nothing was heard).
 */
export const heardShare = (text: string, heardMs: number, receivedMs: number): string => {
  if (receivedMs <= 0 || heardMs >= receivedMs) return text
  if (heardMs <= 0) return ""
  const cut = Math.floor(text.length * (heardMs / receivedMs))
  if (cut >= text.length || /\s/.test(text.charAt(cut))) return text.slice(0, cut).trimEnd()
  const lastSpace = text.slice(0, cut).search(/\s\S*$/)
  return lastSpace < 0 ? "" : text.slice(0, lastSpace).trimEnd()
}

/**
 * Playback of the item stopped after `heardMs`: remembered, so that the conversation's text (for a
 * new session's context) holds what the user heard of it, not all the model said.
 */
export const recordHeard = (step: Draft, itemId: string, heardMs: number): void => {
  const turn = step.state.turn
  const lastAudio = step.state.lastAudio
  const receivedBytes = turn?.itemId === itemId ? turn.audioBytes : lastAudio?.itemId === itemId ? lastAudio.bytes : 0
  const receivedMs = modelAudioMs(receivedBytes)
  update(step, { interruption: { itemId, heardMs, receivedMs } })
  const history = step.state.history
  const last = history[history.length - 1]
  // the item's turn already ended: its line is the history's last
  if (turn?.itemId !== itemId && lastAudio?.itemId === itemId && last !== undefined && last.role === "model") {
    const line: Line = { role: "model", text: heardShare(last.text, heardMs, receivedMs) }
    update(step, { history: line.text.length === 0 ? history.slice(0, -1) : [...history.slice(0, -1), line] })
  }
}

/** A piece of the user's transcript: opens the user's audio item if needed. */
export const userTranscript = (step: Draft, delta: string): void => {
  let input = step.state.input
  if (input === null) {
    const itemId = assignId(step, "item")
    input = { itemId, previousItemId: step.state.lastItemId, transcript: "" }
    update(step, { lastItemId: itemId, resumable: false })
    step.events.push(ItemEvents.userAudio(itemId, input.previousItemId, null))
  }
  update(step, { input: { ...input, transcript: input.transcript + delta } })
  step.events.push(ItemEvents.transcriptionDelta(input.itemId, delta))
}

/** The user's transcript is complete: its item is completed, its text joins the history. */
export const closeUserTurn = (step: Draft): void => {
  const input = step.state.input
  if (input === null) return
  step.events.push(
    ItemEvents.transcriptionCompleted(input.itemId, input.transcript),
    ItemEvents.userAudio(input.itemId, input.previousItemId, input.transcript)
  )
  update(step, { input: null, history: remember(step.state, "user", input.transcript) })
}

/** A user message the application sent (text and images): its item, completed at once. */
export const userMessage = (step: Draft, content: ReadonlyArray<RealtimeItem.UserContent>): void => {
  const itemId = assignId(step, "item")
  step.events.push(ItemEvents.userMessage(itemId, step.state.lastItemId, content))
  const text = content.map((part) => part._tag === "InputText" ? part.text ?? "" : "").join(" ")
  update(step, { lastItemId: itemId, resumable: false, history: remember(step.state, "user", text) })
}

/** A function call's item; returns its item id. */
export const toolCall = (step: Draft, callId: string, name: string, args: string): string => {
  const itemId = assignId(step, "item")
  step.events.push(ItemEvents.toolCall(itemId, step.state.lastItemId, callId, name, args))
  update(step, { lastItemId: itemId, resumable: false })
  return itemId
}
