/**
 * Owns what a Gemini Live connection asks of the engine's stepwise connection: the protocol's
 * steps, and what each of its verdicts means there (`setupComplete` a Debug line, `goAway` the
 * session ending soon, `interrupted` an item that stopped playing).
 */
import type * as Stepwise from "../engine/stepwise.js"
import { GeminiProtocol } from "./protocol.js"
import type { GeminiState, Verdict } from "./state.js"
import type { ClientFrame } from "./wire.js"

/**
 * A live connection, as its tests drive it.
 *
 * @category models
 */
export type Connection = Stepwise.Connection<GeminiState, ClientFrame>

const act = (verdict: Verdict): ReadonlyArray<Stepwise.Action> => {
  switch (verdict._tag) {
    case "SetupComplete":
      return [{
        _tag: "Note",
        message: `the session is set up${verdict.sessionId === null ? "" : ` (${verdict.sessionId})`}`
      }, { _tag: "Ready" }]
    case "TurnBoundary":
      return []
    case "SessionEnding":
      // the connection ends soon: the next one is prepared at once
      return [{ _tag: "SessionEnding", inMs: 0 }]
    case "PlaybackInterrupted":
      return [{ _tag: "PlaybackInterrupted", itemId: verdict.itemId }]
  }
}

/**
 * Gemini Live's steps, for the engine.
 *
 * @category models
 */
export const steps: Stepwise.Steps<GeminiState, ClientFrame, Verdict> = {
  receive: (state, text) => GeminiProtocol.receive(state, text),
  send: GeminiProtocol.send,
  ended: GeminiProtocol.ended,
  heard: GeminiProtocol.heard,
  atBoundary: GeminiProtocol.atBoundary,
  encode: GeminiProtocol.encode,
  act,
  turnOf: (state) => state.turn?.responseId ?? null,
  outputFormat: (state) => state.outputAudio.format
}
