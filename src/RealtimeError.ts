/**
 * The typed errors of effect-realtime. Each carries a message a user can act on; none ever holds
 * the API key.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a connection attempt failed.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectFailure = Schema.Literals([
  "AlreadyConnected",
  "MissingApiKey",
  "InvalidConfig",
  "InsecureTransport",
  "Refused",
  "HostNotFound",
  "Unauthorized",
  "Timeout",
  "Handshake",
  "Closed"
])

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectFailure = typeof ConnectFailure.Type

/**
 * Opening a realtime connection failed. `reason` says which way; `status` is the HTTP status of a
 * refused WebSocket upgrade when there was one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RealtimeConnectError extends Schema.TaggedError<RealtimeConnectError>()("RealtimeConnectError", {
  reason: ConnectFailure,
  message: Schema.String,
  url: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * Why an event could not be sent.
 *
 * @since 0.1.0
 * @category models
 */
export const SendFailure = Schema.Literals(["NotConnected", "Closed", "InvalidEvent", "Transport", "Reconnecting"])

/**
 * @since 0.1.0
 * @category models
 */
export type SendFailure = typeof SendFailure.Type

/**
 * Sending an event to the model failed: there is no open connection, the connection is closed,
 * the event itself is invalid, the transport refused the write, or the model was reconnecting and
 * the connection did not come back in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class RealtimeSendError extends Schema.TaggedError<RealtimeSendError>()("RealtimeSendError", {
  reason: SendFailure,
  message: Schema.String,
  eventTag: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * A frame from the server could not be understood: it is not JSON, or it violates the schema of
 * its event type. It is reported as an `Exception` model event; the connection keeps running.
 * `cause` is what rejected the frame, when there is one: the JSON parser's `SyntaxError`, or the
 * `Schema.SchemaError` (its `issue` says which field is wrong).
 *
 * @since 0.1.0
 * @category errors
 */
export class RealtimeProtocolError extends Schema.TaggedError<RealtimeProtocolError>()("RealtimeProtocolError", {
  eventType: Schema.optional(Schema.String),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * How a live connection was lost: `"ServerClosed"` (the server sent a close frame), `"Dropped"`
 * (the socket ended without one), `"KeepaliveTimeout"` (the client found it silent: a ping left
 * unanswered) or `"FrameTooLarge"` (the client ended it: a server frame over the size limit).
 *
 * @since 0.4.0
 * @category models
 */
export const ConnectionLostReason = Schema.Literals(["ServerClosed", "Dropped", "KeepaliveTimeout", "FrameTooLarge"])

/**
 * @since 0.4.0
 * @category models
 */
export type ConnectionLostReason = typeof ConnectionLostReason.Type

/**
 * The server closed the connection on its own, the network dropped it, or the client found it dead
 * (an unanswered ping, a frame over the size limit). `reason` says which; `code` and `closeReason`
 * are the close frame's code and text when there was one. Reported as an `ErrorEvent` model event
 * before the connection status turns `disconnected` (or `reconnecting`); `cause` is the socket's
 * error that reported it.
 *
 * @since 0.1.0
 * @category errors
 */
export class RealtimeConnectionLost extends Schema.TaggedError<RealtimeConnectionLost>()("RealtimeConnectionLost", {
  reason: ConnectionLostReason,
  code: Schema.optional(Schema.Number),
  /** The close frame's text (or what the socket said of the end), when there was any. */
  closeReason: Schema.optional(Schema.String),
  message: Schema.String,
  /** The server's last `error` event before the end, if it sent one (its `type` and `code`). */
  serverError: Schema.optional(Schema.Struct({ type: Schema.String, code: Schema.optional(Schema.String) })),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * An argument was outside what the operation accepts (a negative playback duration, an interrupt
 * with contradictory options, …). Nothing was changed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgumentError extends Schema.TaggedError<InvalidArgumentError>()("InvalidArgumentError", {
  argument: Schema.String,
  message: Schema.String
}) {}
