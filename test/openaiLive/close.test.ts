/**
 * How a Live connection's end is classified: by the reason of its `session.closed` when it came,
 * else by the WebSocket close (before or after the session started, on a new session or a fork),
 * and a refused upgrade by its HTTP status.
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Live from "openai/resources/live/live"
import * as Close from "../../src/internal/openaiLive/close.js"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import * as OpenAILiveWire from "../../src/internal/openaiLive/wire.js"
import { RealtimeConnectError, RealtimeConnectionLost } from "../../src/RealtimeError.js"
import { closed, initial, ready } from "./support.js"

const afterClosed = (reason: Parameters<typeof closed>[0]) =>
  Receive.receive(ready(), JSON.stringify(closed(reason))).state

const tagOf = (classified: Close.Classified) => classified._tag

describe("classify", () => {
  it("session.closed decides, whatever the close code", () => {
    const normal = { code: 1000, reason: "" }
    expect(tagOf(Close.classify(afterClosed("close_requested"), normal))).toBe("Ended")
    expect(tagOf(Close.classify(afterClosed("remote_hangup"), normal))).toBe("Ended")
    expect(tagOf(Close.classify(afterClosed("expired"), normal))).toBe("Expired")
    expect(tagOf(Close.classify(afterClosed("content"), { code: 1008, reason: "policy" }))).toBe("Fatal")
    expect(tagOf(Close.classify(afterClosed("connection_lost"), { code: 1006, reason: undefined }))).toBe("Retryable")
    expect(Close.classify(afterClosed("content"), normal).message).toBe("the session was ended by a safety filter")
  })

  it("a reason the package does not know is retryable (the reconnect schedule bounds it)", () => {
    const state = Receive.receive(ready(), JSON.stringify({ ...closed("expired"), reason: "maintenance" })).state
    expect(Close.classify(state, { code: 1000, reason: "" })).toEqual({
      _tag: "Retryable",
      message: "the session closed (maintenance)"
    })
  })

  it("without session.closed: drops and restarts are retryable", () => {
    for (const code of [undefined, 1000, 1001, 1006, 1011, 1012, 1013, 1014, 4000]) {
      expect(tagOf(Close.classify(ready(), { code, reason: undefined }))).toBe("Retryable")
    }
    expect(Close.classify(ready(), { code: undefined, reason: undefined }).message).toBe(
      "the connection dropped without a close frame"
    )
  })

  it("a refused key, or frames the server cannot take, are fatal", () => {
    expect(Close.classify(ready(), { code: 1008, reason: "Invalid API key" })).toEqual({
      _tag: "Fatal",
      message: "the server closed the connection (1008: Invalid API key): the key was refused"
    })
    for (const code of [1002, 1003, 1009]) expect(tagOf(Close.classify(ready(), { code, reason: "" }))).toBe("Fatal")
  })

  it("1007/1008: a start refused or a session ended on purpose (fatal), or a fork refused (expired)", () => {
    const starting = Protocol.open(initial()).state
    expect(tagOf(Close.classify(starting, { code: 1008, reason: "bad session" }))).toBe("Fatal")
    const forking = { ...starting, forking: true }
    expect(tagOf(Close.classify(forking, { code: 1007, reason: "cannot fork" }))).toBe("Expired")
    expect(Close.classify(ready(), { code: 1008, reason: "" })).toEqual({
      _tag: "Fatal",
      message: "the server closed the connection (1008): the server ended the session"
    })
  })
})

describe("classifyHandshake", () => {
  it("400, 401, 403, 404 are fatal; 404 of a fork is expired; 429 and 5xx retryable", () => {
    const state = initial()
    for (const status of [400, 401, 403, 404]) expect(tagOf(Close.classifyHandshake(state, status))).toBe("Fatal")
    expect(tagOf(Close.classifyHandshake({ ...state, forking: true }, 404))).toBe("Expired")
    for (const status of [429, 500, 502, 503]) expect(tagOf(Close.classifyHandshake(state, status))).toBe("Retryable")
  })
})

describe("closeFrame", () => {
  it("is session.close, whose answer (session.closed close_requested) ends the call", () => {
    expect(JSON.parse(OpenAILiveWire.encodeClientFrame(Protocol.closeFrame()))).toEqual(
      { type: "session.close" } satisfies Live.ClientEvent
    )
    expect(tagOf(Close.classify(afterClosed("close_requested"), { code: 1000, reason: "" }))).toBe("Ended")
  })
})

describe("classifyFailure", () => {
  it("a lost connection: session.closed first, then the keepalive, the frame size, the close code", () => {
    const lost = (reason: RealtimeConnectionLost["reason"], code?: number) =>
      new RealtimeConnectionLost({ reason, message: `lost: ${reason}`, ...(code === undefined ? {} : { code }) })
    expect(tagOf(Close.classifyFailure(afterClosed("remote_hangup"), lost("Dropped")))).toBe("Ended")
    expect(tagOf(Close.classifyFailure(ready(), lost("KeepaliveTimeout")))).toBe("Retryable")
    expect(tagOf(Close.classifyFailure(ready(), lost("FrameTooLarge")))).toBe("Fatal")
    expect(tagOf(Close.classifyFailure(ready(), lost("ServerClosed", 1012)))).toBe("Retryable")
    expect(tagOf(Close.classifyFailure(ready(), lost("ServerClosed", 1008)))).toBe("Fatal")
  })

  it("a failed dial: network trouble retryable, the handshake by its status, the rest fatal", () => {
    const dial = (reason: RealtimeConnectError["reason"], status?: number) =>
      new RealtimeConnectError({ reason, message: `dial: ${reason}`, ...(status === undefined ? {} : { status }) })
    const state = initial()
    for (const reason of ["Timeout", "Refused", "HostNotFound"] as const) {
      expect(tagOf(Close.classifyFailure(state, dial(reason)))).toBe("Retryable")
    }
    expect(tagOf(Close.classifyFailure(state, dial("Handshake", 503)))).toBe("Retryable")
    expect(tagOf(Close.classifyFailure(state, dial("Unauthorized", 401)))).toBe("Fatal")
    expect(tagOf(Close.classifyFailure({ ...state, forking: true }, dial("Handshake", 404)))).toBe("Expired")
    for (const reason of ["MissingApiKey", "InvalidConfig", "InsecureTransport"] as const) {
      expect(Close.classifyFailure(state, dial(reason))).toEqual({ _tag: "Fatal", message: `dial: ${reason}` })
    }
  })
})
