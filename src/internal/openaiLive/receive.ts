/**
 * Server events → the new state, events for the listeners and verdicts for the engine. Every type
 * of the Live `ServerEvent` union has its row in `SETTINGS.md`. A frame that is not JSON, not an
 * object with a string `type`, or an event the protocol reads whose fields do not match, is an
 * `Exception` event and changes nothing; an event of a type the package does not know, and every
 * event the protocol has no event for, is passed on as `Other` with the message as it arrived.
 *
 * Delegation: a task the Live model delegates to the application (`session.delegation.created`,
 * target `client`) is a `FunctionCall` named {@link clientDelegationName}, whose call id is the
 * delegation's id; a function the Responses backend calls (a `function_call` item in a
 * `response.event`) is a `FunctionCall` with the function's name and arguments. Both wait for the
 * application's `ToolOutput` (see `send.ts`).
 */
import { Schema } from "effect"
import { RealtimeProtocolError } from "../../RealtimeError.js"
import type { Usage } from "../../RealtimeModelEvent.js"
import * as Base64 from "../realtime/base64.js"
import type { Draft, LiveState, PendingCall, Step } from "./state.js"
import * as State from "./state.js"
import { draft, update } from "./state.js"
import * as Turns from "./turns.js"
import type { ReadEvent } from "./wire.js"
import { decodeServerFrame } from "./wire.js"

/** The name of the `FunctionCall` a client delegation becomes. */
export const clientDelegationName = "live_delegation"

type Of<Type extends ReadEvent["type"]> = Extract<ReadEvent, { readonly type: Type }>

const exception = (step: Draft, message: string, cause: unknown, eventType?: string): void => {
  step.events.push({
    _tag: "Exception",
    cause: new RealtimeProtocolError({ message, cause, ...(eventType === undefined ? {} : { eventType }) }),
    context: "OpenAI Live server event"
  })
}

const addPending = (step: Draft, callId: string, call: PendingCall): void => {
  const pendingCalls = new Map(step.state.pendingCalls)
  pendingCalls.set(callId, call)
  update(step, { pendingCalls })
}

/**
 * A call for the application: its item and `FunctionCall`, waiting for its output. A call already
 * waiting, or answered, is not asked again (the backend's snapshots can announce a call twice).
 */
const functionCall = (step: Draft, callId: string, name: string, args: string, pending: PendingCall): void => {
  if (step.state.pendingCalls.has(callId) || step.state.answeredCalls.includes(callId)) return
  const previousItemId = step.state.lastItemId
  const itemId = Turns.toolCall(step, callId, name, args)
  addPending(step, callId, pending)
  step.events.push({ _tag: "FunctionCall", name, callId, arguments: args, itemId, previousItemId })
}

/** The words the delegation most likely serves: the user's words being transcribed, else their last line. */
const lastUserWords = (state: LiveState): string => {
  if (state.input !== null) return state.input.transcript
  for (let index = state.history.length - 1; index >= 0; index--) {
    const line = state.history[index]
    if (line?.role === "user") return line.text
  }
  return ""
}

const delegationCreated = (step: Draft, event: Of<"session.delegation.created">, json: unknown): void => {
  const { delegation } = event
  if (delegation.target !== "client") {
    // the backend's work arrives as `response.event` / `decision.event`
    step.events.push({ _tag: "Other", data: json })
    return
  }
  const args = JSON.stringify({ transcript: lastUserWords(step.state), offsetMs: event.offset_ms ?? null })
  functionCall(step, delegation.id, clientDelegationName, args, { _tag: "Client", delegationId: delegation.id })
}

const BackendFunctionCall = Schema.Struct({
  type: Schema.Literal("response.output_item.done"),
  item: Schema.Struct({
    type: Schema.Literal("function_call"),
    call_id: Schema.String,
    name: Schema.String,
    arguments: Schema.String
  })
})

const ResponsesUsage = Schema.Struct({
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  total_tokens: Schema.Number,
  input_tokens_details: Schema.optionalKey(Schema.Struct({ cached_tokens: Schema.optionalKey(Schema.Number) })),
  output_tokens_details: Schema.optionalKey(Schema.Struct({ reasoning_tokens: Schema.optionalKey(Schema.Number) }))
})

const ResponseCompleted = Schema.Struct({
  type: Schema.Literals(["response.completed", "response.incomplete", "response.failed"]),
  response: Schema.Struct({ usage: Schema.optionalKey(Schema.NullOr(ResponsesUsage)) })
})

const isFunctionCall = Schema.is(BackendFunctionCall)
const isCompleted = Schema.is(ResponseCompleted)

