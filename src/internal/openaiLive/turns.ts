/**
 * The conversation's turns and items, drawn from what the Live model sends: it runs its own turns
 * and sends no turn events, only its audio and the two transcripts, each delta placed on the
 * session's timeline (`start_ms`, `end_ms`). This module owns the rules that make turns of them:
 *
 * - the model's turn opens with its first audio that holds speech (or its first transcript
 *   delta): `TurnStarted`, an assistant item in progress (ids `live_resp_N`, `live_item_N`);
 * - it ends after `quietMs` of quiet audio past its last speech, or when its next transcript
 *   delta starts more than `quietMs` after the last one ended, or when the connection ends;
 * - the model interrupted itself when the user started speaking over the turn (a user transcript
 *   delta starting after the turn's first words and before its last ones) and the model's words
 *   ended at most `yieldMs` after that start: the turn ends with `AudioInterrupted` and a
 *   `PlaybackInterrupted` verdict, its item `incomplete`; otherwise with `AudioDone`, `completed`;
 * - a transcript delta that arrives after its turn ended, starting within `quietMs` of the turn's
 *   last words, is late (the transcript runs behind the audio): it goes to the ended turn's item;
 * - quiet audio outside a turn is not passed on (the Live stream carries the model's silences);
 * - the user's transcript opens a user item; it is completed when the model's next turn opens,
 *   or when the user's next words start more than `quietMs` after the last ones ended.
 */
import * as AudioFormats from "../../AudioFormat.js"
import type * as RealtimeItem from "../../RealtimeItem.js"
import * as Codec from "../audio/Codec.js"
import * as Energy from "../audio/Energy.js"
import { heardShare } from "../gemini/items.js"
import * as ItemEvents from "../realtime/itemEvents.js"
import type { Draft, EndedTurn, ModelTurn } from "./state.js"
import { assignId, remember, update } from "./state.js"

/** The energy (RMS, full scale 1) above which a chunk of the model's audio holds speech: about -54 dBFS. */
export const speechRms = 0.002

/** Whether a chunk of audio in `format` holds speech. */
export const holdsSpeech = (format: AudioFormats.AudioFormat, bytes: Uint8Array): boolean =>
  Energy.rms(Codec.decode(format, bytes)) > speechRms

/** The content of the model's item: its audio, with what it said so far. */
const spoken = (transcript: string): ReadonlyArray<RealtimeItem.AssistantContent> => [
  { _tag: "OutputAudio", audio: null, transcript }
]

/** The model's turn in flight, opened (`TurnStarted`, its item in progress) if there is none. */
export const openTurn = (step: Draft): ModelTurn => {
  const current = step.state.turn
  if (current !== null) return current
  closeUserTurn(step)
  const responseId = assignId(step, "resp")
  const itemId = assignId(step, "item")
  const turn: ModelTurn = {
    responseId,
    itemId,
    previousItemId: step.state.lastItemId,
    audioBytes: 0,
    speechEndBytes: 0,
    transcript: "",
    firstOutputStartMs: null,
    lastOutputEndMs: null,
    userStartMs: null,
    muted: false
  }
  update(step, { turn, lastTurn: null, lastItemId: itemId })
  step.events.push(...ItemEvents.modelTurnStarted(responseId, itemId, turn.previousItemId))
  return turn
}

/** Whether the model interrupted itself: it stopped within `yieldMs` of the user speaking over it. */
export const yielded = (turn: ModelTurn, yieldMs: number): boolean =>
  turn.userStartMs !== null && turn.lastOutputEndMs !== null && turn.userStartMs < turn.lastOutputEndMs &&
  turn.lastOutputEndMs - turn.userStartMs <= yieldMs

/**
 * Closes the model's turn (`cut`: the connection ended under it): `AudioInterrupted` if the model
 * yielded to the user, else `AudioDone` for its audio; its item completed (or incomplete);
 * `TurnEnded`. What the user heard of it joins the history.
 */
