/**
 * OpenAI Live on the wire: the endpoint's URLs, the Schema of every server event field the protocol
 * reads (the `ServerEvent` union of the official `openai` package, `resources/live`), the decoder of
 * one text frame, and the client frame types, which are that package's own (`ClientEvent`,
 * `SessionConfig`, …) imported as types only: the library never loads the package.
 *
 * Every server event type of the package's union is listed in {@link serverEventTypes} (a type
 * added to the package fails to compile here); the ones whose fields the protocol reads have a
 * Schema, the rest are passed on as they arrived.
 */
import { Result, Schema } from "effect"
import type * as Live from "openai/resources/live/live"
import type * as Responses from "openai/resources/responses/responses"
import { parseJsonObject } from "../jsonFrame.js"

/** The API's base URL for WebSockets, as the `openai` package derives it from `https://api.openai.com/v1`. */
export const defaultBaseUrl = "wss://api.openai.com/v1"

/**
 * The WebSocket URL of a Live session: `<base>/live/sessions` for a new one (no query: the model
 * goes in `session.start`, not the URL), `<base>/live/sessions/<id>/fork` to continue a stored
 * session. An `http(s)` base becomes `ws(s)`; a trailing slash is dropped.
 */
export const sessionUrl = (baseUrl: string = defaultBaseUrl, forkOf: string | null = null): string => {
  const base = baseUrl.replace(/\/+$/, "").replace(/^http(s?):\/\//, "ws$1://")
  return forkOf === null ? `${base}/live/sessions` : `${base}/live/sessions/${encodeURIComponent(forkOf)}/fork`
}

/** The headers a Live WebSocket sends: the key as a bearer token (nothing else is required). */
export const authHeaders = (apiKey: string): Readonly<Record<string, string>> => ({
  Authorization: `Bearer ${apiKey}`
})

// ---------------------------------------------------------------------------------------------
// Client frames: the package's types

/** A client event as the package types it. */
export type ClientEvent = Live.ClientEvent
/** The `session.start` of a fork WebSocket: overrides of the stored session's settings. */
export type ForkStart = Live.ForkSessionStartEvent
/** A new session's configuration. */
export type SessionConfig = Live.SessionConfig
/** The sparse changes of `session.update`. */
export type SessionUpdateConfig = Live.SessionUpdateConfig
/** The Responses backend the Live model delegates tasks to. */
export type ResponsesDelegation = Live.ResponsesDelegationConfig
/** Changes to that backend. */
export type ResponsesDelegationUpdate = Live.ResponsesDelegationUpdateConfig
/** A function the backend may call. */
export type FunctionTool = Live.FunctionTool
/** The audio format of a Live WebSocket. */
export type WireAudioFormat = Live.AudioFormat
/** A message of a new session's startup history. */
export type InitialItem = Live.InitialItem
/** An input item of the Responses backend (a function call's output). */
export type ResponseInputItem = Responses.ResponseInputItem

/**
 * A frame to send: a client event the protocol built (or the `session.start` of a fork), or the
 * application's `RawMessage` passed through as it is.
 */
export type ClientFrame =
  | { readonly _tag: "Live"; readonly event: ClientEvent | ForkStart }
  | { readonly _tag: "Raw"; readonly json: Readonly<Record<string, unknown>> }

/** A client event to send. */
export const live = (event: ClientEvent | ForkStart): ClientFrame => ({ _tag: "Live", event })

/** The text of a frame, as it goes on the socket. */
export const encodeClientFrame = (frame: ClientFrame): string =>
  JSON.stringify(frame._tag === "Live" ? frame.event : frame.json)

/** The fields of `T`, where an optional one may be `undefined` (and is then left out). */
export type Fields<T> = { readonly [K in keyof T]: T[K] | ({} extends Pick<T, K> ? undefined : never) }

/** A `T` made of the fields whose value is defined: the wire leaves the others out. */
export const defined = <T extends object>(fields: Fields<T>): T => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out as T
}

// ---------------------------------------------------------------------------------------------
// Server events: the fields the protocol reads

const opt = Schema.optionalKey

const SessionResource = Schema.Struct({ id: Schema.String, expires_at: opt(Schema.Number) })

const Timed = { delta: Schema.String, start_ms: Schema.Number, end_ms: Schema.Number }

