/**
 * The keepalive of a connection: a ping every interval, on the `Clock`; a ping left unanswered for
 * the pong timeout ends the connection as lost (`KeepaliveTimeout`), which a reconnect policy may
 * retry. It runs only where the WebSocket can ping (see `Heartbeat`).
 */
import { Clock, Deferred, Duration, Effect } from "effect"
import type * as Socket from "effect/socket/Socket"
import type { Heartbeat } from "../../RealtimeWebSocket.js"
import * as Ending from "./ending.js"

/**
 * How often to ping and how long to wait for the pong.
 *
 * @category models
 */
export interface KeepaliveOptions {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration
}

/**
 * Pings `socket` until interrupted; when a pong does not come in time, hands `lost` the end to
 * deliver and returns.
 *
 * @category keepalive
 */
export const run = (
  heartbeat: Heartbeat,
  socket: Socket.WebSocketLike,
  options: KeepaliveOptions,
  lost: (end: Ending.SocketEnd) => void
): Effect.Effect<void> =>
  Effect.gen(function*() {
    let answered = Deferred.makeUnsafe<void>()
    const stop = heartbeat.onPong(socket, () => Deferred.doneUnsafe(answered, Effect.void))
    yield* Effect.addFinalizer(() => Effect.sync(stop))
    for (;;) {
      yield* Effect.sleep(options.interval)
      answered = Deferred.makeUnsafe<void>()
      if (!heartbeat.ping(socket)) continue
      const pinged = yield* Clock.currentTimeMillis
      const pong = yield* Deferred.await(answered).pipe(Effect.timeoutOption(options.timeout))
      if (pong._tag === "Some") {
        yield* Effect.logDebug(`pong ${(yield* Clock.currentTimeMillis) - pinged} ms after the ping`)
      } else {
        const seconds = Duration.toSeconds(options.timeout)
        lost(Ending.detected("KeepaliveTimeout", `no pong within ${seconds} s of a ping: the server went silent`))
        return
      }
    }
  }).pipe(Effect.scoped)
