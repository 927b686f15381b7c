/**
 * Owns the keepalive of a connection: a timer fiber that asks the connection's owner for a ping
 * every interval (on the `Clock`), and the owner's side, which writes the ping, takes the pong and
 * ends the connection as lost (`KeepaliveTimeout`, which a reconnect policy may retry) when the
 * pong is late. Only the owner touches the socket and the ping in flight; the pong callback only
 * posts to the owner. It runs only where the WebSocket can ping (see `Heartbeat`).
 */
import { Clock, Deferred, Duration, Effect, Exit } from "effect"
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
 * What the keepalive asks of the owner: write a ping (telling `written` whether it could, and
 * `answered` at its pong), take a pong, end the connection if the ping `answered` is still
 * unanswered (its deadline passed).
 *
 * @category models
 */
export type Command =
  | { readonly _tag: "Ping"; readonly written: Deferred.Deferred<boolean>; readonly answered: Deferred.Deferred<void> }
  | { readonly _tag: "Pong" }
  | { readonly _tag: "PongDue"; readonly answered: Deferred.Deferred<void>; readonly end: Ending.SocketEnd }

const pong: Command = { _tag: "Pong" }

/**
 * The owner's cell: the ping written and not yet answered.
 *
 * @category models
 */
export interface Pinger {
  pending: Deferred.Deferred<void> | undefined
}

/**
 * The owner's side of a keepalive command, with `ping` writing a ping on its socket (`false` when
 * it cannot); returns the connection's end when a pong is late.
 *
 * @category keepalive
 */
export const handle = (pinger: Pinger, command: Command, ping: () => boolean): Ending.SocketEnd | undefined => {
  switch (command._tag) {
    case "Ping": {
      const written = ping()
      if (written) pinger.pending = command.answered
      Deferred.doneUnsafe(command.written, Exit.succeed(written))
      return undefined
    }
    case "Pong":
      if (pinger.pending !== undefined) Deferred.doneUnsafe(pinger.pending, Exit.void)
      pinger.pending = undefined
      return undefined
    case "PongDue":
      return pinger.pending === command.answered ? command.end : undefined
  }
}

/**
 * The timer: asks `post` for a ping every interval after the last pong, and, when a ping is left
 * unanswered for the pong timeout, tells the owner its deadline passed. Runs until interrupted (or
 * until the owner takes no more commands).
 *
 * @category keepalive
 */
export const run = (
  heartbeat: Heartbeat,
  socket: Socket.WebSocketLike,
  options: KeepaliveOptions,
  post: (command: Command) => boolean
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const stop = heartbeat.onPong(socket, () => void post(pong))
    yield* Effect.addFinalizer(() => Effect.sync(stop))
    const seconds = Duration.toSeconds(options.timeout)
    for (;;) {
      yield* Effect.sleep(options.interval)
      const written = Deferred.makeUnsafe<boolean>()
      const answered = Deferred.makeUnsafe<void>()
      if (!post({ _tag: "Ping", written, answered })) return
      if (!(yield* Deferred.await(written))) continue
      const pinged = yield* Clock.currentTimeMillis
      const answer = yield* Deferred.await(answered).pipe(Effect.timeoutOption(options.timeout))
      if (answer._tag === "Some") {
        yield* Effect.logDebug(`pong ${(yield* Clock.currentTimeMillis) - pinged} ms after the ping`)
        continue
      }
      const end = Ending.detected("KeepaliveTimeout", `no pong within ${seconds} s of a ping: the server went silent`)
      if (!post({ _tag: "PongDue", answered, end })) return
      // the owner decides: a pong it took before the deadline keeps the connection (and the keepalive)
      yield* Deferred.await(answered)
    }
  }).pipe(Effect.scoped)
