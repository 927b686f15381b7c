/**
 * The application's send events → Gemini Live client messages (and the events the protocol owes
 * the listeners, since Gemini echoes nothing back), or a typed refusal where Live has no way to do
 * what the event asks. Each frame is built as the package's `LiveClientMessage`.
 *
 * - `SendAudio`: `realtimeInput.audio`, converted to 16 kHz PCM16. `commit` ends the user's turn:
 *   `activityEnd` when the session's turn detection is off (an `activityStart` goes first, before
 *   the first audio of a turn), `audioStreamEnd` when the server detects activity.
 * - `UserInput`: `clientContent` with `turnComplete: true` (text, and images given as `data:` URLs).
 * - `ToolOutput`: `toolResponse` with the call's id and name; `startResponse: false` asks for
 *   `SILENT` scheduling (the model takes the result in without speaking of it).
 * - `Interrupt`: Live has nothing to truncate or cancel on the client's word. The item playing is
 *   reported `AudioInterrupted` (when `responseId` names its turn, or names none), and the rest of
 *   the model's turn is dropped (not passed on); `playbackOnly` and `forceResponseCancel` change
 *   nothing, as there is nothing to cancel; `cancelResponseOnly` is refused.
 * - `SessionUpdate`: instructions and tools through `contextUpdate`; a change of any other setting
 *   the setup fixes is refused; the audio formats (converted here, not on the wire) change freely.
 * - `RawMessage`: `{ [type]: otherData }`, passed through as it is.
 */
