/**
 * The SIP calls of the embedded server and the Realtime Calls REST operations on them: a test
 * rings a call, the application accepts it (with a session configuration), rejects, refers or
 * hangs it up over HTTP, and a WebSocket attached by `call_id` serves the accepted session.
 * Answers follow the API's shapes: 2xx with an empty body, else an `{ error }` body.
 */
import { Effect, Option, Ref, Schema } from "effect"
import type { Redacted, Scope } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Session } from "../protocol/wire.js"
import { apiError, body, unauthorized } from "./api.js"
import { dtmfDigits } from "./newer.js"
import type { Json } from "./objects.js"

/**
 * Where a call stands: `ringing` until accepted or rejected; an accepted call is active until it
 * is referred elsewhere or hung up.
 */
export type CallStatus = "ringing" | "accepted" | "rejected" | "referred" | "ended"

/** What the server knows of a call. */
export interface CallInfo {
  readonly callId: string
  readonly status: CallStatus
  /** The session configuration the call was accepted with, as sent. */
  readonly session?: Json
  /** The SIP status a rejected call was declined with. */
  readonly rejectStatusCode?: number
  /** Where a referred call was transferred. */
  readonly referredTo?: string
}

/** A WebSocket connection attached to a call. */
export interface Attachment {
  /** Sends the DTMF digits as if the caller had pressed them. */
  readonly dtmf: (digits: string) => Effect.Effect<void>
  /** Ends the connection, as the service does when the call ends. */
  readonly close: Effect.Effect<void>
}

interface Entry {
  readonly info: CallInfo
  readonly attached: ReadonlyArray<Attachment>
}

/** The SIP status a reject sends when none is given (603 Decline). */
export const defaultRejectStatus = 603

const AcceptBody = Schema.Struct({ ...Session.fields, type: Schema.Literal("realtime") })
const RejectBody = Schema.Struct({
  status_code: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 300, maximum: 699 })))
})
const ReferBody = Schema.Struct({
  target_uri: Schema.String.check(Schema.isPattern(/^(tel:\+?[0-9]+|sips?:[^@\s]+@[^\s]+)$/))
})

/** The registry of calls, and the HTTP application answering the Calls operations. */
export interface Calls {
  /** Registers an incoming call (ringing). */
  readonly ring: (callId: string) => Effect.Effect<void>
  readonly info: (callId: string) => Effect.Effect<Option.Option<CallInfo>>
  /** Attaches a connection to a call for the scope's lifetime. */
  readonly attach: (callId: string, attachment: Attachment) => Effect.Effect<void, never, Scope.Scope>
  readonly attachments: (callId: string) => Effect.Effect<ReadonlyArray<Attachment>>
  /**
   * Sends DTMF digits on every connection attached to the call; fails with why not when the
   * digits are not keypad keys or no connection is attached.
   */
  readonly sendDtmf: (callId: string, digits: string) => Effect.Effect<void, string>
  /** Answers one HTTP request: a Calls operation, else 426 (the WebSocket endpoint). */
  readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
}

const operationPath = /^\/v1\/realtime\/calls\/([^/]+)\/([^/]+)$/

