/**
 * The owner's side of the keepalive, without a socket: it writes the ping when the timer asks, takes
 * the pong, and ends the connection only when the ping it wrote is still unanswered at its deadline.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as Ending from "../../src/internal/engine/ending.js"
import * as Keepalive from "../../src/internal/engine/keepalive.js"

const late = Ending.detected("KeepaliveTimeout", "no pong within 3 s of a ping: the server went silent")

/** A ping request, as the timer posts it. */
const request = () => ({
  _tag: "Ping" as const,
  written: Deferred.makeUnsafe<boolean>(),
  answered: Deferred.makeUnsafe<void>()
})

describe("the keepalive, as the owner runs it", () => {
  it.effect("writes the ping, and a pong taken before the deadline keeps the connection", () =>
    Effect.gen(function*() {
      const pinger: Keepalive.Pinger = { pending: undefined }
      let pings = 0
      const ping = () => ++pings > 0
      const asked = request()
      expect(Keepalive.handle(pinger, asked, ping)).toBeUndefined()
      expect(pings).toBe(1)
      expect(yield* Deferred.await(asked.written)).toBe(true)
      expect(Keepalive.handle(pinger, { _tag: "Pong" }, ping)).toBeUndefined()
      expect(yield* Deferred.isDone(asked.answered)).toBe(true)
      // the deadline reaches the owner after the pong did: nothing ends
      expect(Keepalive.handle(pinger, { _tag: "PongDue", answered: asked.answered, end: late }, ping)).toBeUndefined()
      expect(pinger.pending).toBeUndefined()
    }))

  it.effect("a ping still unanswered at its deadline ends the connection as KeepaliveTimeout", () =>
    Effect.gen(function*() {
      const pinger: Keepalive.Pinger = { pending: undefined }
      const asked = request()
      Keepalive.handle(pinger, asked, () => true)
      const end = Keepalive.handle(pinger, { _tag: "PongDue", answered: asked.answered, end: late }, () => true)
      expect(end).toMatchObject({ _tag: "Closed", by: "transport", detected: "KeepaliveTimeout" })
      expect(yield* Deferred.isDone(asked.answered)).toBe(false)
    }))

  it.effect("a ping the socket cannot take is not waited for, and no deadline of an older ping ends the connection", () =>
    Effect.gen(function*() {
      const pinger: Keepalive.Pinger = { pending: undefined }
      const first = request()
      Keepalive.handle(pinger, first, () => true)
      Keepalive.handle(pinger, { _tag: "Pong" }, () => true)
      const second = request()
      Keepalive.handle(pinger, second, () => false)
      expect(yield* Deferred.await(second.written)).toBe(false)
      expect(pinger.pending).toBeUndefined()
      const stale = Keepalive.handle(pinger, { _tag: "PongDue", answered: first.answered, end: late }, () => true)
      expect(stale).toBeUndefined()
    }))
})