import * as AudioFormats from "../../AudioFormat.js"
import type { PlaybackState } from "../../PlaybackTracker.js"
import { RealtimeSendError } from "../../RealtimeError.js"
import type * as RealtimeItem from "../../RealtimeItem.js"
import type { Interrupt, RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Base64 from "../realtime/base64.js"
import * as Audio from "./audio.js"
import * as Items from "./items.js"
import * as Setup from "./setup.js"
import type { Draft, GeminiState, Step } from "./state.js"
import { draft, update } from "./state.js"
import * as Wire from "./wire.js"

/** A send that Live cannot carry out, or an event it cannot carry. */
const refuse = (eventTag: string, message: string): RealtimeSendError =>
  new RealtimeSendError({ reason: "InvalidEvent", eventTag, message })

type Sent = Step | RealtimeSendError
type Of<Tag extends RealtimeModelSendEvent["_tag"]> = Extract<RealtimeModelSendEvent, { readonly _tag: Tag }>

const sendAudio = (step: Draft, event: Of<"SendAudio">): Step => {
  const manual = Setup.manualActivity(step.state.settings)
  if (event.audio.byteLength > 0) {
    if (manual && !step.state.activityOpen) {
      step.frames.push(Wire.live({ realtimeInput: { activityStart: {} } }))
      update(step, { activityOpen: true })
    }
    const { pcm, stream } = Audio.toModel(step.state.inputAudio, event.audio)
    update(step, { inputAudio: stream })
    // a chunk too short for a sample at 16 kHz waits in the stream for the next
    if (pcm.byteLength > 0) {
      step.frames.push(
        Wire.live({ realtimeInput: { audio: { data: Base64.encode(pcm), mimeType: Audio.inputMimeType } } })
      )
    }
  }
  if (event.commit) {
    if (manual) {
      if (step.state.activityOpen) step.frames.push(Wire.live({ realtimeInput: { activityEnd: {} } }))
      update(step, { activityOpen: false })
    } else {
      step.frames.push(Wire.live({ realtimeInput: { audioStreamEnd: true } }))
    }
  }
  return step
}

const dataUrl = /^data:([^;,]+);base64,(.*)$/s

const userInput = (step: Draft, event: Of<"UserInput">): Sent => {
  const message = typeof event.userInput === "string"
    ? [{ type: "input_text" as const, text: event.userInput }]
    : event.userInput.content
  const parts: Array<Wire.WirePart> = []
  const content: Array<RealtimeItem.UserContent> = []
  for (const part of message) {
    if (part.type === "input_text") {
      parts.push({ text: part.text })
      content.push({ _tag: "InputText", text: part.text })
    } else {
      const match = dataUrl.exec(part.imageUrl)
      if (match === null) {
        return refuse("UserInput", "Gemini Live takes images inline only: give the image as a data: URL (base64)")
      }
      parts.push({ inlineData: { mimeType: match[1] ?? "", data: match[2] ?? "" } })
      content.push({ _tag: "InputImage", imageUrl: part.imageUrl, detail: part.detail ?? null })
    }
  }
  step.frames.push(Wire.live({ clientContent: { turns: [{ role: "user", parts }], turnComplete: true } }))
  Items.userMessage(step, content)
  return step
}

/** A tool's output as the `response` object Live wants: `{ output }`, the output parsed when it is JSON. */
const responseOf = (output: string): Record<string, unknown> => {
  try {
    return { output: JSON.parse(output) as unknown }
  } catch {
    return { output }
  }
}

const toolOutput = (step: Draft, event: Of<"ToolOutput">): Step => {
  const { callId, name } = event.toolCall
  const pending = step.state.pendingCalls.get(callId)
  const answer = Wire.defined<Wire.FunctionResponse>({
    // a call the server gave no id is answered by name alone
    id: pending === undefined ? callId : pending.wireId,
    name,
    response: responseOf(event.output),
    scheduling: event.startResponse ? undefined : Wire.enumValue<Wire.FunctionResponseScheduling>("SILENT")
  })
  step.frames.push(Wire.live({ toolResponse: { functionResponses: [answer] } }))
  const pendingCalls = new Map(step.state.pendingCalls)
  pendingCalls.delete(callId)
  update(step, { pendingCalls })
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

const interrupt = (step: Draft, event: Interrupt, playback: PlaybackState): Sent => {
  if (event.cancelResponseOnly) {
    return refuse(
      "Interrupt",
      "Gemini Live cannot cancel a response on the client's word; interrupt without cancelResponseOnly to stop playback and drop the rest of the turn"
    )
  }
  const turn = step.state.turn
  const playing = playback.currentItemId
  const playingResponse = turn !== null && turn.itemId === playing ? turn.responseId : null
  if (playing !== null && (event.responseId === null || event.responseId === playingResponse)) {
    step.events.push({ _tag: "AudioInterrupted", itemId: playing, contentIndex: playback.currentItemContentIndex ?? 0 })
    step.verdicts.push({ _tag: "PlaybackInterrupted", itemId: playing })
    if (playback.elapsedMs !== null) Items.recordHeard(step, playing, playback.elapsedMs)
  }
  // the rest of the interrupted turn (the one named, else the one playing, else the one in flight)
  // is not passed on: Live cannot be told to stop generating it, so the client drops it, as with
  // `playbackOnly` (there is nothing to cancel either way)
  const dropped = event.responseId ?? playingResponse ?? turn?.responseId ?? null
  const current = step.state.turn
  if (current !== null && current.responseId === dropped) update(step, { turn: { ...current, muted: true } })
  return step
}

/** What of the setup a settings change would alter, apart from what `contextUpdate` carries. */
const fixedChanges = (before: Wire.Setup, after: Wire.Setup): ReadonlyArray<string> => {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  const changed: Array<string> = []
  for (const key of keys) {
    if (key === "systemInstruction" || key === "tools" || key === "sessionResumption") continue
    const left: unknown = (before as Record<string, unknown>)[key]
    const right: unknown = (after as Record<string, unknown>)[key]
    if (JSON.stringify(left) !== JSON.stringify(right)) changed.push(key)
  }
  return changed
}

const sessionUpdate = (step: Draft, event: Of<"SessionUpdate">): Sent => {
  const current = step.state.settings
  const settings = { ...current, ...event.sessionSettings }
  const before = Setup.plan(current, step.state.options, null)
  const after = Setup.plan(settings, step.state.options, null)
  if (after.refused.length > 0) {
    return refuse("SessionUpdate", after.refused.map((refusal) => `${refusal.setting}: ${refusal.message}`).join("; "))
  }
  const changed = fixedChanges(before.setup, after.setup)
  if (changed.length > 0) {
    return refuse(
      "SessionUpdate",
      `Gemini Live fixes ${
        changed.join(", ")
      } when the session is set up; mid-session only instructions and tools change`
    )
  }
  const contextUpdate = Wire.defined<NonNullable<Wire.ClientMessage["contextUpdate"]>>({
    systemInstruction: settings.instructions !== current.instructions ? after.setup.systemInstruction ?? "" : undefined,
    tools: JSON.stringify(before.setup.tools) !== JSON.stringify(after.setup.tools)
      ? { tools: after.setup.tools ?? [] }
      : undefined
  })
  if (Object.keys(contextUpdate).length > 0) step.frames.push(Wire.live({ contextUpdate }))
  const inputFormat = AudioFormats.resolve(settings.inputAudioFormat) ?? "pcm16"
  const outputFormat = AudioFormats.resolve(settings.outputAudioFormat) ?? "pcm16"
  update(step, {
    settings,
    // a format that changes starts its stream again
    inputAudio: inputFormat === step.state.inputAudio.format ? step.state.inputAudio : Audio.stream(inputFormat),
    outputAudio: outputFormat === step.state.outputAudio.format ? step.state.outputAudio : Audio.stream(outputFormat)
  })
  return step
}

/**
 * One send event → the new state, its frames, the events and verdicts it brings; or the typed
 * refusal when Live cannot do what it asks (the state is then unchanged). `playback` is what the
 * playback tracker says is playing, for `Interrupt`.
 */
export const send = (state: GeminiState, event: RealtimeModelSendEvent, playback: PlaybackState): Sent => {
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
      step.frames.push({ _tag: "Raw", json: { [event.type]: event.otherData ?? {} } })
      return step
  }
}
