/**
 * How an OpenAI Live connection ended, and what the engine should do about it:
 * - `Ended`: the session was closed on purpose (`session.closed` with `close_requested`: the
 *   application's `session.close` or a hangup request; `remote_hangup`: the SIP caller hung up):
 *   the call ends, without an error;
 * - `Retryable`: dial again (a dropped network, `connection_lost`, a server restart): the next
 *   connection forks the stored session, or starts a new one with the conversation as history;
 * - `Expired`: the session cannot be continued (`expired`: its duration limit; a stored session
 *   that cannot be forked): a new session, with the conversation as its startup history;
 * - `Fatal`: dialling again would end the same way (`content`: a safety filter ended the session;
 *   a refused key; a start the server rejects): the call ends with the error.
 *
 * Live says why a session ended in its last event, `session.closed`; a connection that ends
 * without it is read from the WebSocket close code and reason.
 */
import type { RealtimeConnectError, RealtimeConnectionLost } from "../../RealtimeError.js"
import { describe } from "../gemini/close.js"
import type { Close } from "../gemini/close.js"
import type { LiveState } from "./state.js"

export type { Close }

/** What to do after a connection ended. */
export type Classified =
  | { readonly _tag: "Ended"; readonly message: string }
  | { readonly _tag: "Retryable"; readonly message: string }
  | { readonly _tag: "Expired"; readonly message: string }
  | { readonly _tag: "Fatal"; readonly message: string }

const credentials = /api key|api_key|unauthori[sz]ed|invalid_api_key|permission|authentication/

/** What a `session.closed` reason means for the call. */
export const classifyReason = (reason: string): Classified => {
  switch (reason) {
    case "close_requested":
      return { _tag: "Ended", message: "the session was closed on request" }
    case "remote_hangup":
      return { _tag: "Ended", message: "the remote party hung up" }
    case "expired":
      return { _tag: "Expired", message: "the session reached its duration limit" }
    case "content":
      return { _tag: "Fatal", message: "the session was ended by a safety filter" }
    case "connection_lost":
      return { _tag: "Retryable", message: "the session lost its connection" }
    default:
      return { _tag: "Retryable", message: `the session closed (${reason})` }
  }
}

/**
 * Classifies a connection's end. The reason of the connection's `session.closed` decides when it
 * came; otherwise the close: 1007 and 1008 are fatal (the server rejects the start or ends the
 * session on purpose), except before a fork's start (the stored session cannot be continued:
 * expired); a drop, a restart or a going-away is retryable.
 */
export const classify = (state: LiveState, close: Close): Classified => {
  if (state.closedReason !== null) return classifyReason(state.closedReason)
  const reason = (close.reason ?? "").toLowerCase()
  const message = describe(close)
  if (credentials.test(reason)) return { _tag: "Fatal", message: `${message}: the key was refused` }
  switch (close.code) {
    case undefined:
    case 1000:
    case 1001:
    case 1006:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
      return { _tag: "Retryable", message }
    case 1002:
    case 1003:
    case 1009:
      return { _tag: "Fatal", message: `${message}: the server cannot take what the client sends` }
    case 1007: // invalid payload
    case 1008: // policy violation: the server means it, before the start or after
      if (!state.ready && state.forking) {
        return { _tag: "Expired", message: `${message}: the stored session could not be forked` }
      }
      return {
        _tag: "Fatal",
        message: state.ready
          ? `${message}: the server ended the session`
          : `${message}: the server rejected the session's start`
      }
    default:
      return { _tag: "Retryable", message }
  }
}

/**
 * Classifies a refused WebSocket upgrade by its HTTP status: a key refused (401, 403) or a request
 * refused (400) is fatal; 404 is fatal for a new session (no such endpoint) and expired for a fork
 * (no such stored session); the rest (429, 5xx) is retryable.
 */
export const classifyHandshake = (state: LiveState, status: number): Classified => {
  if (status === 404 && state.forking) {
    return { _tag: "Expired", message: "the stored session to fork was not found (HTTP 404)" }
  }
  return status === 400 || status === 401 || status === 403 || status === 404
    ? { _tag: "Fatal", message: `the server refused the connection (HTTP ${status})` }
    : { _tag: "Retryable", message: `the server refused the connection for now (HTTP ${status})` }
}

/**
 * Classifies the engine's failure of a connection: a connection that was lost by its close (the
 * reason of its `session.closed` first, see {@link classify}); a keepalive timeout is retryable,
 * a frame too large fatal; a dial that failed by the handshake's status (see
 * {@link classifyHandshake}), by a timeout, a refused or unknown host (retryable), or by what a
 * new dial cannot change (a missing key, an invalid configuration, an insecure transport: fatal).
 */
export const classifyFailure = (
  state: LiveState,
  failure: RealtimeConnectionLost | RealtimeConnectError
): Classified => {
  if (failure._tag === "RealtimeConnectionLost") {
    if (state.closedReason !== null) return classifyReason(state.closedReason)
    switch (failure.reason) {
      case "KeepaliveTimeout":
        return { _tag: "Retryable", message: failure.message }
      case "FrameTooLarge":
        return { _tag: "Fatal", message: failure.message }
      default:
        return classify(state, { code: failure.code, reason: failure.closeReason })
    }
  }
  switch (failure.reason) {
    case "Timeout":
    case "Refused":
    case "HostNotFound":
      return { _tag: "Retryable", message: failure.message }
    case "Handshake":
    case "Unauthorized":
      return failure.status === undefined
        ? { _tag: failure.reason === "Handshake" ? "Retryable" : "Fatal", message: failure.message }
        : classifyHandshake(state, failure.status)
    default:
      return { _tag: "Fatal", message: failure.message }
  }
}