/** The server events whose fields the protocol reads, by type. */
export const readSchemas = {
  "session.started": Schema.Struct({ session: SessionResource }),
  "session.output_audio.delta": Schema.Struct({ delta: Schema.String }),
  "session.input_transcript.delta": Schema.Struct(Timed),
  "session.output_transcript.delta": Schema.Struct(Timed),
  "session.delegation.created": Schema.Struct({
    delegation: Schema.Struct({ id: Schema.String, target: Schema.String, response_id: opt(Schema.String) }),
    offset_ms: opt(Schema.Number)
  }),
  "response.event": Schema.Struct({
    event: Schema.Record(Schema.String, Schema.Unknown),
    delegation_id: opt(Schema.NullOr(Schema.String))
  }),
  "session.closed": Schema.Struct({
    reason: Schema.String,
    usage: opt(Schema.Struct({ seconds: Schema.Number }))
  }),
  "error": Schema.Struct({
    error: Schema.Struct({
      type: Schema.String,
      code: opt(Schema.NullOr(Schema.String)),
      message: Schema.String,
      param: opt(Schema.NullOr(Schema.String)),
      client_event_id: opt(Schema.String)
    })
  }),
  "transport.dtmf.received": Schema.Struct({ event: Schema.String }),
  "transport.failed": Schema.Struct({
    error: Schema.Struct({
      type: Schema.String,
      code: Schema.String,
      message: Schema.String,
      param: opt(Schema.String)
    })
  })
} as const

/** A server event type whose fields the protocol reads. */
export type ReadType = keyof typeof readSchemas

/** A read event: its type and its checked fields. */
export type ReadEvent = {
  readonly [K in ReadType]: { readonly type: K } & (typeof readSchemas)[K]["Type"]
}[ReadType]

/**
 * Every server event type of the package's `ServerEvent` union, and what the protocol does with
 * it: `read` (its fields are checked, see {@link readSchemas}) or `pass` (passed on as `Other`).
 * The `satisfies` makes a type added to (or removed from) the package's union a compile error.
 */
export const serverEventTypes = {
  "session.started": "read",
  "session.updated": "pass",
  "session.input_audio.muted": "pass",
  "session.input_audio.unmuted": "pass",
  "session.output_audio.fixture.playing": "pass",
  "session.output_audio.fixture.played": "pass",
  "session.instructions.appended": "pass",
  "session.thinking.appended": "pass",
  "session.commentary.appended": "pass",
  "session.input_audio.append": "pass",
  "session.output_audio.delta": "read",
  "session.input_transcript.delta": "read",
  "session.output_transcript.delta": "read",
  "session.delegation.created": "read",
  "decision.event": "pass",
  "decision.item.created": "pass",
  "decision.item.deleted": "pass",
  "response.event": "read",
  "session.usage.updated": "pass",
  "session.closed": "read",
  "error": "read",
  "info": "pass",
  "transport.dtmf.received": "read",
  "transport.dtmf.send": "pass",
  "transport.dtmf.sent": "pass",
  "transport.ringing": "pass",
  "transport.answered": "pass",
  "transport.failed": "read"
} as const satisfies Record<Live.ServerEvent["type"], "read" | "pass">

// the read types are exactly the ones marked `read`
type MarkedRead = { [K in keyof typeof serverEventTypes]: (typeof serverEventTypes)[K] extends "read" ? K : never }[
  keyof typeof serverEventTypes
]
const readTypesMatch: [Exclude<MarkedRead, ReadType> | Exclude<ReadType, MarkedRead>] extends [never] ? true : false =
  true
void readTypesMatch

const isReadType = (type: string): type is ReadType => Object.hasOwn(readSchemas, type)
const isServerType = (type: string): type is keyof typeof serverEventTypes => Object.hasOwn(serverEventTypes, type)

/**
 * A server frame after decoding: a Live event the protocol reads, one it passes on, an object that
 * is no Live event (no `type`, or a type the package does not know: `Unknown`), or a frame that is
 * not usable (not JSON, not an object, or a read event whose fields do not match), with why.
 */
export type ServerFrame =
  | { readonly _tag: "Read"; readonly event: ReadEvent; readonly json: Record<string, unknown> }
  | { readonly _tag: "Pass"; readonly type: string; readonly json: Record<string, unknown> }
  | { readonly _tag: "Unknown"; readonly type: string | null; readonly json: Record<string, unknown> }
  | {
    readonly _tag: "Malformed"
    readonly type: string | null
    readonly json: unknown
    readonly message: string
    readonly cause: unknown
  }

/** Parses and checks one text frame. Never throws. */
export const decodeServerFrame = (text: string): ServerFrame => {
  const parsed = parseJsonObject(text)
  if (parsed._tag === "NotObject") return { ...parsed, _tag: "Malformed", type: null }
  const json = parsed.json
  const type = typeof json.type === "string" ? json.type : null
  if (type === null || !isServerType(type)) return { _tag: "Unknown", type, json }
  if (!isReadType(type)) return { _tag: "Pass", type, json }
  const decoded = Schema.decodeUnknownResult(readSchemas[type])(json)
  if (Result.isFailure(decoded)) {
    return {
      _tag: "Malformed",
      type,
      json,
      message: `the server sent a ${type} event that does not match its schema: ${decoded.failure.message}`,
      cause: decoded.failure
    }
  }
  return { _tag: "Read", event: { ...decoded.success, type } as ReadEvent, json }
}
