/**
 * The embedded server's faults for long calls (keepalive, reconnect, session rollover), seen by raw
 * WebSocket clients on loopback: the close code and reason, the HTTP status of a refused upgrade,
 * pongs, and the server's counters.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Duration } from "effect"
import { TestClock } from "effect/testing"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { serverFrameErrors } from "../support/protocolCorpus.js"
import { connect } from "./wsClient.js"
import type { Frame, RawClient as Client } from "./wsClient.js"

/** A raw client (any Bearer key), terminated when the scope closes. */
const open = (url: string) => connect(url, "sk-test")

/** The HTTP status an upgrade is refused with, or "open" (the client is closed again at once). */
const upgradeStatus = (url: string) =>
  open(url).pipe(
    Effect.as("open" as const),
    Effect.catchTag("UpgradeRefused", (refused) => Effect.succeed(refused.status)),
    Effect.scoped
  )

/** A round trip on the connection: every frame the server sent before the answer has arrived. */
const roundTrip = (client: Client) =>
  Effect.flatMap(client.send({ type: "input_audio_buffer.clear" }), () => client.until("input_audio_buffer.cleared"))

const expectValid = (frames: ReadonlyArray<Frame>) => {
  for (const frame of frames) {
    expect({ type: frame["type"], errors: serverFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
  }
}

describe("embedded server: session duration limit", () => {
  it.effect("ends the session at the limit on the Clock: session_expired, then close 1001 with the message", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ sessionDurationLimit: "60 minutes" })
      const client = yield* open(server.url)
      const created = (yield* client.until("session.created")).at(-1) ?? {}
      // the TestClock starts at 0: the session expires 3600 seconds after the epoch
      expect(created["session"]).toMatchObject({ expires_at: 3600 })
      expectValid([created])
      // a client cannot move it
      yield* client.send({ type: "session.update", session: { type: "realtime", expires_at: 99_999 } })
      expect((yield* client.until("session.updated")).at(-1)).toMatchObject({ session: { expires_at: 3600 } })
      yield* TestClock.adjust("3599999 millis")
      // a millisecond before the limit the session still answers
      expect((yield* roundTrip(client)).map((frame) => frame["type"])).toEqual(["input_audio_buffer.cleared"])
      yield* TestClock.adjust("1 millis")
      const expired = yield* client.until("error")
      expect(expired).toHaveLength(1)
      expect(expired[0]).toMatchObject({
        type: "error",
        error: {
          type: "invalid_request_error",
          code: "session_expired",
          message: "Your session hit the maximum duration of 60 minutes.",
          param: null,
          event_id: null
        }
      })
      expectValid(expired)
      expect(yield* client.closed).toEqual({
        code: 1001,
        reason: "Your session hit the maximum duration of 60 minutes."
      })
      expect(yield* client.rest).toEqual([])
    }))

  it.effect("a limit reached mid-response: nothing follows the error, and the message names the limit", () =>
    Effect.gen(function*() {
      // one second of audio per character, one chunk a second: the reply outlasts the limit
      const server = yield* RealtimeServer.make({
        sessionDurationLimit: "5 seconds",
        msPerChar: 1000,
        chunkMs: 1000,
        rules: [{ match: "count", reply: "Counting slowly to twenty." }]
      })
      const client = yield* open(server.url)
      yield* client.until("session.created")
      yield* client.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "count" }] }
      })
      yield* client.send({ type: "response.create" })
      yield* client.until("response.output_audio.delta")
      yield* TestClock.adjust("5 seconds")
      const before = yield* client.until("error")
      expect(before.some((frame) => frame["type"] === "response.done")).toBe(false)
      expect(before.at(-1)).toMatchObject({
        error: { code: "session_expired", message: "Your session hit the maximum duration of 5 seconds." }
      })
      expectValid(before)
      expect(yield* client.closed).toEqual({
        code: 1001,
        reason: "Your session hit the maximum duration of 5 seconds."
      })
      expect(yield* client.rest).toEqual([])
    }))

  it.effect("the limit counts from the accepted upgrade: a clock advanced right after the handshake still ends it", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ sessionDurationLimit: "1 minute" })
      const client = yield* open(server.url)
      // the client knows it is connected; the session may not have sent anything yet
      yield* TestClock.adjust("1 minute")
      const frames = yield* client.until("error")
      expect(frames.map((frame) => frame["type"])).toEqual(["session.created", "error"])
      expect(frames[0]).toMatchObject({ session: { expires_at: 60 } })
      expect(yield* client.closed).toEqual({ code: 1001, reason: "Your session hit the maximum duration of 1 minute." })
    }))

  it.live("without a limit the session reports expires_at 0 and stays open", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      const client = yield* open(server.url)
      expect((yield* client.until("session.created")).at(-1)).toMatchObject({ session: { expires_at: 0 } })
      yield* roundTrip(client)
    }))

  it.live("a limit that is not a duration fails make with RealtimeServerError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        RealtimeServer.make({ sessionDurationLimit: "soon" as unknown as Duration.Input })
      )
      expect(error).toMatchObject({ _tag: "RealtimeServerError", message: "sessionDurationLimit is not a duration" })
    }))
})

