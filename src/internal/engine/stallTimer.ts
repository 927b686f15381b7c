/**
 * Owns the stall timer of a connection whose protocol ends the model's turn on its quiet (OpenAI
 * Live): the deadline by which the server must be heard from again, and the one timer that wakes
 * the connection's owner at it. All of it is run by the owner: the timer is one sleep at a time,
 * forked into the connection's scope (which takes it when it closes), and all it does when it
 * wakes is post its number to the owner's mailbox; a timer replaced or cancelled in between is
 * stale there and does nothing.
 *
 * A frame moves the deadline without a new fiber: a timer sleeping until an earlier time wakes,
 * finds the deadline moved and sleeps on until it (one fiber per stretch of the deadline, not
 * one per frame).
 */
import { Clock, Duration, Effect } from "effect"
import type { Fiber, Scope } from "effect"

/**
 * The owner's cells: the deadline (`Clock` ms), until when the timer sleeps, the timer, and the
 * number of the last timer armed (a wake of another is stale).
 *
 * @category models
 */
export interface StallTimer {
  /** Where the timer posts: the owner's mailbox, which says `false` once the owner takes nothing more. */
  readonly post: (timer: number) => boolean
  readonly scope: Scope.Scope
  deadline: number | undefined
  sleepsUntil: number | undefined
  timer: Fiber.Fiber<void> | undefined
  armed: number
}

/**
 * A stall timer, not armed, whose timers live in `scope` and post to `post`.
 *
 * @category constructors
 */
export const make = (post: (timer: number) => boolean, scope: Scope.Scope): StallTimer => ({
  post,
  scope,
  deadline: undefined,
  sleepsUntil: undefined,
  timer: undefined,
  armed: 0
})

/** Sleeps until `until` on the `Clock`, however late the sleep starts. */
const sleepUntil = (until: number): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Duration.millis(Math.max(0, until - now))))

/**
 * Arms the one timer for the deadline, replacing the one before; the owner runs the effect.
 *
 * @category stall
 */
export const arm = (stall: StallTimer): Effect.Effect<void> => {
  const until = stall.deadline
  if (until === undefined) return Effect.void
  const number = ++stall.armed
  stall.sleepsUntil = until
  stall.timer?.interruptUnsafe()
  stall.timer = undefined
  return Effect.map(
    Effect.forkIn(
      Effect.andThen(sleepUntil(until), Effect.sync(() => void stall.post(number))),
      stall.scope,
      { startImmediately: true }
    ),
    (fiber) => {
      if (stall.armed === number) stall.timer = fiber
      else fiber.interruptUnsafe()
    }
  )
}

/**
 * Cancels the timer: the protocol sets no limit, or the connection ended.
 *
 * @category stall
 */
export const cancel = (stall: StallTimer): void => {
  stall.armed++
  stall.deadline = undefined
  stall.sleepsUntil = undefined
  stall.timer?.interruptUnsafe()
  stall.timer = undefined
}

/**
 * After a step at `now`: the server may stay quiet for `after` ms (`null`: no limit). `pushBack`
 * (a frame arrived) moves the deadline; otherwise (a send) a deadline already set stays. Returns
 * the effect that arms the timer, when one is needed.
 *
 * @category stall
 */
export const set = (
  stall: StallTimer,
  after: number | null,
  now: number,
  pushBack: boolean
): Effect.Effect<void> | undefined => {
  if (after === null) {
    if (stall.deadline !== undefined) cancel(stall)
    return undefined
  }
  if (stall.deadline !== undefined && !pushBack) return undefined
  const deadline = now + after
  stall.deadline = deadline
  return stall.sleepsUntil !== undefined && stall.sleepsUntil <= deadline ? undefined : arm(stall)
}

/**
 * What a timer's wake means to the owner at `now`: nothing (`Stale`: replaced or cancelled since),
 * sleep on (`Early`: the deadline moved; {@link arm} again), or the quiet lasted until the deadline
 * (`Stalled`: the protocol's step runs; the deadline is cleared).
 *
 * @category stall
 */
export const wake = (stall: StallTimer, timer: number, now: number): "Stale" | "Early" | "Stalled" => {
  if (timer !== stall.armed || stall.deadline === undefined) return "Stale"
  stall.timer = undefined
  stall.sleepsUntil = undefined
  if (now < stall.deadline) return "Early"
  stall.deadline = undefined
  return "Stalled"
}
