/**
 * Owns where a send goes while a call runs: through the live connection, or, in a reconnect's gap,
 * dropped (audio, counted) or held until the next connection is there (everything else, at most
 * the gap's send timeout). The gap fails only when the call ends (the schedule exhausted, a fatal
 * re-dial, a fatal loss, close): its sends then fail `Closed` at once. With a reconnect policy, a
 * send that finds the connection ended before the call has moved on waits in the gap of its loss
 * like any other: it was not written.
 */
import { Deferred, Duration, Effect, Ref } from "effect"
import type { RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Ending from "./ending.js"
import type { Sender } from "./protocol.js"
import type { Gap, Phase } from "./supervisor.js"

const inGap = <A>(
  event: RealtimeModelSendEvent,
  gap: Gap,
  send: (connection: Sender) => Effect.Effect<A, RealtimeSendError>,
  dropped: A
): Effect.Effect<A, RealtimeSendError> => {
  if (event._tag === "SendAudio") {
    return Effect.as(Ref.update(gap.audioBytes, (n) => n + event.audio.byteLength), dropped)
  }
  return Deferred.await(gap.reopened).pipe(
    Effect.timeoutOrElse({
      duration: gap.sendTimeout,
      orElse: () =>
        Effect.fail(
          Ending.gapTimeout(event, `did not get a connection back within ${Duration.format(gap.sendTimeout)}`)
        )
    }),
    Effect.catchTag(
      ["RealtimeConnectionLost", "RealtimeConnectError"],
      (error) =>
        Effect.fail(
          error._tag === "RealtimeConnectionLost"
            ? Ending.lostBeforeWrite(event, error)
            : error.reason === "Closed"
            ? Ending.notConnected(event, true)
            : Ending.reconnectFailed(event, error)
        )
    ),
    Effect.flatMap(send)
  )
}

/**
 * Sends `event` with `send` through the phase's connection, or as the gap's policy says; `dropped`
 * is the answer for audio dropped in a gap.
 *
 * @category routing
 */
export const send = <A>(
  phase: Phase,
  event: RealtimeModelSendEvent,
  send: (connection: Sender) => Effect.Effect<A, RealtimeSendError>,
  dropped: A
): Effect.Effect<A, RealtimeSendError> => {
  if (phase._tag === "Reconnecting") return inGap(event, phase.gap, send, dropped)
  const { connection, gap } = phase
  if (gap === undefined) return send(connection)
  if (connection.isEndedUnsafe()) return inGap(event, gap, send, dropped)
  // a send the connection refused because its socket had just ended was not written: it waits
  return Effect.catchIf(send(connection), (error) => error.reason === "Closed", () => inGap(event, gap, send, dropped))
}