/** The backend's token usage in the library's terms (its text tokens; no audio on the backend). */
export const backendUsage = (usage: typeof ResponsesUsage.Type): Usage => ({
  inputTokens: usage.input_tokens,
  outputTokens: usage.output_tokens,
  totalTokens: usage.total_tokens,
  inputTokenDetails: usage.input_tokens_details === undefined ? null : {
    textTokens: null,
    audioTokens: null,
    imageTokens: null,
    cachedTokens: usage.input_tokens_details.cached_tokens ?? null,
    cachedTokenDetails: null
  },
  outputTokenDetails: null
})

const responseEvent = (step: Draft, event: Of<"response.event">, json: unknown): void => {
  const nested = event.event
  if (isFunctionCall(nested)) {
    const { item } = nested
    functionCall(step, item.call_id, item.name, item.arguments, {
      _tag: "Backend",
      name: item.name,
      delegationId: event.delegation_id ?? null
    })
    return
  }
  if (isCompleted(nested) && nested.response.usage != null) {
    step.events.push({ _tag: "UsageUpdated", usage: backendUsage(nested.response.usage) })
  }
  // every backend event, usage included, is passed on as it arrived
  step.events.push({ _tag: "Other", data: json })
}

const read = (step: Draft, event: ReadEvent, json: unknown, arrivedAtMs: number | undefined): void => {
  switch (event.type) {
    case "session.started":
      update(step, { ready: true, sessionId: event.session.id, expiresAt: event.session.expires_at ?? null })
      step.verdicts.push({
        _tag: "SessionStarted",
        sessionId: event.session.id,
        expiresAt: event.session.expires_at ?? null
      })
      // the listeners see it too: the session's id and when it expires
      step.events.push({ _tag: "Other", data: json })
      return
    case "session.output_audio.delta":
      return Turns.modelAudio(step, Base64.decode(event.delta))
    case "session.output_transcript.delta":
      return Turns.modelTranscript(step, event.delta, event.start_ms, event.end_ms)
    case "session.input_transcript.delta":
      return Turns.userTranscript(step, event.delta, event.start_ms, event.end_ms)
    case "session.delegation.created":
      return delegationCreated(step, event, json)
    case "response.event":
      return responseEvent(step, event, json)
    case "session.closed":
      update(step, { closedReason: event.reason })
      step.verdicts.push({ _tag: "SessionClosed", reason: event.reason })
      step.events.push({ _tag: "Other", data: json })
      return
    case "error": {
      const { error } = event
      step.events.push({
        _tag: "ErrorEvent",
        error: {
          type: error.type,
          code: error.code ?? null,
          message: error.message,
          param: error.param ?? null,
          event_id: error.client_event_id ?? null
        }
      })
      if (!step.state.ready) step.verdicts.push({ _tag: "StartRefused", message: error.message })
      return
    }
    case "transport.dtmf.received":
      step.events.push(
        arrivedAtMs === undefined
          ? { _tag: "Other", data: json }
          : { _tag: "DtmfReceived", digit: event.event, receivedAt: arrivedAtMs / 1000 }
      )
      return
    case "transport.failed":
      step.events.push({
        _tag: "ErrorEvent",
        error: {
          type: event.error.type,
          code: event.error.code,
          message: event.error.message,
          param: event.error.param ?? null
        }
      })
      return
  }
}

/** A received frame's step, with the frame as parsed (the text itself when it is not JSON), for the raw event. */
export interface Received extends Step {
  readonly json: unknown
}

/**
 * One server frame → the new state, the events, the verdicts (no frames: nothing the server sends
 * asks the client to answer at once). `arrivedAtMs` is when the frame arrived (the engine's clock,
 * Unix milliseconds), for the events that carry a time (DTMF); without it they pass as `Other`.
 */
export const receive = (state: LiveState, text: string, arrivedAtMs?: number): Received => {
  const frame = decodeServerFrame(text)
  const step = { ...draft(state), json: frame.json }
  switch (frame._tag) {
    case "Malformed":
      exception(step, frame.message, frame.cause, frame.type ?? undefined)
      return step
    case "Unknown":
      if (frame.type === null) {
        exception(step, "the server sent a JSON object without a string type: not a Live event", undefined)
      } else {
        step.events.push({ _tag: "Other", data: frame.json })
      }
      return step
    case "Pass":
      step.events.push({ _tag: "Other", data: frame.json })
      return step
    case "Read":
      read(step, frame.event, frame.json, arrivedAtMs)
      State.boundary(state, step)
      return step
  }
}
