/**
 * Owns the response sequence: never two `response.create` in flight, one `response.create` per turn,
 * and no request left waiting forever whatever the server said or failed to say.
 *
 * Turns. A turn is what one `response.create` answers:
 * - a user input or a tool output that asks for a response makes an automatic request. When
 *   nothing is in flight it goes out at once; otherwise it waits, and every automatic request made
 *   while it waits joins it: N user inputs stacked before their response starts produce N
 *   `conversation.item.create` and exactly one `response.create` (the reference SDK's
 *   `test_stacked_user_inputs_coalesce_to_one_response_create_per_turn`);
 * - an input added after a `response.create` went out is not part of that response (the server
 *   answers the conversation as it was when the request arrived), so it starts the next turn;
 * - a `response.create` the application sends itself (a raw message, perhaps with a `response`
 *   body) is a turn of its own: it is never merged with another request nor replaced by one, and
 *   an automatic request made after it waits for a turn after it.
 * Waiting turns go out in order, one at a time.
 *
 * What ends a response in flight, and so sends the next waiting turn:
 * - its `response.done`;
 * - for our own `response.create`: any server error naming its event id;
 * - `conversation_already_has_active_response` for our create: the server has a response we never
 *   saw created (attaching to a call mid-response, a missed `response.created`); the refused
 *   request waits again, first in line, and goes out at the next `response.done`, whatever
 *   response it names;
 * - a `response.created` of another response while one is active: the active one's
 *   `response.done` was missed, so it counts as done;
 * - staleness: when a turn waits and the response in flight showed no sign of life for
 *   `staleAfterMs` (its `response.done`, or our create's answer, was lost), the next turn is sent
 *   anyway as a probe. A server still busy refuses it with
 *   `conversation_already_has_active_response`, which leads back to waiting for a `response.done`,
 *   so a probe never puts a second response in flight.
 *
 * Pure bookkeeping: only the connection's owner calls these functions; they return the frames to
 * send and never run an effect.
 */
import type { ResponseCreate } from "../protocol/clientEvents.js"

/**
 * A request for a response: automatic (a user input or a tool output asked for one; requests of
 * this kind made while it waits join it) or the application's own `response.create`, with its body.
 *
 * @category models
 */
export type Turn =
  | { readonly _tag: "Auto" }
  | { readonly _tag: "Manual"; readonly response: Body | undefined }

/**
 * The automatic request of a user input or a tool output.
 *
 * @category constructors
 */
export const auto: Turn = { _tag: "Auto" }

/**
 * The application's own `response.create`, with its `response` body if it has one.
 *
 * @category constructors
 */
export const manual = (response: Body | undefined): Turn => ({ _tag: "Manual", response })

/**
 * Where the sequence is.
 *
 * @category models
 */
export type Phase =
  /** No response in flight. */
  | { readonly _tag: "Idle" }
  /** Our `response.create` for this turn awaits its `response.created` (or an error). */
  | { readonly _tag: "Requested"; readonly eventId: string; readonly turn: Turn }
  /** The server has started this response. */
  | { readonly _tag: "Active"; readonly responseId: string }
  /** The server has a response we never saw created; its `response.done` ends it. */
  | { readonly _tag: "Unseen" }

/**
 * The `response` body of a `response.create`.
 *
 * @category models
 */
export type Body = NonNullable<ResponseCreate["response"]>

/**
 * The sequencer's state.
 *
 * @category models
 */
