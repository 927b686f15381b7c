/**
 * A Live session's start on the embedded server: what `session.start` resolves to (the session
 * resource `session.started` reports, the conversation and instructions the model starts with), or
 * why it is refused. A new session names a Live model and may give its startup history (`input`);
 * a fork continues a stored session (its configuration, conversation and instructions), and may
 * override only its audio format, whether it is stored, and a Responses backend's settings.
 */
import { formatToWire } from "../../openaiLive/session.js"
import { defined } from "../../openaiLive/wire.js"
import { Conversation, entry } from "../conversation.js"
import type { Refusal } from "./model.js"
import type { Stored } from "./registry.js"
import * as Wire from "./wire.js"

/** Whether a model is a Live model this server runs (`gpt-live-1` and its kin). */
export const isLiveModel = (model: string): boolean => /^gpt-live(-|$)/.test(model)

/** A start, resolved: the session, and what its model starts with; or refused. */
export type Planned =
  | {
    readonly _tag: "Started"
    readonly resource: Wire.SessionResource
    readonly conversation: Conversation
    readonly instructions: string
  }
  | { readonly _tag: "Refused"; readonly refusal: Refusal }

/** What the server names a session: its id and when it expires. */
type Named = Pick<Wire.SessionResource, "id" | "expires_at">

const refused = (code: string, param: string, message: string): Planned => ({
  _tag: "Refused",
  refusal: { code, param, message }
})

/** A new session's start: its configuration, with its startup history in the conversation. */
const configure = (
  given: Wire.StartConfig,
  delegation: Exclude<Wire.SessionResource["delegation"], null | undefined>,
  resource: Named & Pick<Wire.SessionResource, "model">
): Planned => {
  const conversation = new Conversation()
  let instructions = ""
  for (const [index, item] of (given.input ?? []).entries()) {
    const text = item.content.map((part) => part.text).join("")
    if (item.role === "developer") {
      instructions += `${text}\n`
    } else {
      const type = item.role === "user" ? "input_text" : "output_text"
      const id = `${resource.id}_input_${index}`
      const said = item.role === "assistant" ? text : ""
      conversation.insert(
        entry({ id, type: "message", role: item.role, status: "completed", content: [{ type, text }] }, said),
        null
      )
    }
  }
  const session = defined<Wire.SessionResource>({
    ...resource,
    status: "active",
    audio: {
      format: formatToWire(Wire.formatOf(given.audio?.format)),
      output: { voice: given.audio?.output?.voice ?? "marin" }
    },
    delegation,
    instructions: given.instructions ?? undefined,
    store: given.store ?? false,
    safety_identifier: given.safety_identifier ?? undefined
  })
  return { _tag: "Started", resource: session, conversation, instructions }
}

/** A new session's start, or why it is refused: no model, not a Live model, a format or delegation it cannot take. */
const startNew = (given: Wire.StartConfig, named: Named): Planned => {
  if (given.model === undefined) {
    return refused("missing_required_parameter", "session.model", "Missing required parameter: 'session.model'.")
  }
  if (!isLiveModel(given.model)) {
    return refused(
      "model_not_found",
      "session.model",
      `The model '${given.model}' does not exist or is not a Live model.`
    )
  }
  const format = given.audio?.format
  if (format !== undefined && format.rate !== (format.type === "audio/pcm" ? 24000 : 8000)) {
    return refused("invalid_value", "session.audio.format.rate", "This server speaks 24 kHz PCM and 8 kHz G.711.")
  }
  const delegation = given.delegation === undefined
    ? { type: "client" as const }
    : Wire.decodeDelegation(given.delegation)
  if (delegation === undefined || delegation === null || delegation.type === "decisions") {
    return refused(
      "invalid_value",
      "session.delegation",
      "Delegation is to the client, or to a Responses model named in delegation.responses.model."
    )
  }
  return configure(given, delegation, { ...named, model: given.model })
}

/** A fork's start: the stored session's configuration with the overrides given, its conversation and instructions. */
const startFork = (stored: Stored, given: Wire.StartConfig, named: Named): Planned => {
  if (given.model !== undefined) {
    return refused("invalid_value", "session.model", "A fork keeps the stored session's model; do not supply one.")
  }
  const base = stored.resource
  const delegation = base.delegation
  const override = given.delegation
  if (override !== undefined && (override?.type !== "responses" || delegation?.type !== "responses")) {
    return refused("invalid_value", "session.delegation", "A fork may only override a stored Responses delegation.")
  }
  const resource: Wire.SessionResource = {
    ...base,
    ...named,
    audio: { ...base.audio, format: given.audio?.format ?? base.audio?.format ?? formatToWire("pcm16") },
    store: given.store ?? base.store ?? false,
    ...(override?.type === "responses" && delegation?.type === "responses"
      ? { delegation: { ...delegation, responses: { ...delegation.responses, ...override.responses } } }
      : {})
  }
  return {
    _tag: "Started",
    resource,
    conversation: new Conversation(stored.entries),
    instructions: stored.instructions
  }
}

/** Resolves a `session.start`: a new session's, or, with `fork`, the continuation of that stored session. */
export const plan = (given: Wire.StartConfig, named: Named, fork: Stored | undefined): Planned =>
  fork === undefined ? startNew(given, named) : startFork(fork, given, named)
