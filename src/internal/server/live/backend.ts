/**
 * The Responses backend of a Live session on the embedded server (delegation `responses`): the
 * streaming events of one backend response, each wrapped in a `response.event` under its
 * delegation's id, as OpenAI Live relays them. A response either calls a function (the call waits
 * for the client's `function_call_output` and `response.create`) or answers in text, which the Live
 * model then speaks. Lifecycle snapshots are small, as Live sends them: no input, instructions,
 * tools or output; `response.completed` carries the response's token usage.
 */
import { tokens } from "../objects.js"
import type * as Wire from "./wire.js"

/** One backend response: its id, its delegation, the backend model. */
export interface BackendResponse {
  readonly id: string
  readonly delegationId: string
  readonly model: string
}

/** What the response involved, for its usage: characters of context in and of text out. */
export interface Counted {
  readonly promptChars: number
  readonly outputChars: number
}

const snapshot = (response: BackendResponse, status: "in_progress" | "completed", counted?: Counted) => {
  const usage = counted === undefined ? undefined : tokens(counted.promptChars, counted.outputChars, 0)
  return {
    id: response.id,
    object: "response",
    status,
    model: response.model,
    output: [],
    usage: usage === undefined ? null : {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.text,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.text
    }
  }
}

/** The events of a response, numbered, each as a `response.event` of its delegation. */
const relayed = (response: BackendResponse, events: ReadonlyArray<Record<string, unknown>>): Array<Wire.ServerFrame> =>
  events.map((event, index) => ({
    type: "response.event",
    delegation_id: response.delegationId,
    event: { ...event, sequence_number: index }
  }))

/** A response that calls a function: the call, as the backend model streams it. */
export const functionCall = (
  response: BackendResponse,
  call: { readonly itemId: string; readonly callId: string; readonly name: string; readonly arguments: string },
  counted: Counted
): Array<Wire.ServerFrame> => {
  const item = { type: "function_call", id: call.itemId, call_id: call.callId, name: call.name }
  return relayed(response, [
    { type: "response.created", response: snapshot(response, "in_progress") },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { ...item, arguments: "", status: "in_progress" }
    },
    {
      type: "response.function_call_arguments.done",
      output_index: 0,
      item_id: call.itemId,
      name: call.name,
      arguments: call.arguments
    },
    {
      type: "response.output_item.done",
      output_index: 0,
      item: { ...item, arguments: call.arguments, status: "completed" }
    },
    { type: "response.completed", response: snapshot(response, "completed", counted) }
  ])
}

/** A response that answers in text, streamed word by word. */
export const text = (
  response: BackendResponse,
  itemId: string,
  words: ReadonlyArray<string>,
  counted: Counted
): Array<Wire.ServerFrame> => {
  const content = { type: "output_text", text: words.join(""), annotations: [] }
  const message = { type: "message", id: itemId, role: "assistant" }
  return relayed(response, [
    { type: "response.created", response: snapshot(response, "in_progress") },
    { type: "response.output_item.added", output_index: 0, item: { ...message, status: "in_progress", content: [] } },
    ...words.map((delta) => ({
      type: "response.output_text.delta",
      output_index: 0,
      content_index: 0,
      item_id: itemId,
      delta,
      logprobs: []
    })),
    {
      type: "response.output_item.done",
      output_index: 0,
      item: { ...message, status: "completed", content: [content] }
    },
    { type: "response.completed", response: snapshot(response, "completed", counted) }
  ])
}
