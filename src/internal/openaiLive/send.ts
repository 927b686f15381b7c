/**
 * The application's send events → OpenAI Live client events (and the events the protocol owes the
 * listeners, since Live echoes no items back), or a typed refusal where Live has no way to do what
 * the event asks. Each frame is built as the `openai` package's `ClientEvent`.
 *
 * - `SendAudio`: `session.input_audio.append`, in the session's format (Live takes 24 kHz PCM16
 *   and 8 kHz G.711 as they are). `commit` sends nothing: the model ends the user's turns itself.
 * - `UserInput`: Live has no user text message. The text goes in as `session.instructions.append`,
 *   marked as the user's typed words (instructions stay in the conversation through compaction and
 *   reach the backend's delegations); the model decides whether and when to answer. Images are
 *   refused (Live takes none).
 * - `ToolOutput`: a client delegation is answered with `session.commentary.append` under its id
 *   (the model says the result), or `session.thinking.append` with `startResponse: false` (silent
 *   context); a backend function call with a `function_call_output` item (`response.item.create`),
 *   then `response.create` so the backend goes on, unless `startResponse: false`; with other calls
 *   of the same delegation still waiting, the create waits for the last of them (one create covers
 *   them all). A call that is not waiting (answered already, or asked on a connection that ended)
 *   is refused.
 * - `Interrupt`: Live cannot be told to stop or to forget (no cancel, no truncate). The item the
 *   tracker says is playing is reported `AudioInterrupted` (when `responseId` names its turn, or
 *   names none), the trackers are reset (`PlaybackInterrupted`), and the rest of the turn is
 *   dropped on the client. Unless `playbackOnly`, the model is told, as silent context
 *   (`session.thinking.append`), what the user heard of its words. `cancelResponseOnly` is refused.
 * - `SessionUpdate`: only the Responses backend changes while a session runs (`session.update`).
 *   A change of what the start fixes (model, instructions, voice, format, whether there are tools)
 *   is refused; with the provider's `newSessionOnChange`, it is taken instead, and the verdict
 *   `NewSessionNeeded` asks the engine to move the call to a new session (at the next turn
 *   boundary), started with the new settings and the conversation as history.
 * - `RawMessage`: `{ type, ...otherData }`, passed through as it is.
 */
import type { PlaybackState } from "../../PlaybackTracker.js"
import { RealtimeSendError } from "../../RealtimeError.js"
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import { heardShare } from "../gemini/items.js"
import * as Base64 from "../realtime/base64.js"
import * as Session from "./session.js"
import type { Draft, LiveState, Step } from "./state.js"
import { answered, draft, update } from "./state.js"
import * as Turns from "./turns.js"
import * as Wire from "./wire.js"

/** A send that Live cannot carry out. */
const refuse = (eventTag: string, message: string): RealtimeSendError =>
  new RealtimeSendError({ reason: "InvalidEvent", eventTag, message })

type Sent = Step | RealtimeSendError
type Of<Tag extends RealtimeModelSendEvent["_tag"]> = Extract<RealtimeModelSendEvent, { readonly _tag: Tag }>

/** The longest text one append carries: appends take 500 tokens, and dense text runs about 2.5 characters a token. */
export const appendChars = 1200

/** Text cut into pieces of at most `max` characters, at whitespace where there is some in the second half. */
export const pieces = (text: string, max = appendChars): Array<string> => {
  const out: Array<string> = []
  let rest = text.trim()
  while (rest.length > max) {
    const space = rest.lastIndexOf(" ", max)
    const cut = space >= max / 2 ? space : max
    out.push(rest.slice(0, cut).trim())
    rest = rest.slice(cut).trim()
  }
  if (rest.length > 0 || out.length === 0) out.push(rest)
  return out
}

type AppendType = "session.instructions.append" | "session.thinking.append" | "session.commentary.append"

/** An append of `content`, in as many events as its length needs, each under `delegationId`. */
const append = (step: Draft, type: AppendType, content: string, delegationId: string | null): void => {
  for (const piece of pieces(content)) {
    step.frames.push(Wire.live({ type, content: piece, delegation_id: delegationId }))
  }
}