export const closeTurn = (step: Draft, cut = false): void => {
  const turn = step.state.turn
  if (turn === null) return
  const self = yielded(turn, step.state.options.yieldMs)
  if (turn.audioBytes > 0 && !turn.muted) {
    if (self) {
      step.events.push({ _tag: "AudioInterrupted", itemId: turn.itemId, contentIndex: 0 })
      step.verdicts.push({ _tag: "PlaybackInterrupted", itemId: turn.itemId })
    } else if (!cut) {
      step.events.push({ _tag: "AudioDone", itemId: turn.itemId, contentIndex: 0 })
    }
  }
  const status = self || cut || turn.muted ? "incomplete" : "completed"
  step.events.push(ItemEvents.assistantMessage(turn.itemId, turn.previousItemId, status, spoken(turn.transcript)))
  step.events.push({ _tag: "TurnEnded", responseId: turn.responseId })
  const interruption = step.state.interruption
  const heard = interruption?.itemId === turn.itemId
    ? heardShare(turn.transcript, interruption.heardMs, interruption.receivedMs)
    : turn.transcript
  update(step, {
    turn: null,
    lastTurn: {
      responseId: turn.responseId,
      itemId: turn.itemId,
      previousItemId: turn.previousItemId,
      transcript: turn.transcript,
      lastOutputEndMs: turn.lastOutputEndMs,
      status,
      muted: turn.muted
    },
    lastAudio: turn.audioBytes > 0 ? { itemId: turn.itemId, bytes: turn.speechEndBytes } : step.state.lastAudio,
    history: remember(step.state, "assistant", heard)
  })
}

/** A chunk of the model's audio: passed on under its turn (opened by speech); quiet long enough ends the turn. */
export const modelAudio = (step: Draft, bytes: Uint8Array): void => {
  const format = step.state.format
  const speech = holdsSpeech(format, bytes)
  if (step.state.turn === null && !speech) return
  const turn = openTurn(step)
  const audioBytes = turn.audioBytes + bytes.byteLength
  const speechEndBytes = speech ? audioBytes : turn.speechEndBytes
  update(step, { turn: { ...turn, audioBytes, speechEndBytes } })
  if (!turn.muted) {
    step.events.push({ _tag: "Audio", data: bytes, responseId: turn.responseId, itemId: turn.itemId, contentIndex: 0 })
  }
  if (audioBytes - speechEndBytes >= AudioFormats.bytesForMs(format, step.state.options.quietMs)) closeTurn(step)
}

/**
 * A delta of the model's transcript that arrived after its turn ended on quiet (the transcript
 * runs behind the audio): it goes to the ended turn's item, whose transcript grows (`ItemUpdated`),
 * and to its line of the history, unless the user's interrupt cut that line.
 */
const lateTranscript = (step: Draft, ended: EndedTurn, delta: string, endMs: number): void => {
  const transcript = ended.transcript + delta
  update(step, { lastTurn: { ...ended, transcript, lastOutputEndMs: Math.max(ended.lastOutputEndMs ?? endMs, endMs) } })
  if (ended.muted) return
  step.events.push({ _tag: "TranscriptDelta", itemId: ended.itemId, delta, responseId: ended.responseId })
  step.events.push(ItemEvents.assistantMessage(ended.itemId, ended.previousItemId, ended.status, spoken(transcript)))
  if (step.state.interruption?.itemId === ended.itemId) return
  const history = step.state.history
  const index = history.map((line) => line.role).lastIndexOf("assistant")
  const line = history[index]
  if (ended.transcript.trim().length > 0 && line !== undefined) {
    update(step, { history: history.map((each, at) => at === index ? { ...line, text: transcript.trim() } : each) })
  } else {
    update(step, { history: remember(step.state, "assistant", transcript) })
  }
}

/**
 * A delta of the model's transcript. With no turn open, a delta that starts within `quietMs` of
 * the last turn's words is late (see {@link lateTranscript}); a long pause before a delta ends
 * the turn before and opens a new one.
 */
