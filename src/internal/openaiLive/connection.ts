/**
 * Owns what an OpenAI Live connection asks of the engine's stepwise connection: the protocol's
 * steps, what each verdict means there (the session's start: its expiry announced, so the next
 * session is prepared before it; settings only a new session takes: the call moves to one; the
 * model interrupting itself: an item that stopped playing), the `session.close` a connection
 * writes before its socket is closed, and how long its server may stay quiet in the model's turn.
 */
import type * as Stepwise from "../engine/stepwise.js"
import { OpenAILiveProtocol } from "./protocol.js"
import type { LiveState, Verdict } from "./state.js"
import type { ClientFrame } from "./wire.js"

/**
 * A live connection, as its tests drive it.
 *
 * @category models
 */
export type Connection = Stepwise.Connection<LiveState, ClientFrame>

/**
 * When the next session is prepared, for a session that expires in `leftMs`: a minute before, or
 * halfway for a session shorter than two minutes (never at once: a short session would be
 * replaced as soon as it starts, again and again).
 */
export const prepareIn = (leftMs: number): number => Math.max(0, Math.max(leftMs - 60_000, leftMs / 2))

const act = (verdict: Verdict, now: number): ReadonlyArray<Stepwise.Action> => {
  switch (verdict._tag) {
    case "SessionStarted":
      return [
        { _tag: "Note", message: `the session ${verdict.sessionId} started` },
        { _tag: "Ready" },
        ...(verdict.expiresAt === null
          ? []
          : [{ _tag: "SessionEnding", inMs: prepareIn(verdict.expiresAt * 1000 - now) } as const])
      ]
    case "StartRefused":
      return [{ _tag: "Note", message: `the session's start was refused: ${verdict.message}` }]
    case "TurnBoundary":
      return []
    case "SessionClosed":
      return [{ _tag: "Note", message: `the session closed (${verdict.reason})` }]
    case "NewSessionNeeded":
      return [{ _tag: "SessionEnding", inMs: 0 }]
    case "PlaybackInterrupted":
      return [{ _tag: "PlaybackInterrupted", itemId: verdict.itemId }]
  }
}

/**
 * OpenAI Live's steps, for the engine.
 *
 * @category models
 */
export const steps: Stepwise.Steps<LiveState, ClientFrame, Verdict> = {
  receive: OpenAILiveProtocol.receive,
  send: OpenAILiveProtocol.send,
  ended: OpenAILiveProtocol.ended,
  heard: OpenAILiveProtocol.heard,
  atBoundary: OpenAILiveProtocol.atBoundary,
  encode: OpenAILiveProtocol.encode,
  act,
  turnOf: (state) => state.turn?.responseId ?? null,
  outputFormat: (state) => state.format,
  farewell: (state) => state.ready && state.closedReason === null ? [OpenAILiveProtocol.closeFrame()] : [],
  // the model's turn ends on its quiet: a stream that stops instead ends it after as long
  stall: { after: OpenAILiveProtocol.stallAfter, stalled: OpenAILiveProtocol.stalled }
}