/** How a typed user message reads in the instructions the model gets: whole, or one part of several. */
export const typedByUser = (text: string, part?: { readonly index: number; readonly of: number }): string =>
  part === undefined ? `The user typed: ${text}` : `The user typed (part ${part.index} of ${part.of}): ${text}`

/** The longest part prefix, for the room a part leaves its text. */
const partPrefix = typedByUser("", { index: 9999, of: 9999 }).length

/**
 * The appends of a typed user message: one, or (too long for one) parts, each saying which part
 * of how many it is, so that none reads as instructions of the application's.
 */
export const typedAppends = (text: string): Array<string> => {
  const whole = pieces(typedByUser(text))
  if (whole.length === 1) return whole
  const parts = pieces(text, appendChars - partPrefix)
  return parts.map((piece, index) => typedByUser(piece, { index: index + 1, of: parts.length }))
}

const typedPattern = /^The user typed(?: \(part (\d+) of (\d+)\))?: ?/

/**
 * What an append says the user typed: the text, and which part of how many it is (1 of 1 for a
 * whole message); `undefined` for any other append. For the embedded server.
 */
export const typedOf = (
  content: string
): { readonly text: string; readonly index: number; readonly of: number } | undefined => {
  const match = typedPattern.exec(content)
  if (match === null) return undefined
  return {
    text: content.slice(match[0].length),
    index: match[1] === undefined ? 1 : Number(match[1]),
    of: match[2] === undefined ? 1 : Number(match[2])
  }
}

const sendAudio = (step: Draft, event: Of<"SendAudio">): Step => {
  if (event.audio.byteLength > 0) {
    step.frames.push(Wire.live({ type: "session.input_audio.append", audio: Base64.encode(event.audio) }))
  }
  return step
}

const userInput = (step: Draft, event: Of<"UserInput">): Sent => {
  const parts = typeof event.userInput === "string"
    ? [{ type: "input_text" as const, text: event.userInput }]
    : event.userInput.content
  const texts: Array<string> = []
  for (const part of parts) {
    if (part.type !== "input_text") return refuse("UserInput", "OpenAI Live takes no images; send the text alone")
    texts.push(part.text)
  }
  const text = texts.join("\n")
  for (const content of typedAppends(text)) {
    step.frames.push(Wire.live({ type: "session.instructions.append", content, delegation_id: null }))
  }
  Turns.userMessage(step, text)
  return step
}

/**
 * After a backend call's output: `response.create` (the backend goes on) once no other call of the
 * same delegation waits, if this output or one before it asked for it; one create covers them all.
 */
const continueBackend = (step: Draft, delegation: string, asked: boolean): void => {
  const waiting = [...step.state.pendingCalls.values()].some((call) =>
    call._tag === "Backend" && (call.delegationId ?? "") === delegation
  )
  const continueAfter = new Set(step.state.continueAfter)
  if (waiting) {
    if (asked) continueAfter.add(delegation)
  } else {
    if (asked || continueAfter.has(delegation)) step.frames.push(Wire.live({ type: "response.create" }))
    continueAfter.delete(delegation)
  }
  update(step, { continueAfter })
}

const toolOutput = (step: Draft, event: Of<"ToolOutput">): Sent => {
  const { callId, name } = event.toolCall
  const pending = step.state.pendingCalls.get(callId)
  if (pending === undefined) {
    return refuse(
      "ToolOutput",
      `no call ${callId} is waiting for its output: it was answered already, or asked on a connection that ended`
    )
  }
  const pendingCalls = new Map(step.state.pendingCalls)
  pendingCalls.delete(callId)
  update(step, { pendingCalls, answeredCalls: answered(step.state, callId) })
  if (pending._tag === "Client") {
    append(
      step,
      event.startResponse ? "session.commentary.append" : "session.thinking.append",
      event.output,
      pending.delegationId
    )
  } else {
    step.frames.push(Wire.live({
      type: "response.item.create",
      item: { type: "function_call_output", call_id: callId, output: event.output }
    }))
    continueBackend(step, pending.delegationId ?? "", event.startResponse)
  }
  if (event.toolCall.itemId !== null) {
    step.events.push({
      _tag: "ItemUpdated",
      item: {
        _tag: "ToolCall",
        itemId: event.toolCall.itemId,
        previousItemId: event.toolCall.previousItemId,
        callId,
        name,
        arguments: event.toolCall.arguments,
        status: "completed",
        output: event.output
      }
    })
  }
  return step
}

