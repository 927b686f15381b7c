/**
 * What the tests of a protocol written as steps share (Gemini Live, OpenAI Live): feeding server
 * frames in order, the last step, the events of steps, a send's acceptance or refusal, and a call
 * driven step by step that collects every event, frame and verdict.
 */
import { expect } from "@effect/vitest"
import { idle } from "../../src/PlaybackTracker.js"
import type { PlaybackState } from "../../src/PlaybackTracker.js"
import { RealtimeSendError } from "../../src/RealtimeError.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../src/RealtimeModelSendEvent.js"

/** A step of a protocol: its next state, events, frames and verdicts. */
export interface Step<S, F, V> {
  readonly state: S
  readonly events: ReadonlyArray<RealtimeModelEvent>
  readonly frames: ReadonlyArray<F>
  readonly verdicts: ReadonlyArray<V>
}

/** Every step of a list of server messages (text, or JSON to encode), fed in order from `state`. */
export const feeder =
  <S, R extends { readonly state: S }>(receive: (state: S, text: string) => R) =>
  (state: S, ...messages: ReadonlyArray<unknown>): Array<R> => {
    const steps: Array<R> = []
    let current = state
    for (const message of messages) {
      const step = receive(current, typeof message === "string" ? message : JSON.stringify(message))
      steps.push(step)
      current = step.state
    }
    return steps
  }

/** The last step. */
export const last = <A>(steps: ReadonlyArray<A>): A => {
  const step = steps[steps.length - 1]
  if (step === undefined) throw new Error("no step")
  return step
}

/** Every event of the steps, in order. */
export const eventsOf = (steps: ReadonlyArray<{ readonly events: ReadonlyArray<RealtimeModelEvent> }>) =>
  steps.flatMap((step) => step.events)

/** The step of a send the protocol accepted; fails the test when it refused it. */
export const accepted = <A>(sent: A | RealtimeSendError): A => {
  if (sent instanceof RealtimeSendError) throw new Error(`send refused: ${sent.message}`)
  return sent
}

/** The refusal of a send; fails the test when it was accepted. */
export const refused = (sent: unknown): RealtimeSendError => {
  expect(sent).toBeInstanceOf(RealtimeSendError)
  if (!(sent instanceof RealtimeSendError)) throw new Error("the send was accepted")
  return sent
}

/** Base64 of bytes. */
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")

/** A protocol as a driven call uses it. */
export interface Driven<S, F, V, O, E extends Step<S, F, V>> {
  readonly open: (state: S) => O & { readonly state: S; readonly frames: ReadonlyArray<F> }
  readonly receive: (state: S, text: string) => Step<S, F, V>
  readonly send: (state: S, event: RealtimeModelSendEvent, playback: PlaybackState) => Step<S, F, V> | RealtimeSendError
  readonly ended: (state: S) => E
  /** A frame as it goes on the socket, parsed back. */
  readonly json: (frame: F) => unknown
}

/** A call driven step by step from `state`, collecting every event, frame (as JSON) and verdict. */
export const drive = <S, F, V, O, E extends Step<S, F, V>>(protocol: Driven<S, F, V, O, E>, state: S) => {
  let current = state
  const events: Array<RealtimeModelEvent> = []
  const frames: Array<unknown> = []
  const verdicts: Array<V> = []
  const take = <T extends Step<S, F, V>>(step: T): T => {
    current = step.state
    events.push(...step.events)
    frames.push(...step.frames.map(protocol.json))
    verdicts.push(...step.verdicts)
    return step
  }
  return {
    get state() {
      return current
    },
    events,
    frames,
    verdicts,
    open: () => {
      const opened = protocol.open(current)
      current = opened.state
      frames.push(...opened.frames.map(protocol.json))
      return opened
    },
    server: (message: unknown) =>
      take(protocol.receive(current, typeof message === "string" ? message : JSON.stringify(message))),
    send: (event: RealtimeModelSendEvent) => take(accepted(protocol.send(current, event, idle))),
    ended: () => take(protocol.ended(current)),
    set: (next: S) => {
      current = next
    }
  }
}
