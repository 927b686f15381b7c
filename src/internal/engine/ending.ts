/**
 * Owns how a connection ends, and the errors that say so: who ended it (the server, with a close
 * frame; the network or the socket, detected by the client) and why, with the close code and
 * reason when there are any.
 */
import type { SocketError } from "effect/socket/Socket"
import { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"

/**
 * The end of the socket: `by: "server"` when the server sent a close frame, `"transport"` when the
 * client found the socket gone (no close frame, a read error).
 *
 * @category models
 */
export interface SocketEnd {
  readonly _tag: "Closed"
  readonly by: "server" | "transport"
  readonly code: number | undefined
  readonly reason: string | undefined
  /** The socket's error that reported the end, when it did. */
  readonly cause?: SocketError
  /** What the client itself detected, when it ended the connection. */
  readonly detected?: "KeepaliveTimeout" | "FrameTooLarge"
}

/**
 * The end of a socket the client gave up on: a ping left unanswered, a frame over the size limit.
 *
 * @category constructors
 */
export const detected = (what: "KeepaliveTimeout" | "FrameTooLarge", reason: string): SocketEnd => ({
  _tag: "Closed",
  by: "transport",
  code: what === "FrameTooLarge" ? 1009 : undefined,
  reason,
  detected: what
})

/** Close code for a connection that dropped without a close frame. */
const abnormalClosure = 1006

/**
 * The socket's end as the socket reported it.
 *
 * @category constructors
 */
export const fromSocketError = (error: SocketError, detail: (cause: unknown) => string): SocketEnd => {
  const reason = error.reason
  if (reason._tag === "SocketCloseError") {
    const closeReason = reason.closeReason !== undefined && reason.closeReason.length > 0
      ? reason.closeReason
      : undefined
    return {
      _tag: "Closed",
      by: reason.code === abnormalClosure ? "transport" : "server",
      code: reason.code,
      reason: closeReason,
      cause: error
    }
  }
  return {
    _tag: "Closed",
    by: "transport",
    code: undefined,
    reason: "cause" in reason ? detail(reason.cause) : reason.message,
    cause: error
  }
}

/**
 * `(code 4001: going away)`, `(code 1000)`, `(going away)` or nothing.
 *
 * @category formatting
 */
export const details = (code: number | undefined, reason: string | undefined): string => {
  const parts = [
    ...(code !== undefined ? [`code ${code}`] : []),
    ...(reason !== undefined && reason.length > 0 ? [reason] : [])
  ]
  return parts.length === 0 ? "" : ` (${parts.join(": ")})`
}

const describe = (end: SocketEnd): string =>
  end.detected !== undefined
    ? `the client ended the connection: ${end.reason ?? end.detected}`
    : end.by === "server"
    ? `the server closed the connection${details(end.code, end.reason)}`
    : end.code !== undefined
    ? `the connection dropped without a close frame${details(end.code, end.reason)}`
    : `the client lost the connection${details(undefined, end.reason)}`

/**
 * The error reported when the socket ends under a live connection.
 *
 * @category errors
 */
export const connectionLost = (
  end: SocketEnd,
  serverError?: { readonly type: string; readonly code?: string | undefined }
): RealtimeConnectionLost =>
  new RealtimeConnectionLost({
    reason: end.detected ?? (end.by === "server" ? "ServerClosed" : "Dropped"),
    ...(end.code !== undefined ? { code: end.code } : {}),
    ...(end.reason !== undefined ? { closeReason: end.reason } : {}),
    message: describe(end),
    ...(serverError !== undefined
      ? { serverError: serverError.code !== undefined ? serverError : { type: serverError.type } }
      : {}),
    ...(end.cause !== undefined ? { cause: end.cause } : {})
  })

/**
 * A send that found no connection to go through.
 *
 * @category errors
 */
export const notConnected = (event: RealtimeModelSendEvent, closed: boolean): RealtimeSendError =>
  new RealtimeSendError({
    reason: closed ? "Closed" : "NotConnected",
    eventTag: event._tag,
    message: closed
      ? "the connection is closed; connect again to send"
      : "the model is not connected: call connect first"
  })

/**
 * A send whose frame could not be written because the socket had already ended.
 *
 * @category errors
 */
export const lostBeforeWrite = (event: RealtimeModelSendEvent, lost: RealtimeConnectionLost): RealtimeSendError =>
  new RealtimeSendError({
    reason: "Closed",
    eventTag: event._tag,
    message: `the ${event._tag} event was not sent: ${lost.message}`,
    cause: lost
  })

/**
 * A send that waited in a reconnect gap when the call ended because the reconnect failed (the
 * schedule ran out, or a re-dial was refused for good): the call is over, so `Closed`.
 *
 * @category errors
 */
export const reconnectFailed = (event: RealtimeModelSendEvent, failure: RealtimeConnectError): RealtimeSendError =>
  new RealtimeSendError({
    reason: "Closed",
    eventTag: event._tag,
    message: `the ${event._tag} event was not sent: the call ended, reconnecting failed: ${failure.message}`,
    cause: failure
  })

/**
 * A send that waited for a reconnect which did not come back in time.
 *
 * @category errors
 */
export const gapTimeout = (event: RealtimeModelSendEvent, detail: string): RealtimeSendError =>
  new RealtimeSendError({
    reason: "Reconnecting",
    eventTag: event._tag,
    message: `the ${event._tag} event was not sent: the model was reconnecting and ${detail}`
  })

/**
 * A send whose frame the socket refused.
 *
 * @category errors
 */
export const transportError = (event: RealtimeModelSendEvent, error: SocketError): RealtimeSendError =>
  new RealtimeSendError({
    reason: "Transport",
    eventTag: event._tag,
    message: `the ${event._tag} event could not be written to the socket: ${error.message}`,
    cause: error
  })

/**
 * Whether a dial that failed is worth another: a timeout, a refused or unknown host are; a
 * refused upgrade is when its status says so (`retryableStatus`; no status: it is); anything else
 * (a missing key, an invalid configuration, an insecure transport) cannot change.
 *
 * @category classifying
 */
export const dialRetryable = (failure: RealtimeConnectError, retryableStatus: (status: number) => boolean): boolean => {
  switch (failure.reason) {
    case "Timeout":
    case "Refused":
    case "HostNotFound":
      return true
    case "Handshake":
      return failure.status === undefined || retryableStatus(failure.status)
    default:
      return false
  }
}