/** The silent context that tells the model what the user heard of its words before playback stopped. */
export const heardNote = (heard: string): string =>
  heard.length === 0
    ? "Playback of your last words was stopped before the user heard any of them."
    : `Playback of your last words was stopped; the user heard only: "${heard}"`

const interrupt = (step: Draft, event: Interrupt, playback: PlaybackState): Sent => {
  if (event.cancelResponseOnly) {
    return refuse(
      "Interrupt",
      "OpenAI Live cannot cancel a response on the client's word; interrupt without cancelResponseOnly to stop playback and drop the rest of the turn"
    )
  }
  const turn = step.state.turn
  const playing = playback.currentItemId
  const playingResponse = turn !== null && turn.itemId === playing ? turn.responseId : null
  if (playing !== null && (event.responseId === null || event.responseId === playingResponse)) {
    step.events.push({ _tag: "AudioInterrupted", itemId: playing, contentIndex: playback.currentItemContentIndex ?? 0 })
    step.verdicts.push({ _tag: "PlaybackInterrupted", itemId: playing })
    if (playback.elapsedMs !== null) {
      // what the model said of the item: its turn's transcript so far, or its line, once the turn ended
      const lastLine = step.state.history[step.state.history.length - 1]
      const said = turn?.itemId === playing
        ? turn.transcript
        : step.state.lastAudio?.itemId === playing && lastLine?.role === "assistant"
        ? lastLine.text
        : null
      Turns.recordHeard(step, playing, playback.elapsedMs)
      const interruption = step.state.interruption
      if (!event.playbackOnly && said !== null && interruption !== null) {
        const heard = heardShare(said, interruption.heardMs, interruption.receivedMs)
        append(step, "session.thinking.append", heardNote(heard), null)
      }
    }
  }
  // the rest of the interrupted turn (the one named, else the one playing, else the one in flight)
  // is not passed on: Live cannot be told to stop it, so the client drops it
  const dropped = event.responseId ?? playingResponse ?? turn?.responseId ?? null
  const current = step.state.turn
  if (current !== null && current.responseId === dropped) update(step, { turn: { ...current, muted: true } })
  return step
}

const sessionUpdate = (step: Draft, event: Of<"SessionUpdate">): Sent => {
  const current = step.state.settings
  const settings = { ...current, ...event.sessionSettings }
  const planned = Session.updatePlan(current, settings, step.state.options)
  if (planned.refused.length > 0) {
    return refuse(
      "SessionUpdate",
      planned.refused.map((refusal) => `${refusal.setting}: ${refusal.message}`).join("; ")
    )
  }
  if (planned.fixed.length > 0) {
    if (!step.state.options.newSessionOnChange) {
      return refuse(
        "SessionUpdate",
        `${
          planned.fixed.join(", ")
        }: Live fixes it when the session starts; only the backend's tools and settings change (or let the provider start a new session for it: newSessionOnChange)`
      )
    }
    // a new session takes them, with the conversation as history: not a fork, which would keep the old ones
    update(step, { settings, sessionId: null })
    step.verdicts.push({ _tag: "NewSessionNeeded", settings: planned.fixed })
    return step
  }
  if (planned.update !== null) step.frames.push(Wire.live({ type: "session.update", session: planned.update }))
  update(step, { settings })
  return step
}

/**
 * One send event → the new state, its frames, the events and verdicts it brings; or the typed
 * refusal when Live cannot do what it asks (the state is then unchanged). `playback` is what the
 * playback tracker says is playing, for `Interrupt`.
 */
export const send = (state: LiveState, event: RealtimeModelSendEvent, playback: PlaybackState): Sent => {
  const step = draft(state)
  switch (event._tag) {
    case "SendAudio":
      return sendAudio(step, event)
    case "UserInput":
      return userInput(step, event)
    case "ToolOutput":
      return toolOutput(step, event)
    case "Interrupt":
      return interrupt(step, event, playback)
    case "SessionUpdate":
      return sessionUpdate(step, event)
    case "RawMessage":
      step.frames.push({ _tag: "Raw", json: { ...event.otherData, type: event.type } })
      return step
  }
}
