/**
 * Owns the keepalive of a connection, all of it run by the connection's owner: when to ping (an
 * interval after the last pong, on the `Clock`), the ping in flight, and the connection's end as
 * lost (`KeepaliveTimeout`, which a reconnect policy may retry) when its pong is late. The timer is
 * one sleep at a time, forked by the owner as a child of its own fiber, which posts the next step
 * to the owner's mailbox when it wakes; the pong callback only posts too. It runs only where the
 * WebSocket can ping (see `Heartbeat`).
 */
import { Duration, Effect } from "effect"
import type { Fiber } from "effect"
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
 * A connection's keepalive: its options, and how a ping is written on its socket (`false` when
 * the socket cannot take it).
 *
 * @category models
 */
export interface Pinging extends KeepaliveOptions {
  readonly ping: () => boolean
}

/**
 * What reaches the owner: the interval passed (write a ping), a pong, the pong timeout of ping
 * number `ping` passed.
 *
 * @category models
 */
export type Command =
  | { readonly _tag: "PingDue" }
  | { readonly _tag: "Pong" }
  | { readonly _tag: "PongDue"; readonly ping: number }

/**
 * A pong, as the socket's pong callback posts it.
 *
 * @category models
 */
export const pong: Command = { _tag: "Pong" }

const pingDue: Command = { _tag: "PingDue" }

/**
 * Where the keepalive's commands go.
 *
 * @category models
 */
export interface Mailbox {
  readonly offerUnsafe: (command: Command) => boolean
}

/**
 * The owner's cells: the ping in flight (its number, when it was written), how many were written,
 * and the timer's sleep.
 *
 * @category models
 */
export interface Keepalive {
  readonly options: Pinging
  /** Where the timer posts: the owner's mailbox, which says `false` once the owner takes nothing more. */
  readonly mailbox: Mailbox
  awaiting: number | undefined
  pingedAt: number
  written: number
  timer: Fiber.Fiber<void> | undefined
}

/**
 * The keepalive of a connection; nothing runs until the owner {@link start}s it.
 *
 * @category constructors
 */
export const make = (options: Pinging, mailbox: Mailbox): Keepalive => ({
  options,
  mailbox,
  awaiting: undefined,
  pingedAt: 0,
  written: 0,
  timer: undefined
})

/** The one sleep of the timer, replacing the one before: `command` is posted when it wakes. */
const arm = (keepalive: Keepalive, after: Duration.Duration, command: Command): Effect.Effect<void> =>
  Effect.map(
    Effect.forkChild(
      Effect.andThen(Effect.sleep(after), Effect.sync(() => void keepalive.mailbox.offerUnsafe(command))),
      {
        startImmediately: true
      }
    ),
    (timer) => {
      keepalive.timer?.interruptUnsafe()
      keepalive.timer = timer
    }
  )

/**
 * Starts the timer (the first ping an interval from now), in the owner's fiber: it stops when that
 * fiber ends. Run by the owner when it starts.
 *
 * @category keepalive
 */
export const start = (keepalive: Keepalive): Effect.Effect<void> => {
  keepalive.awaiting = undefined
  return arm(keepalive, keepalive.options.interval, pingDue)
}

/**
 * Stops the timer (the owner stopped). Run by the owner.
 *
 * @category keepalive
 */
export const stop = (keepalive: Keepalive): void => {
  keepalive.timer?.interruptUnsafe()
  keepalive.awaiting = undefined
}

/**
 * The owner's side of a keepalive command, at `now` (ms, `Clock`); the connection's end when a
 * pong is late.
 *
 * @category keepalive
 */
export const handle = (
  keepalive: Keepalive,
  command: Command,
  now: number
): Effect.Effect<Ending.SocketEnd | undefined> => {
  const { options } = keepalive
  switch (command._tag) {
    case "PingDue": {
      // a ping the socket cannot take is not waited for: the next one comes an interval later
      if (!options.ping()) return Effect.as(arm(keepalive, options.interval, pingDue), undefined)
      const ping = ++keepalive.written
      keepalive.awaiting = ping
      keepalive.pingedAt = now
      return Effect.as(arm(keepalive, options.timeout, { _tag: "PongDue", ping }), undefined)
    }
    case "Pong":
      if (keepalive.awaiting === undefined) return Effect.succeed(undefined)
      keepalive.awaiting = undefined
      return Effect.as(
        Effect.andThen(
          arm(keepalive, options.interval, pingDue),
          Effect.logDebug(`pong ${now - keepalive.pingedAt} ms after the ping`)
        ),
        undefined
      )
    case "PongDue":
      // a pong taken before this deadline reached the owner keeps the connection
      return Effect.succeed(
        keepalive.awaiting === command.ping
          ? Ending.detected(
            "KeepaliveTimeout",
            `no pong within ${Duration.toSeconds(options.timeout)} s of a ping: the server went silent`
          )
          : undefined
      )
  }
}