export interface Sequencer {
  phase: Phase
  /** The turns waiting for the response in flight to end, in order. */
  readonly waiting: Array<Turn>
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
 * @category constructors
 */
export const make = (staleAfterMs: number): Sequencer => ({
  phase: idle,
  waiting: [],
  lastSeenMs: 0,
  staleAfterMs,
  counter: 0
})

/**
 * The id of the response in flight, when the server told us which one it is.
 *
 * @category getters
 */
export const activeResponse = (self: Sequencer): string | null =>
  self.phase._tag === "Active" ? self.phase.responseId : null

/**
 * Whether a response is in flight (or asked for).
 *
 * @category getters
 */
export const inFlight = (self: Sequencer): boolean => self.phase._tag !== "Idle"

/**
 * How many turns wait for the response in flight to end.
 *
 * @category getters
 */
export const waitingTurns = (self: Sequencer): number => self.waiting.length

/**
 * What a lost connection leaves unanswered: the turns asked for and not yet started (the one
 * requested, then those waiting), and the response the loss cut off, if one was under way.
 *
 * @category getters
 */
export const unanswered = (
  self: Sequencer
): { readonly turns: ReadonlyArray<Turn>; readonly cutOff: string | null } => ({
  turns: self.phase._tag === "Requested" ? [self.phase.turn, ...self.waiting] : [...self.waiting],
  cutOff: activeResponse(self)
})

const create = (self: Sequencer, turn: Turn, nowMs: number): ResponseCreate => {
  const eventId = `evt_client_${++self.counter}`
  self.phase = { _tag: "Requested", eventId, turn }
  self.lastSeenMs = nowMs
  const response = turn._tag === "Manual" ? turn.response : undefined
  return { event_id: eventId, type: "response.create", ...(response !== undefined ? { response } : {}) }
}

const sendNext = (self: Sequencer, nowMs: number): ResponseCreate | undefined => {
  const turn = self.waiting.shift()
  return turn === undefined ? undefined : create(self, turn, nowMs)
}

/** An automatic request joins the automatic turn waiting last; anything else waits behind it. */
const enqueue = (self: Sequencer, turn: Turn): void => {
  const last = self.waiting[self.waiting.length - 1]
  if (turn._tag === "Auto" && last?._tag === "Auto") return
  self.waiting.push(turn)
}

/**
 * Asks for a response: the frame to send now, or `undefined` when the request waits (or joined
 * the automatic turn already waiting).
 *
 * @category requests
 */
export const request = (self: Sequencer, turn: Turn, nowMs: number): ResponseCreate | undefined => {
  if (self.phase._tag === "Idle") return create(self, turn, nowMs)
  enqueue(self, turn)
  return probe(self, nowMs)
}

/**
 * The next waiting turn, sent as a probe when the response in flight has gone stale.
 *
 * @category requests
 */
export const probe = (self: Sequencer, nowMs: number): ResponseCreate | undefined =>
  self.waiting.length > 0 && self.phase._tag !== "Idle" && nowMs - self.lastSeenMs >= self.staleAfterMs
    ? sendNext(self, nowMs)
    : undefined

/**
 * A frame of the response in flight arrived (audio, transcript): it is alive.
 *
 * @category frames
 */
export const touch = (self: Sequencer, nowMs: number): void => {
  self.lastSeenMs = nowMs
}

/**
 * `response.created`: the response is in flight. Returns the id of a previous active response
 * whose `response.done` was missed (it is to be treated as done), if any.
 *
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
 * `response.done`: returns the next waiting turn to send now, if this ends the response in flight.
 *
 * @category frames
 */
export const done = (
  self: Sequencer,
  responseId: string | null,
  nowMs: number
): ResponseCreate | undefined => {
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
  return sendNext(self, nowMs)
}

/**
 * A server `error`: returns the next waiting turn to send now, if the error ended our request.
 *
 * @category frames
 */
export const error = (
  self: Sequencer,
  code: string | null | undefined,
  eventId: string | null | undefined,
  nowMs: number
): ResponseCreate | undefined => {
  const phase = self.phase
  if (code === "conversation_already_has_active_response") {
    if (phase._tag !== "Requested" || (eventId != null && eventId !== phase.eventId)) return undefined
    // the server is busy with a response we never saw: the refused turn goes first once it is
    // done (an automatic turn waiting at the front already covers a refused automatic one)
    if (phase.turn._tag === "Manual" || self.waiting[0]?._tag !== "Auto") self.waiting.unshift(phase.turn)
    self.phase = unseen
    self.lastSeenMs = nowMs
    return undefined
  }
  if (phase._tag === "Requested" && eventId != null && eventId === phase.eventId) {
    self.phase = idle
    return sendNext(self, nowMs)
  }
  return undefined
}

/**
 * The response to cancel for a `response.cancel` aimed at `responseId` (or at whatever is in
 * flight when `null`): `undefined` when there is nothing to cancel, `null` for "the response in
 * flight" without an id.
 *
 * @category requests
 */
export const cancelTarget = (self: Sequencer, responseId: string | null): string | null | undefined => {
  const phase = self.phase
  if (phase._tag === "Idle") return undefined
  if (phase._tag !== "Active") return responseId
  if (responseId !== null && responseId !== phase.responseId) return undefined
  return phase.responseId
}
