/**
 * Owns OpenAI Realtime as the engine's protocol: a connection opens with the `session.update` of the
 * call's settings, the next connection is given the conversation again as items (none for a SIP
 * call, whose session kept it), and a failure is retried when the service or the network, not the
 * request, ended it.
 */
import * as Ending from "../engine/ending.js"
import type * as Engine from "../engine/protocol.js"
import { encodeClientEvent } from "../protocol/clientEvents.js"
import type { ClientEvent } from "../protocol/clientEvents.js"
import { sessionUpdate } from "../protocol/session.js"
import * as Connection from "./connection.js"
import * as History from "./history.js"

/**
 * Close codes after which a new connection may succeed: going away (the service ended the session,
 * e.g. at its time limit, or restarts), an abnormal closure, an internal error, a restart, try
 * again later, a bad gateway.
 */
const retryableCloseCodes: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014])

/** Server error codes (of the `error` event sent before a close) that a new connection cannot fix. */
const fatalServerErrors: ReadonlySet<string> = new Set([
  "invalid_api_key",
  "insufficient_quota",
  "invalid_request_error",
  "authentication_error",
  "permission_error"
])

/**
 * Retryable: a dropped or silent connection, a close by the service for its own reasons (1001
 * going away, 1011–1014), a `server_error` or the session's time limit, a handshake that timed out,
 * was refused or answered with HTTP 408, 429 or 5xx. Fatal: everything else (refused credentials,
 * a missing key, an invalid configuration, an insufficient quota, a frame over the size limit, a
 * close the server meant).
 */
export const classify = (failure: Engine.Failure): Engine.Verdict => {
  if (failure._tag === "RealtimeConnectError") {
    return Ending.dialRetryable(failure, (status) => status === 408 || status === 429 || status >= 500)
      ? "Retryable"
      : "Fatal"
  }
  const serverError = failure.serverError
  if (serverError !== undefined) {
    // the session's time limit is an invalid_request_error, and a new session is the cure
    if (serverError.code === "session_expired" || serverError.type === "server_error") return "Retryable"
    if (fatalServerErrors.has(serverError.code ?? "") || fatalServerErrors.has(serverError.type)) return "Fatal"
  }
  switch (failure.reason) {
    case "KeepaliveTimeout":
      return "Retryable"
    case "FrameTooLarge":
      return "Fatal"
    default:
      return failure.code === undefined || retryableCloseCodes.has(failure.code) ? "Retryable" : "Fatal"
  }
}

/**
 * A connection opens with the `session.update` of the call's settings as they are now; after a
 * loss or at a rollover, the conversation follows as items (their echoes and the session's hushed);
 * a SIP call's session kept its conversation, so only the settings go again.
 */
export const resume = (memory: History.History, opening: Engine.Opening): Engine.Resumption<ClientEvent> => {
  const update = sessionUpdate(memory.settings, true)
  if (opening !== "again") return { frames: [update], items: 0, ids: new Set(), lost: 0, hush: opening === "attached" }
  const replay = History.replay(memory)
  return {
    frames: [update, ...replay.frames],
    items: replay.frames.length,
    ids: replay.ids,
    lost: replay.lost,
    hush: true
  }
}

/**
 * The protocol of OpenAI Realtime, over the call's memory (`History`).
 */
export const protocol: Engine.Protocol<History.History, ClientEvent, Connection.Unanswered> = {
  name: "OpenAIRealtime",
  memory: History.make,
  connect: ({ memory, ...options }) => Connection.make({ ...options, settings: memory.settings, history: memory }),
  resume,
  classify: (_, failure) => classify(failure),
  encode: encodeClientEvent
}
