/**
 * Server frames → the new state, events for the listeners and verdicts for the engine. One Live
 * message may carry several of its keys; they are read in a fixed order (setup, content, tool
 * calls, cancellations, usage, resumption, goAway). A frame that is not JSON, or not a Live
 * message, is an `Exception` event and changes nothing; a JSON object without a key this module
 * knows is passed on as `Other`.
 */
import { RealtimeProtocolError } from "../../RealtimeError.js"
import type { Usage } from "../../RealtimeModelEvent.js"
import * as Base64 from "../realtime/base64.js"
import * as Audio from "./audio.js"
import * as Items from "./items.js"
import type { Draft, GeminiState, Step } from "./state.js"
import * as State from "./state.js"
import { assignId, draft, update } from "./state.js"
import type * as Wire from "./wire.js"
import { decodeServerFrame } from "./wire.js"

/** A protobuf `Duration` in its JSON form (`"50s"`, `"1.5s"`) in milliseconds; `null` when it is not one. */
export const durationMs = (value: string | undefined): number | null => {
  if (value === undefined) return null
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim())
  return match === null ? null : Math.round(Number(match[1]) * 1000)
}

const modelAudio = (step: Draft, base64: string): void => {
  update(step, { cutShort: false })
  const turn = Items.openTurn(step)
  if (turn.muted) return
  const bytes = Base64.decode(base64)
  const audioBytes = turn.audioBytes + bytes.byteLength
  Items.setTurn(step, { ...turn, audioBytes })
  const converted = Audio.fromModel(step.state.outputAudio, bytes)
  update(step, { lastAudio: { itemId: turn.itemId, bytes: audioBytes }, outputAudio: converted.stream })
  step.events.push({
    _tag: "Audio",
    data: converted.bytes,
    responseId: turn.responseId,
    itemId: turn.itemId,
    contentIndex: 0
  })
}

const modelText = (step: Draft, text: string): void => {
  update(step, { cutShort: false })
  const turn = Items.openTurn(step)
  if (turn.muted) return
  Items.setTurn(step, { ...turn, text: turn.text + text })
  step.events.push({ _tag: "OutputTextDelta", itemId: turn.itemId, delta: text, responseId: turn.responseId })
}

const modelTranscript = (step: Draft, text: string): void => {
  // what trails an interrupted turn belongs to it, not to a new one
  if (step.state.turn === null && step.state.cutShort) return
  const turn = Items.openTurn(step)
  if (turn.muted) return
  Items.setTurn(step, { ...turn, transcript: turn.transcript + text })
  step.events.push({ _tag: "TranscriptDelta", itemId: turn.itemId, delta: text, responseId: turn.responseId })
}

/**
 * The server interrupted itself (the user spoke): the item playing stops, and the model's turn
 * ends there (incomplete): the server may send no `turnComplete` for it, and its next reply is a
 * turn of its own.
 */
const interrupted = (step: Draft): void => {
  const turn = step.state.turn
  const itemId = turn !== null && turn.audioBytes > 0 ? turn.itemId : step.state.lastAudio?.itemId ?? null
  if (itemId !== null) {
    step.events.push({ _tag: "AudioInterrupted", itemId, contentIndex: 0 })
    step.verdicts.push({ _tag: "PlaybackInterrupted", itemId })
  }
  if (turn !== null) {
    Items.setTurn(step, { ...turn, interrupted: true })
    Items.closeTurn(step)
    update(step, { cutShort: true })
  }
}

const generationComplete = (step: Draft): void => {
  const turn = step.state.turn
  if (turn === null || turn.generationComplete) return
  Items.setTurn(step, { ...turn, generationComplete: true })
  if (turn.audioBytes > 0 && !turn.interrupted && !turn.muted) {
    step.events.push({ _tag: "AudioDone", itemId: turn.itemId, contentIndex: 0 })
  }
}

const turnComplete = (step: Draft): void => {
  Items.closeUserTurn(step)
  Items.closeTurn(step)
}

/** The fields of `serverContent` this module maps to events. */
const mapped = [
  "modelTurn",
  "inputTranscription",
  "outputTranscription",
  "interrupted",
  "generationComplete",
  "turnComplete"
] as const

const serverContent = (step: Draft, content: Wire.ServerContent, json: unknown): void => {
  if (content.inputTranscription?.text !== undefined && content.inputTranscription.text.length > 0) {
    Items.userTranscript(step, content.inputTranscription.text)
  }
  if (content.inputTranscription?.finished === true) Items.closeUserTurn(step)
  for (const part of content.modelTurn?.parts ?? []) {
    // thoughts are the model's reasoning, not its reply
    if (part.thought === true) continue
    if (part.inlineData?.data !== undefined && (part.inlineData.mimeType ?? "audio/pcm").startsWith("audio/")) {
      modelAudio(step, part.inlineData.data)
    } else if (part.text !== undefined && part.text.length > 0) {
      modelText(step, part.text)
    }
  }
  if (content.outputTranscription?.text !== undefined && content.outputTranscription.text.length > 0) {
    modelTranscript(step, content.outputTranscription.text)
  }
  if (content.interrupted === true) interrupted(step)
  if (content.generationComplete === true) generationComplete(step)
  if (content.turnComplete === true) turnComplete(step)
  // grounding, `waitingForInput`, and content the library has no event for
  if (!mapped.some((key) => content[key] !== undefined)) step.events.push({ _tag: "Other", data: json })
}

