/**
 * The keepalive as the connection's owner runs it, without a socket: its timer (one sleep at a
 * time on the TestClock, posting to the owner), the ping it writes when the interval has passed,
 * the pong that keeps the connection, and the end when a ping is still unanswered at its deadline.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Keepalive from "../../src/internal/engine/keepalive.js"

/** A keepalive pinging every 5 s with a 3 s pong timeout; what its timer posts, and the pings written. */
const keepaliveOf = (canPing: boolean) => {
  const posted: Array<Keepalive.Command> = []
  let pings = 0
  const keepalive = Keepalive.make(
    {
      interval: Duration.seconds(5),
      timeout: Duration.seconds(3),
      ping: () => canPing && ++pings > 0
    },
    { offerUnsafe: (command) => posted.push(command) > 0 }
  )
  return { keepalive, posted, pings: () => pings }
}

/** Hands the owner what the timer posted since the last call, at `now`, as the owner would. */
const drain = (
  { keepalive, posted }: ReturnType<typeof keepaliveOf>,
  now: number
) =>
  Effect.gen(function*() {
    const taken = posted.splice(0)
    const ends = []
    for (const command of taken) {
      const end = yield* Keepalive.handle(keepalive, command, now)
      if (end !== undefined) ends.push(end)
    }
    return { taken: taken.map((command) => command._tag), ends }
  })

describe("the keepalive, as the owner runs it", () => {
  it.effect("pings an interval after it starts, and a ping unanswered for the timeout ends the connection", () =>
    Effect.gen(function*() {
      const subject = keepaliveOf(true)
      yield* Keepalive.start(subject.keepalive)
      yield* TestClock.adjust("4999 millis")
      expect(subject.posted).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* drain(subject, 5_000)).toEqual({ taken: ["PingDue"], ends: [] })
      expect(subject.pings()).toBe(1)
      yield* TestClock.adjust("2999 millis")
      expect(subject.posted).toEqual([])
      yield* TestClock.adjust("1 millis")
      const { ends, taken } = yield* drain(subject, 8_000)
      expect(taken).toEqual(["PongDue"])
      expect(ends).toMatchObject([{
        _tag: "Closed",
        by: "transport",
        detected: "KeepaliveTimeout",
        reason: "no pong within 3 s of a ping: the server went silent"
      }])
    }))

  it.effect("a pong before the deadline keeps the connection, and the next ping comes an interval after it", () =>
    Effect.gen(function*() {
      const subject = keepaliveOf(true)
      yield* Keepalive.start(subject.keepalive)
      yield* TestClock.adjust("5 seconds")
      yield* drain(subject, 5_000)
      yield* TestClock.adjust("2 seconds")
      subject.posted.push(Keepalive.pong)
      expect(yield* drain(subject, 7_000)).toEqual({ taken: ["Pong"], ends: [] })
      // the deadline's sleep was replaced: nothing comes at 8 s, the next ping at 12 s
      yield* TestClock.adjust("4999 millis")
      expect(subject.posted).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* drain(subject, 12_000)).toEqual({ taken: ["PingDue"], ends: [] })
      expect(subject.pings()).toBe(2)
      // a deadline of the first ping reaching the owner late ends nothing
      expect(yield* Keepalive.handle(subject.keepalive, { _tag: "PongDue", ping: 1 }, 12_000)).toBeUndefined()
      // nor does a pong nobody asked for, twice
      subject.posted.push(Keepalive.pong, Keepalive.pong)
      expect((yield* drain(subject, 12_001)).ends).toEqual([])
    }))

  it.effect("a ping the socket cannot take is not waited for: the next one is asked an interval later", () =>
    Effect.gen(function*() {
      const subject = keepaliveOf(false)
      yield* Keepalive.start(subject.keepalive)
      yield* TestClock.adjust("5 seconds")
      expect(yield* drain(subject, 5_000)).toEqual({ taken: ["PingDue"], ends: [] })
      expect(subject.keepalive.awaiting).toBeUndefined()
      yield* TestClock.adjust("3 seconds")
      expect(subject.posted).toEqual([])
      yield* TestClock.adjust("2 seconds")
      expect(yield* drain(subject, 10_000)).toEqual({ taken: ["PingDue"], ends: [] })
    }))
})
