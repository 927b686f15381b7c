/**
 * OpenAI Live on the embedded server's side of the wire: the upgrade paths (`/v1/live/sessions`,
 * and `/v1/live/sessions/<id>/fork` for a stored session), the Schema of each client event the
 * server reads (the `ClientEvent` union of the official `openai` package, `resources/live`), the
 * decoder of one client frame, and the server frames, typed with that package's `ServerEvent`
 * (a type import: nothing of the package is loaded at run time).
 */
import { Result, Schema } from "effect"
import type * as Live from "openai/resources/live/live"
import type { AudioFormat } from "../../../AudioFormat.js"
import { parseJsonObject } from "../../jsonFrame.js"

/** The path of a new Live session's WebSocket. */
export const sessionsPath = "/v1/live/sessions"

/** Which Live endpoint a path is: a new session, the fork of a stored one (its id), or neither. */
export const endpointOf = (
  pathname: string
): { readonly _tag: "New" } | { readonly _tag: "Fork"; readonly sessionId: string } | undefined => {
  if (pathname === sessionsPath) return { _tag: "New" }
  const fork = /^\/v1\/live\/sessions\/([^/]+)\/fork$/.exec(pathname)
  return fork?.[1] === undefined ? undefined : { _tag: "Fork", sessionId: decodeURIComponent(fork[1]) }
}

const opt = Schema.optionalKey

const AudioFormatSchema = Schema.Union([
  Schema.Struct({ type: Schema.Literal("audio/pcm"), rate: Schema.Literals([16000, 24000]) }),
  Schema.Struct({ type: Schema.Literal("audio/pcmu"), rate: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("audio/pcma"), rate: Schema.Number })
])

const Open = Schema.Record(Schema.String, Schema.Unknown)

/** A Responses backend's settings: its model, and the rest as the client wrote it. */
const Responses = Schema.StructWithRest(Schema.Struct({ model: Schema.String }), [Open])

/**
 * Who takes the tasks the model delegates; `responses` is the backend's settings (all of them at
 * the start, the changed ones in an update).
 */
const delegation = <R extends Schema.Top>(responses: R) => {
  const delay = { acknowledgement_delay_ms: opt(Schema.Number) }
  return Schema.NullOr(Schema.Union([
    Schema.Struct({ type: Schema.Literal("client"), ...delay }),
    Schema.Struct({ type: Schema.Literal("responses"), responses, ...delay }),
    Schema.Struct({ type: Schema.Literal("decisions"), decisions: opt(Open), ...delay })
  ]))
}

const Delegation = delegation(Responses)
export type Delegation = typeof Delegation.Type
const DelegationUpdate = delegation(opt(Open))

/** A new session's delegation, checked in full (a Responses backend names its model); none when it is not one. */
export const decodeDelegation = (value: unknown): Delegation | undefined => {
  const decoded = Schema.decodeUnknownResult(Delegation)(value)
  return Result.isSuccess(decoded) ? decoded.success : undefined
}

const InitialItem = Schema.Struct({
  type: Schema.Literal("message"),
  role: Schema.Literals(["developer", "user", "assistant"]),
  content: Schema.Array(Schema.Struct({ type: Schema.String, text: Schema.String }))
})

/** What `session.start` configures (a new session's `SessionConfig`, or a fork's overrides). */
export const StartConfig = Schema.Struct({
  model: opt(Schema.String),
  instructions: opt(Schema.NullOr(Schema.String)),
  audio: opt(Schema.Struct({
    format: opt(AudioFormatSchema),
    output: opt(Schema.Struct({ voice: opt(Schema.Union([Schema.String, Schema.Struct({ id: Schema.String })])) }))
  })),
  delegation: opt(DelegationUpdate),
  input: opt(Schema.Array(InitialItem)),
  store: opt(Schema.Boolean),
  safety_identifier: opt(Schema.NullOr(Schema.String)),
  triggers: opt(Schema.Array(Schema.Unknown)),
  client: opt(Schema.Unknown)
})
export type StartConfig = typeof StartConfig.Type

const event = <Type extends Live.ClientEvent["type"], Fields extends Schema.Struct.Fields>(
  type: Type,
  fields: Fields
) => Schema.Struct({ type: Schema.Literal(type), event_id: opt(Schema.NullOr(Schema.String)), ...fields })

