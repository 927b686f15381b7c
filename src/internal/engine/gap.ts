/**
 * Owns the sends of a call that have no connection to go to (a reconnect's gap, or a connection
 * whose socket ended before the call moved on): audio is dropped and counted, every other send is
 * held, in order, until the next connection takes it, its deadline passes, or the call ends. The
 * call's owner fiber is its only user; the deadline is a timer fiber that only posts to the owner,
 * so a send whose deadline passed is answered by the owner and never written later.
 */
import { Deferred, Duration, Effect, Exit } from "effect"
import type { Fiber } from "effect"
import type { RealtimeConnectError, RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import * as Ending from "./ending.js"
import type * as Mailbox from "./mailbox.js"

/**
 * A send held in the gap, with the timer that posts its deadline.
 *
 * @category models
 */
interface Held {
  readonly send: Mailbox.Send
  readonly timer: Fiber.Fiber<unknown, unknown>
}

/**
 * The gap's cells, written by the call's owner alone.
 *
 * @category models
 */
export interface Gap {
  readonly sendTimeout: Duration.Duration
  readonly held: Array<Held>
  /** Audio bytes dropped since the last connection was lost. */
  audioBytes: number
}

/**
 * An empty gap whose sends wait at most `sendTimeout`.
 *
 * @category constructors
 */
export const make = (sendTimeout: Duration.Duration): Gap => ({ sendTimeout, held: [], audioBytes: 0 })

/**
 * Takes a send with no connection to go to: audio is dropped (answered `false`) and counted;
 * anything else is held, and `deadline` (a timer fiber that posts the send's deadline to the owner,
 * after the gap's send timeout) is started for it.
 *
 * @category gap
 */
export const hold = (
  gap: Gap,
  send: Mailbox.Send,
  deadline: (send: Mailbox.Send, after: Duration.Duration) => Effect.Effect<Fiber.Fiber<unknown, unknown>>
): Effect.Effect<void> => {
  if (send.event._tag === "SendAudio") {
    gap.audioBytes += send.event.audio.byteLength
    return Effect.sync(() => Deferred.doneUnsafe(send.reply, Exit.succeed(false)))
  }
  return Effect.map(deadline(send, gap.sendTimeout), (timer) => void gap.held.push({ send, timer }))
}

/**
 * The deadline of `send` passed: if it is still held, it fails with `Reconnecting` (a reconnect may
 * still succeed, so the caller may try again); if a connection took it already, nothing happens.
 *
 * @category gap
 */
export const expire = (gap: Gap, send: Mailbox.Send): void => {
  if (!withdraw(gap, send)) return
  const detail = `did not get a connection back within ${Duration.format(gap.sendTimeout)}`
  Deferred.doneUnsafe(send.reply, Exit.fail(Ending.gapTimeout(send.event, detail)))
}

/**
 * Stops holding `send` (its caller stopped waiting: it is never written); whether it was held.
 *
 * @category gap
 */
export const withdraw = (gap: Gap, send: Mailbox.Send): boolean => {
  const at = gap.held.findIndex((held) => held.send === send)
  if (at < 0) return false
  gap.held.splice(at, 1)[0]!.timer.interruptUnsafe()
  return true
}

/**
 * What a call without a gap releases: nothing.
 *
 * @category gap
 */
export const none: { readonly sends: ReadonlyArray<Mailbox.Send>; readonly audioBytes: number } = {
  sends: [],
  audioBytes: 0
}

/**
 * Every held send, in order, for the next connection; their timers are stopped. Also resets the
 * count of dropped audio, which it returns.
 *
 * @category gap
 */
export const release = (gap: Gap): { readonly sends: ReadonlyArray<Mailbox.Send>; readonly audioBytes: number } => {
  const held = gap.held.splice(0)
  for (const { timer } of held) timer.interruptUnsafe()
  const audioBytes = gap.audioBytes
  gap.audioBytes = 0
  return { sends: held.map(({ send }) => send), audioBytes }
}

/**
 * Why the call ended, as its held sends are told: the connection lost for good, the reconnect that
 * failed, or closed (by the application, or its scope).
 *
 * @category models
 */
export type End = RealtimeConnectionLost | RealtimeConnectError | undefined

/**
 * The error of a send that was never written because the call ended: `Closed` in every case, with
 * what ended the call as its cause.
 *
 * @category errors
 */
export const ended = (send: Mailbox.Send, end: End): RealtimeSendError =>
  end === undefined
    ? Ending.notConnected(send.event, true)
    : end._tag === "RealtimeConnectionLost"
    ? Ending.lostBeforeWrite(send.event, end)
    : end.reason === "Closed"
    ? Ending.notConnected(send.event, true)
    : Ending.reconnectFailed(send.event, end)

/**
 * The call ended: every held send fails with `Closed` at once.
 *
 * @category gap
 */
export const close = (gap: Gap, end: End): void => {
  for (const send of release(gap).sends) Deferred.doneUnsafe(send.reply, Exit.fail(ended(send, end)))
}
