/**
 * The response sequencer: never two `response.create` in flight, and no request left waiting
 * forever whatever the server said or failed to say.
 *
 * A request is sent when nothing is in flight and held otherwise (the latest request replaces
 * a held one). What ends a response in flight, and so sends the held request:
 * - its `response.done`;
 * - for our own `response.create`: any server error naming its event id;
 * - `conversation_already_has_active_response` for our create: the server has a response we never
 *   saw created (attaching to a call mid-response, a missed `response.created`); the refused
 *   request is held and goes out at the next `response.done`, whatever response it names;
 * - a `response.created` of another response while one is active: the active one's
 *   `response.done` was missed, so it counts as done;
 * - staleness: when a request is held and the response in flight showed no sign of life for
 *   `staleAfterMs` (its `response.done`, or our create's answer, was lost), the held request is
 *   sent anyway as a probe. A server still busy refuses it with
 *   `conversation_already_has_active_response`, which leads back to waiting for a `response.done`,
 *   so a probe never puts a second response in flight.
 *
 * Pure bookkeeping: only the connection's owner calls these functions; they return the frames to
 * send and never run an effect.
 *
 * @since 0.1.0
 */

/**
 * Where the sequence is.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase =
  /** No response in flight. */
  | { readonly _tag: "Idle" }
  /** Our `response.create` awaits its `response.created` (or an error). */
  | { readonly _tag: "Requested"; readonly eventId: string; readonly response: Body | undefined }
  /** The server has started this response. */
  | { readonly _tag: "Active"; readonly responseId: string }
  /** The server has a response we never saw created; its `response.done` ends it. */
  | { readonly _tag: "Unseen" }

/**
 * The `response` body of a `response.create`.
 *
 * @since 0.1.0
 * @category models
 */
export type Body = Record<string, unknown>

/**
 * The sequencer's state.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sequencer {
  phase: Phase
  /** A request waiting for the response in flight to end. */
  held: { readonly response: Body | undefined } | null
  /** When the response in flight last showed a sign of life (ms, `Clock`). */
  lastSeenMs: number
  readonly staleAfterMs: number
  counter: number
}

const idle: Phase = { _tag: "Idle" }
const unseen: Phase = { _tag: "Unseen" }

/**
 * A sequencer with nothing in flight.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (staleAfterMs: number): Sequencer => ({
  phase: idle,
  held: null,
  lastSeenMs: 0,
  staleAfterMs,
  counter: 0
})

/**
 * The id of the response in flight, when the server told us which one it is.
 *
 * @since 0.1.0
 * @category getters
 */
export const activeResponse = (self: Sequencer): string | null =>
  self.phase._tag === "Active" ? self.phase.responseId : null

/**
 * Whether a response is in flight (or asked for).
 *
 * @since 0.1.0
 * @category getters
 */
export const inFlight = (self: Sequencer): boolean => self.phase._tag !== "Idle"

const create = (self: Sequencer, response: Body | undefined, nowMs: number): Record<string, unknown> => {
  const eventId = `evt_client_${++self.counter}`
  self.phase = { _tag: "Requested", eventId, response }
  self.lastSeenMs = nowMs
  return { event_id: eventId, type: "response.create", ...(response !== undefined ? { response } : {}) }
}

const sendHeld = (self: Sequencer, nowMs: number): Record<string, unknown> | undefined => {
  const held = self.held
  if (held === null) return undefined
  self.held = null
  return create(self, held.response, nowMs)
}

/**
 * Asks for a response: the frame to send now, or `undefined` when it is held.
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  self: Sequencer,
  response: Body | undefined,
  nowMs: number
): Record<string, unknown> | undefined => {
  if (self.phase._tag === "Idle") return create(self, response, nowMs)
  self.held = { response }
  return probe(self, nowMs)
}

/**
 * The held request, sent as a probe when the response in flight has gone stale.
 *
 * @since 0.1.0
 * @category requests
 */
export const probe = (self: Sequencer, nowMs: number): Record<string, unknown> | undefined =>
  self.held !== null && self.phase._tag !== "Idle" && nowMs - self.lastSeenMs >= self.staleAfterMs
    ? sendHeld(self, nowMs)
    : undefined

/**
 * A frame of the response in flight arrived (audio, transcript): it is alive.
 *
 * @since 0.1.0
 * @category frames
 */
export const touch = (self: Sequencer, nowMs: number): void => {
  self.lastSeenMs = nowMs
}

/**
 * `response.created`: the response is in flight. Returns the id of a previous active response
 * whose `response.done` was missed (it is to be treated as done), if any.
 *
 * @since 0.1.0
 * @category frames
 */
export const created = (self: Sequencer, responseId: string, nowMs: number): string | undefined => {
  const previous = self.phase._tag === "Active" && self.phase.responseId !== responseId
    ? self.phase.responseId
    : undefined
  self.phase = { _tag: "Active", responseId }
  self.lastSeenMs = nowMs
  return previous
}

/**
 * `response.done`: returns the held request to send now, if this ends the response in flight.
 *
 * @since 0.1.0
 * @category frames
 */
export const done = (
  self: Sequencer,
  responseId: string | null,
  nowMs: number
): Record<string, unknown> | undefined => {
  switch (self.phase._tag) {
    case "Active":
      // the done of an older response (whose created we treated as missed) ends nothing
      if (responseId !== null && responseId !== self.phase.responseId) return undefined
      break
    case "Requested":
      // a response we never saw created ended; ours is still unanswered
      self.lastSeenMs = nowMs
      return undefined
    case "Idle":
    case "Unseen":
      break
  }
  self.phase = idle
  return sendHeld(self, nowMs)
}

/**
 * A server `error`: returns the held request to send now, if the error ended our request.
 *
 * @since 0.1.0
 * @category frames
 */
export const error = (
  self: Sequencer,
  code: string | null | undefined,
  eventId: string | null | undefined,
  nowMs: number
): Record<string, unknown> | undefined => {
  const phase = self.phase
  if (code === "conversation_already_has_active_response") {
    if (phase._tag !== "Requested" || (eventId != null && eventId !== phase.eventId)) return undefined
    // the server is busy with a response we never saw: ask again once it is done
    if (self.held === null) self.held = { response: phase.response }
    self.phase = unseen
    self.lastSeenMs = nowMs
    return undefined
  }
  if (phase._tag === "Requested" && eventId != null && eventId === phase.eventId) {
    self.phase = idle
    return sendHeld(self, nowMs)
  }
  return undefined
}

/**
 * The response to cancel for a `response.cancel` aimed at `responseId` (or at whatever is in
 * flight when `null`): `undefined` when there is nothing to cancel, `null` for "the response in
 * flight" without an id.
 *
 * @since 0.1.0
 * @category requests
 */
export const cancelTarget = (self: Sequencer, responseId: string | null): string | null | undefined => {
  const phase = self.phase
  if (phase._tag === "Idle") return undefined
  if (phase._tag !== "Active") return responseId
  if (responseId !== null && responseId !== phase.responseId) return undefined
  return phase.responseId
}