describe("embedded server: dropping connections", () => {
  it.live("dropAll terminates every open connection without a close handshake; new ones are accepted", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      const first = yield* open(server.url)
      const second = yield* open(server.url)
      yield* first.until("session.created")
      yield* second.until("session.created")
      expect(yield* server.faults.dropAll).toBe(2)
      // 1006: the connection ended with no close frame
      expect(yield* first.closed).toEqual({ code: 1006, reason: "" })
      expect(yield* second.closed).toEqual({ code: 1006, reason: "" })
      const third = yield* open(server.url)
      yield* third.until("session.created")
      yield* roundTrip(third)
      expect(yield* server.connectionsAccepted).toBe(3)
      expect(yield* server.connectionAttempts).toBe(3)
    }))

  it.live("dropAfterEvents drops the next connection after N events; the reconnection is left alone", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      yield* server.faults.dropAfterEvents(2)
      const dropped = yield* open(server.url)
      yield* dropped.until("session.created")
      yield* dropped.send({ type: "session.update", session: { type: "realtime", instructions: "Be brief." } })
      yield* dropped.until("session.updated")
      expect(yield* dropped.closed).toEqual({ code: 1006, reason: "" })
      expect(yield* dropped.rest).toEqual([])
      const again = yield* open(server.url)
      yield* again.until("session.created")
      yield* again.send({ type: "session.update", session: { type: "realtime", instructions: "Be brief." } })
      yield* again.until("session.updated")
      expect((yield* roundTrip(again)).map((frame) => frame["type"])).toEqual(["input_audio_buffer.cleared"])
    }))

  it.live("dropAfterEvents for K connections, each after its Nth event", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      yield* server.faults.dropAfterEvents(1, 2)
      for (let attempt = 0; attempt < 2; attempt++) {
        const client = yield* open(server.url)
        yield* client.until("session.created")
        expect(yield* client.closed).toEqual({ code: 1006, reason: "" })
      }
      const third = yield* open(server.url)
      yield* third.until("session.created")
      yield* roundTrip(third)
    }))

  it.live("the closeAfterEvents option on the first K connections only", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ faults: { closeAfterEvents: 1, closeAfterEventsConnections: 1 } })
      const first = yield* open(server.url)
      yield* first.until("session.created")
      expect(yield* first.closed).toEqual({ code: 1006, reason: "" })
      const second = yield* open(server.url)
      yield* second.until("session.created")
      yield* roundTrip(second)
      yield* roundTrip(second)
    }))
})

describe("embedded server: pings", () => {
  it.live("pings are answered unless ignored; ignoring switches on and off at run time on open connections", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ faults: { ignorePings: true } })
      const client = yield* open(server.url)
      yield* client.until("session.created")
      // the pong of a ping would arrive before the answer to a frame sent after it
      yield* client.ping
      yield* roundTrip(client)
      expect(client.pongs()).toBe(0)
      yield* server.faults.ignorePings(false)
      yield* client.ping
      yield* client.pong
      expect(client.pongs()).toBe(1)
      yield* server.faults.ignorePings(true)
      yield* client.ping
      yield* roundTrip(client)
      expect(client.pongs()).toBe(1)
      // a connection opened later is ignored as well, until clear
      const later = yield* open(server.url)
      yield* later.until("session.created")
      yield* later.ping
      yield* roundTrip(later)
      expect(later.pongs()).toBe(0)
      yield* server.faults.clear
      yield* later.ping
      yield* later.pong
      expect(later.pongs()).toBe(1)
    }))

  it.live("by default every ping gets its pong", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      const client = yield* open(server.url)
      yield* client.until("session.created")
      yield* client.ping
      yield* client.ping
      yield* client.pong
      yield* client.pong
      expect(client.pongs()).toBe(2)
    }))
})

describe("embedded server: refusing upgrades", () => {
  it.live("refuseNext refuses the next K attempts (503 by default, or the status given), then accepts again", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({})
      yield* server.faults.refuseNext(2)
      expect(yield* upgradeStatus(server.url)).toBe(503)
      expect(yield* upgradeStatus(server.url)).toBe(503)
      expect(yield* upgradeStatus(server.url)).toBe("open")
      yield* server.faults.refuseNext(1, 500)
      expect(yield* upgradeStatus(server.url)).toBe(500)
      expect(yield* upgradeStatus(server.url)).toBe("open")
      expect(yield* server.connectionAttempts).toBe(5)
      expect(yield* server.connectionsAccepted).toBe(2)
    }))

  it.live("refuseReconnects: the first connection is accepted, every later upgrade gets 401", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ faults: { refuseReconnects: 401 } })
      const first = yield* open(server.url)
      yield* first.until("session.created")
      yield* server.faults.dropAll
      yield* first.closed
      expect(yield* upgradeStatus(server.url)).toBe(401)
      expect(yield* upgradeStatus(server.url)).toBe(401)
      expect(yield* server.connectionAttempts).toBe(3)
      expect(yield* server.connectionsAccepted).toBe(1)
    }))

  it.live("refuseFromNow refuses every upgrade (401 by default) until clear; the open connection goes on", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-test" })
      const client = yield* open(server.url)
      yield* client.until("session.created")
      yield* server.faults.refuseFromNow()
      expect(yield* upgradeStatus(server.url)).toBe(401)
      yield* server.faults.refuseFromNow(403)
      expect(yield* upgradeStatus(server.url)).toBe(403)
      yield* roundTrip(client)
      yield* server.faults.clear
      expect(yield* upgradeStatus(server.url)).toBe("open")
      expect(yield* server.connectionAttempts).toBe(4)
      expect(yield* server.connectionsAccepted).toBe(2)
    }))

  it.live("the counters count refusals for a wrong key too", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-other" })
      expect(yield* upgradeStatus(server.url)).toBe(401)
      expect(yield* server.connectionAttempts).toBe(1)
      expect(yield* server.connectionsAccepted).toBe(0)
      expect(yield* server.connections).toBe(0)
    }))
})