const functionCalls = (step: Draft, calls: ReadonlyArray<Wire.FunctionCall>): void => {
  for (const call of calls) {
    const callId = call.id ?? assignId(step, "call")
    const args = JSON.stringify(call.args ?? {})
    const previousItemId = step.state.lastItemId
    const itemId = Items.toolCall(step, callId, call.name, args)
    const pendingCalls = new Map(step.state.pendingCalls)
    pendingCalls.set(callId, { name: call.name, wireId: call.id })
    update(step, { pendingCalls })
    step.events.push({ _tag: "FunctionCall", name: call.name, callId, arguments: args, itemId, previousItemId })
  }
}

const cancelled = (step: Draft, ids: ReadonlyArray<string>): void => {
  const pendingCalls = new Map(step.state.pendingCalls)
  for (const id of ids) pendingCalls.delete(id)
  update(step, { pendingCalls })
  step.events.push({ _tag: "FunctionCallsCancelled", callIds: ids })
}

const countOf = (details: Wire.UsageMetadata["promptTokensDetails"], modality: string): number | null => {
  if (details === undefined) return null
  const found = details.filter((entry) => entry.modality === modality)
  return found.length === 0 ? null : found.reduce((sum, entry) => sum + (entry.tokenCount ?? 0), 0)
}

/** Gemini's usage metadata in the library's terms: prompt tokens are input, response tokens output. */
export const usage = (metadata: Wire.UsageMetadata): Usage => {
  const inputTokens = metadata.promptTokenCount ?? 0
  const outputTokens = metadata.responseTokenCount ?? 0
  const prompt = metadata.promptTokensDetails
  const response = metadata.responseTokensDetails
  const cache = metadata.cacheTokensDetails
  return {
    inputTokens,
    outputTokens,
    totalTokens: metadata.totalTokenCount ?? inputTokens + outputTokens,
    inputTokenDetails: prompt === undefined && metadata.cachedContentTokenCount === undefined ? null : {
      textTokens: countOf(prompt, "TEXT"),
      audioTokens: countOf(prompt, "AUDIO"),
      imageTokens: countOf(prompt, "IMAGE"),
      cachedTokens: metadata.cachedContentTokenCount ?? null,
      cachedTokenDetails: cache === undefined ? null : {
        textTokens: countOf(cache, "TEXT"),
        audioTokens: countOf(cache, "AUDIO"),
        imageTokens: countOf(cache, "IMAGE")
      }
    },
    outputTokenDetails: response === undefined ? null : {
      textTokens: countOf(response, "TEXT"),
      audioTokens: countOf(response, "AUDIO")
    }
  }
}

/** A received frame's step, with the frame as parsed (the text itself when it is not JSON), for the raw event. */
export interface Received extends Step {
  readonly json: unknown
}

/**
 * One server frame → the new state, the events, the verdicts (no frames: nothing the server sends
 * asks the client to answer at once). An unusable frame leaves the state as it was.
 */
export const receive = (state: GeminiState, text: string): Received => {
  const frame = decodeServerFrame(text)
  const step = { ...draft(state), json: frame.json }
  if (frame._tag === "Malformed") {
    step.events.push({
      _tag: "Exception",
      cause: new RealtimeProtocolError({ message: frame.message, cause: frame.cause }),
      context: "Gemini Live server message"
    })
    return step
  }
  const { json, message } = frame
  if (!frame.known) {
    step.events.push({ _tag: "Other", data: json })
    return step
  }
  if (message.setupComplete !== undefined) {
    const sessionId = message.setupComplete.sessionId ?? step.state.sessionId
    update(step, { ready: true, accepted: true, sessionId })
    step.verdicts.push({ _tag: "SetupComplete", sessionId })
  }
  if (message.serverContent !== undefined) serverContent(step, message.serverContent, json)
  if (message.toolCall?.functionCalls !== undefined) functionCalls(step, message.toolCall.functionCalls)
  if (message.toolCallCancellation !== undefined) cancelled(step, message.toolCallCancellation.ids ?? [])
  if (message.usageMetadata !== undefined) {
    step.events.push({ _tag: "UsageUpdated", usage: usage(message.usageMetadata) })
  }
  const resumption = message.sessionResumptionUpdate
  if (resumption !== undefined) {
    const newHandle = resumption.newHandle ?? ""
    update(
      step,
      resumption.resumable === true && newHandle.length > 0
        ? { handle: newHandle, resumable: true }
        : { resumable: false }
    )
    // the listeners see it too: whether (and from when) the session can be resumed
    step.events.push({ _tag: "Other", data: json })
  }
  State.boundary(state, step)
  if (message.goAway !== undefined) {
    step.verdicts.push({ _tag: "SessionEnding", timeLeftMs: durationMs(message.goAway.timeLeft) })
  }
  if (message.voiceActivity !== undefined || message.voiceActivityDetectionSignal !== undefined) {
    step.events.push({ _tag: "Other", data: json })
  }
  return step
}
