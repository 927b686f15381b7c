/**
 * How a Gemini Live connection ended, and what the engine should do about it:
 * - `retryable`: dial again, resuming with the latest handle (a dropped network, the end of a
 *   connection's lifetime, a server restart, a transient internal error);
 * - `expired`: the session cannot be resumed (its handle is unknown or expired): a new session,
 *   with the conversation as context, or the end of the call;
 * - `fatal`: dialling again would fail the same way (a bad key, an unknown model, a setup the
 *   server rejects, an exhausted quota): the call ends with the error.
 *
 * Google's close reasons are free text; the reason is read before the code, because one code
 * covers several causes (1007 is both "API key expired" and a refused resumption; 1011 both
 * "Deadline expired" at a connection's end and "quota exceeded").
 */
import type { GeminiState } from "./state.js"

/** What to do after a connection ended. */
export type Classified =
  | { readonly _tag: "Retryable"; readonly message: string }
  | { readonly _tag: "Expired"; readonly message: string }
  | { readonly _tag: "Fatal"; readonly message: string }

/** How a connection ended: the WebSocket close code and reason, when there was a close frame. */
export interface Close {
  readonly code: number | undefined
  readonly reason: string | undefined
}

const credentials =
  /api key|api_key|permission|unauthenticated|unauthori[sz]ed|access token|token (?:is )?(?:invalid|expired)/
const quota = /quota|resource[_ ]exhausted|billing|rate limit/
const resumption = /handle|resum|session (?:not found|expired|is not found)/
const configuration = /not found|not supported|invalid argument|unknown name|invalid value|cannot find field/

/** A close, in words: a drop without a close frame, or the code and reason. */
export const describe = (close: Close): string =>
  close.code === undefined ?
    "the connection dropped without a close frame" :
    close.reason === undefined || close.reason === ""
    ? `the server closed the connection (${close.code})`
    : `the server closed the connection (${close.code}: ${close.reason})`

/**
 * Classifies a connection's end. `state` says whether its setup carried a handle, whether the
 * server acknowledged it, and whether it acknowledged the same settings before: a refusal before
 * `setupComplete` of a setup that resumed with settings the server took before is an expired
 * handle; of a first setup, a setup the server rejects.
 */
export const classify = (state: GeminiState, close: Close): Classified => {
  const reason = (close.reason ?? "").toLowerCase()
  const message = describe(close)
  if (credentials.test(reason)) return { _tag: "Fatal", message: `${message}: the key or token was refused` }
  if (quota.test(reason)) return { _tag: "Fatal", message: `${message}: the quota is exhausted` }
  if (state.resuming && !state.ready && resumption.test(reason)) {
    return { _tag: "Expired", message: `${message}: the session could not be resumed` }
  }
  switch (close.code) {
    case undefined:
    case 1000: // normal: the server ended the connection (after a goAway, or its lifetime)
    case 1001: // going away
    case 1006: // abnormal: no close frame
    case 1011: // internal: "Deadline expired" at the end of a connection's lifetime, transient faults
    case 1012: // service restart
    case 1013: // try again later
    case 1014: // bad gateway
      return { _tag: "Retryable", message }
    case 1007: // invalid payload: a setup the server rejects, or a resumption it refuses
    case 1008: // policy violation: before setupComplete, the setup (model, config); after, an aborted connection
      // a resuming setup the server took before without its handle: the handle is what it refuses
      if (!state.ready && state.resuming && (state.accepted || !configuration.test(reason))) {
        return { _tag: "Expired", message: `${message}: the session could not be resumed` }
      }
      return state.ready && close.code === 1008
        ? { _tag: "Retryable", message }
        : { _tag: "Fatal", message: `${message}: the server rejected the session's setup` }
    case 1002: // protocol error
    case 1003: // unsupported data
    case 1009: // message too big
      return { _tag: "Fatal", message: `${message}: the server cannot take what the client sends` }
    default:
      return { _tag: "Retryable", message }
  }
}

/**
 * Classifies a refused WebSocket upgrade by its HTTP status: a key refused (401, 403), an endpoint
 * or model unknown (404) or a request refused (400) is fatal; the rest (429, 5xx) is retryable.
 */
export const classifyHandshake = (status: number): Classified =>
  status === 400 || status === 401 || status === 403 || status === 404
    ? { _tag: "Fatal", message: `the server refused the connection (HTTP ${status})` }
    : { _tag: "Retryable", message: `the server refused the connection for now (HTTP ${status})` }