/** The registry of one server; `key`, when set, must come as a Bearer token. */
export const make = (key: Redacted.Redacted<string> | undefined): Effect.Effect<Calls> =>
  Effect.gen(function*() {
    const calls = yield* Ref.make(new Map<string, Entry>())

    const modify = (callId: string, f: (entry: Entry) => Entry) =>
      Ref.update(calls, (map) => {
        const entry = map.get(callId)
        return entry === undefined ? map : new Map(map).set(callId, f(entry))
      })

    /**
     * Moves a call from one of `from` to the state `next` gives; answers 400 when the call is
     * elsewhere. Connections attached to a call that ends are closed.
     */
    const transition = (
      callId: string,
      operation: string,
      from: ReadonlyArray<CallStatus>,
      next: (info: CallInfo) => CallInfo
    ) =>
      Effect.gen(function*() {
        const outcome = yield* Ref.modify(calls, (map): [Entry | string, Map<string, Entry>] => {
          const entry = map.get(callId)
          if (entry === undefined) return ["missing", map]
          if (!from.includes(entry.info.status)) return [entry.info.status, map]
          const updated = { ...entry, info: next(entry.info) }
          return [updated, new Map(map).set(callId, updated)]
        })
        if (outcome === "missing") return apiError(404, `Call ${callId} not found.`, "call_not_found", "call_id")
        if (typeof outcome === "string") {
          return apiError(
            400,
            `Cannot ${operation} call ${callId}: the call is ${outcome}.`,
            "invalid_call_state",
            "call_id"
          )
        }
        const ended = outcome.info.status === "referred" || outcome.info.status === "ended"
        if (ended) yield* Effect.forEach(outcome.attached, (attachment) => attachment.close, { discard: true })
        yield* Effect.logDebug(`call ${operation}`).pipe(Effect.annotateLogs({ callId, status: outcome.info.status }))
        return HttpServerResponse.empty({ status: 200 })
      })

    const operation = (callId: string, name: string, request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        switch (name) {
          case "accept": {
            const { raw } = yield* body(request, AcceptBody)
            return yield* transition(
              callId,
              name,
              ["ringing"],
              (info) => ({ ...info, status: "accepted", session: raw })
            )
          }
          case "reject": {
            const { decoded } = yield* body(request, RejectBody)
            return yield* transition(callId, name, ["ringing"], (info) => ({
              ...info,
              status: "rejected",
              rejectStatusCode: decoded.status_code ?? defaultRejectStatus
            }))
          }
          case "refer": {
            const { decoded } = yield* body(request, ReferBody)
            return yield* transition(callId, name, ["accepted"], (info) => ({
              ...info,
              status: "referred",
              referredTo: decoded.target_uri
            }))
          }
          default:
            return yield* transition(callId, name, ["accepted"], (info) => ({ ...info, status: "ended" }))
        }
      }).pipe(Effect.catch(Effect.succeed))

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = new URL(request.url, "http://127.0.0.1").pathname
      const match = operationPath.exec(path)
      if (!path.startsWith("/v1/realtime/calls")) {
        return HttpServerResponse.text("this is a WebSocket endpoint", { status: 426 })
      }
      const refused = unauthorized(request, key)
      if (Option.isSome(refused)) return refused.value
      const encodedId = match?.[1] ?? ""
      const name = match?.[2] ?? ""
      if (match === null || request.method !== "POST" || !["accept", "reject", "refer", "hangup"].includes(name)) {
        return apiError(404, `Invalid URL (${request.method} ${path})`, null)
      }
      const callId = decodeURIComponent(encodedId)
      const known = (yield* Ref.get(calls)).has(callId)
      if (!known) return apiError(404, `Call ${callId} not found.`, "call_not_found", "call_id")
      return yield* operation(callId, name, request)
    }).pipe(Effect.withSpan("RealtimeServer.calls"))

    const attachments = (callId: string) => Effect.map(Ref.get(calls), (map) => map.get(callId)?.attached ?? [])
    const registry: Calls = {
      ring: (callId) =>
        Ref.update(calls, (map) => new Map(map).set(callId, { info: { callId, status: "ringing" }, attached: [] })),
      info: (callId) =>
        Effect.map(Ref.get(calls), (map) => Option.map(Option.fromUndefinedOr(map.get(callId)), (entry) => entry.info)),
      attach: (callId, attachment) =>
        Effect.acquireRelease(
          modify(callId, (entry) => ({ ...entry, attached: [...entry.attached, attachment] })),
          () =>
            modify(callId, (entry) => ({ ...entry, attached: entry.attached.filter((other) => other !== attachment) }))
        ),
      attachments,
      sendDtmf: (callId, digits) =>
        Effect.gen(function*() {
          if (!dtmfDigits.test(digits)) {
            return yield* Effect.fail(`${JSON.stringify(digits)} are not DTMF digits (0-9, *, #, A-D)`)
          }
          const attached = yield* attachments(callId)
          if (attached.length === 0) return yield* Effect.fail(`no connection is attached to call ${callId}`)
          yield* Effect.forEach(attached, (attachment) => attachment.dtmf(digits), { discard: true })
        }),
      app
    }
    return registry
  })