const append = <Type extends Live.ClientEvent["type"]>(type: Type) =>
  event(type, { content: Schema.String, delegation_id: Schema.NullOr(Schema.String) })

/** The Schema of each client event type of the package's union. */
const clientSchemas = {
  "session.start": event("session.start", { session: StartConfig }),
  "session.update": event("session.update", {
    session: Schema.Struct({ delegation: opt(DelegationUpdate), triggers: opt(Schema.Array(Schema.Unknown)) })
  }),
  "session.input_audio.append": event("session.input_audio.append", { audio: Schema.String }),
  "session.input_audio.mute": event("session.input_audio.mute", {}),
  "session.input_audio.unmute": event("session.input_audio.unmute", {}),
  "session.output_audio.fixture.play": event("session.output_audio.fixture.play", { audio: Schema.String }),
  "session.instructions.append": append("session.instructions.append"),
  "session.thinking.append": append("session.thinking.append"),
  "session.commentary.append": append("session.commentary.append"),
  // Decisions are not available here: their events are read only to be refused by name
  "decision.create": event("decision.create", {}),
  "decision.item.create": event("decision.item.create", {}),
  "decision.item.delete": event("decision.item.delete", {}),
  "response.item.create": event("response.item.create", {
    item: Schema.Struct({
      type: Schema.String,
      call_id: opt(Schema.String),
      output: opt(Schema.Unknown)
    })
  }),
  "response.create": event("response.create", {}),
  "session.close": event("session.close", {})
} as const satisfies Record<Live.ClientEvent["type"], Schema.Top>

/** A client event, as the server read it. */
export type ClientEvent = { readonly [K in keyof typeof clientSchemas]: (typeof clientSchemas)[K]["Type"] }[
  keyof typeof clientSchemas
]

const isClientType = (type: string): type is keyof typeof clientSchemas => Object.hasOwn(clientSchemas, type)

/** A client frame, read: an event, or the `error` it is answered with (the session goes on). */
export type ClientFrame =
  | { readonly _tag: "Event"; readonly event: ClientEvent }
  | {
    readonly _tag: "Invalid"
    readonly code: string
    readonly message: string
    readonly eventId: string | undefined
  }

/** Reads one client frame. Never throws. */
export const decodeClientFrame = (text: string): ClientFrame => {
  const parsed = parseJsonObject(text)
  if (parsed._tag === "NotObject") {
    return {
      _tag: "Invalid",
      code: "invalid_json",
      message: "The client event is not a JSON object.",
      eventId: undefined
    }
  }
  const json = parsed.json
  const eventId = typeof json["event_id"] === "string" ? json["event_id"] : undefined
  const type = json["type"]
  if (typeof type !== "string") {
    return {
      _tag: "Invalid",
      code: "missing_required_parameter",
      message: "Missing required parameter: 'type'.",
      eventId
    }
  }
  if (!isClientType(type)) {
    return {
      _tag: "Invalid",
      code: "invalid_value",
      message: `Invalid value: '${type}'. Unknown Live client event type.`,
      eventId
    }
  }
  const decoded = Schema.decodeUnknownResult(clientSchemas[type])(json)
  return Result.isSuccess(decoded)
    ? { _tag: "Event", event: decoded.success as ClientEvent }
    : {
      _tag: "Invalid",
      code: "invalid_value",
      message: `Invalid '${type}' event: ${decoded.failure.message}`,
      eventId
    }
}

/** A union member without one key (the union kept apart). */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** A frame the server sends: the package's `ServerEvent`, its `event_id` added when it is encoded. */
export type ServerFrame = Without<Live.ServerEvent, "event_id">

/** The resolved session, as `session.started`, `session.updated` and `session.closed` report it. */
export type SessionResource = Live.SessionResource

/** The audio format a session's `audio.format` names (24 kHz PCM16 by default). */
export const formatOf = (format: { readonly type: string } | undefined): AudioFormat => {
  const type = format?.type
  return type === "audio/pcmu" ? "g711_ulaw" : type === "audio/pcma" ? "g711_alaw" : "pcm16"
}