export const modelTranscript = (step: Draft, delta: string, startMs: number, endMs: number): void => {
  const ended = step.state.lastTurn
  if (
    step.state.turn === null && ended !== null && ended.lastOutputEndMs !== null &&
    startMs - ended.lastOutputEndMs <= step.state.options.quietMs
  ) {
    return lateTranscript(step, ended, delta, endMs)
  }
  const before = step.state.turn
  if (before?.lastOutputEndMs != null && startMs - before.lastOutputEndMs > step.state.options.quietMs) {
    closeTurn(step)
  }
  const turn = openTurn(step)
  update(step, {
    turn: {
      ...turn,
      transcript: turn.transcript + delta,
      firstOutputStartMs: turn.firstOutputStartMs ?? startMs,
      lastOutputEndMs: Math.max(turn.lastOutputEndMs ?? endMs, endMs)
    }
  })
  if (!turn.muted) {
    step.events.push({ _tag: "TranscriptDelta", itemId: turn.itemId, delta, responseId: turn.responseId })
  }
}

/**
 * A delta of the user's transcript: the user's item (opened if needed, or after a long pause),
 * and, when the model is speaking, the start of the user's speech over it.
 */
export const userTranscript = (step: Draft, delta: string, startMs: number, endMs: number): void => {
  const turn = step.state.turn
  if (
    turn !== null && turn.userStartMs === null && turn.firstOutputStartMs !== null && startMs > turn.firstOutputStartMs
  ) {
    update(step, { turn: { ...turn, userStartMs: startMs } })
  }
  const open = step.state.input
  if (open !== null && startMs - open.lastEndMs > step.state.options.quietMs) closeUserTurn(step)
  let input = step.state.input
  if (input === null) {
    const itemId = assignId(step, "item")
    input = { itemId, previousItemId: step.state.lastItemId, transcript: "", lastEndMs: endMs }
    update(step, { lastItemId: itemId })
    step.events.push(ItemEvents.userAudio(itemId, input.previousItemId, null))
  }
  update(step, {
    input: { ...input, transcript: input.transcript + delta, lastEndMs: Math.max(input.lastEndMs, endMs) }
  })
  step.events.push(ItemEvents.transcriptionDelta(input.itemId, delta))
}

/** The user's words are complete: the item is completed, its text joins the history. */
export const closeUserTurn = (step: Draft): void => {
  const input = step.state.input
  if (input === null) return
  step.events.push(
    ItemEvents.transcriptionCompleted(input.itemId, input.transcript),
    ItemEvents.userAudio(input.itemId, input.previousItemId, input.transcript)
  )
  update(step, { input: null, history: remember(step.state, "user", input.transcript) })
}

/** A user message the application sent as text: its item, completed at once. */
export const userMessage = (step: Draft, text: string): void => {
  const itemId = assignId(step, "item")
  step.events.push(ItemEvents.userMessage(itemId, step.state.lastItemId, [{ _tag: "InputText", text }]))
  update(step, { lastItemId: itemId, history: remember(step.state, "user", text) })
}

/** A function call's item (in progress); returns its item id. */
export const toolCall = (step: Draft, callId: string, name: string, args: string): string => {
  const itemId = assignId(step, "item")
  step.events.push(ItemEvents.toolCall(itemId, step.state.lastItemId, callId, name, args))
  update(step, { lastItemId: itemId })
  return itemId
}

/**
 * Playback of the item stopped after `heardMs` (the application's interrupt): remembered, so the
 * conversation's text (a new session's history) holds what the user heard of it.
 */
export const recordHeard = (step: Draft, itemId: string, heardMs: number): void => {
  const turn = step.state.turn
  const lastAudio = step.state.lastAudio
  // the item's words span its audio up to the end of its last speech (the quiet after holds none)
  const receivedBytes = turn?.itemId === itemId
    ? turn.speechEndBytes
    : lastAudio?.itemId === itemId
    ? lastAudio.bytes
    : 0
  const receivedMs = AudioFormats.durationMs(step.state.format, receivedBytes)
  update(step, { interruption: { itemId, heardMs, receivedMs } })
  const history = step.state.history
  const last = history[history.length - 1]
  // the item's turn already ended: its line is the history's last
  if (turn?.itemId !== itemId && lastAudio?.itemId === itemId && last !== undefined && last.role === "assistant") {
    const text = heardShare(last.text, heardMs, receivedMs)
    update(step, { history: text.length === 0 ? history.slice(0, -1) : [...history.slice(0, -1), { ...last, text }] })
  }
}
