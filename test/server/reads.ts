/**
 * Reading an embedded server's frames with one of the library's own protocols, as its provider
 * reads them: each frame through the protocol's `receive`, its state kept between frames.
 */
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import type { Frame } from "./wsClient.js"

/** What a protocol's `receive` gives for one frame. */
interface Step<S, V> {
  readonly state: S
  readonly events: ReadonlyArray<RealtimeModelEvent>
  readonly verdicts: ReadonlyArray<V>
}

/** Feeds frames through `receive` from `first`, keeping its state; returns the events and verdicts they gave. */
export const reader = <S, V>(receive: (state: S, text: string) => Step<S, V>, first: S) => {
  let state = first
  return (frames: ReadonlyArray<Frame>) => {
    const events: Array<RealtimeModelEvent> = []
    const verdicts: Array<V> = []
    for (const frame of frames) {
      const step = receive(state, JSON.stringify(frame))
      state = step.state
      events.push(...step.events)
      verdicts.push(...step.verdicts)
    }
    return { events, verdicts, tags: events.map((event) => event._tag) }
  }
}
