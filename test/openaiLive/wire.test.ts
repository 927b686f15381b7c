/**
 * The Live wire: the endpoint's URLs (as the `openai` package builds them), the auth header, the
 * decoding of each kind of frame, and the encoding of client frames.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Wire from "../../src/internal/openaiLive/wire.js"

describe("sessionUrl", () => {
  it("a new session: <base>/live/sessions, no query (the model goes in session.start)", () => {
    expect(Wire.sessionUrl()).toBe("wss://api.openai.com/v1/live/sessions")
    expect(Wire.sessionUrl("https://proxy.example/openai/v1/")).toBe("wss://proxy.example/openai/v1/live/sessions")
    expect(Wire.sessionUrl("http://127.0.0.1:8080/v1")).toBe("ws://127.0.0.1:8080/v1/live/sessions")
  })

  it("a fork of a stored session: <base>/live/sessions/<id>/fork, the id escaped", () => {
    expect(Wire.sessionUrl(undefined, "live_SQ1")).toBe("wss://api.openai.com/v1/live/sessions/live_SQ1/fork")
    expect(Wire.sessionUrl("ws://127.0.0.1:9/v1", "a/b")).toBe("ws://127.0.0.1:9/v1/live/sessions/a%2Fb/fork")
  })

  it("the key goes as a bearer token", () => {
    expect(Wire.authHeaders("sk-test")).toEqual({ Authorization: "Bearer sk-test" })
  })
})

describe("decodeServerFrame", () => {
  it("sorts frames into read, passed, unknown and malformed", () => {
    expect(Wire.decodeServerFrame(JSON.stringify({ type: "session.output_audio.delta", delta: "AAAA" }))).toEqual({
      _tag: "Read",
      event: { type: "session.output_audio.delta", delta: "AAAA" },
      json: { type: "session.output_audio.delta", delta: "AAAA" }
    })
    expect(Wire.decodeServerFrame(JSON.stringify({ type: "info", event_id: "e", code: "c", message: "m" })))
      .toMatchObject({ _tag: "Pass", type: "info" })
    expect(Wire.decodeServerFrame(JSON.stringify({ type: "brand.new" }))).toMatchObject({
      _tag: "Unknown",
      type: "brand.new"
    })
    expect(Wire.decodeServerFrame(JSON.stringify({ kind: "x" }))).toMatchObject({ _tag: "Unknown", type: null })
    expect(Wire.decodeServerFrame("nope")).toMatchObject({ _tag: "Malformed", type: null, json: "nope" })
    expect(Wire.decodeServerFrame(JSON.stringify({ type: "session.started", session: {} }))).toMatchObject({
      _tag: "Malformed",
      type: "session.started"
    })
  })

  it("every read type has a schema and every type is either read or passed", () => {
    const read = Object.entries(Wire.serverEventTypes).filter(([, handling]) => handling === "read").map(([type]) =>
      type
    )
    expect(read.sort()).toEqual(Object.keys(Wire.readSchemas).sort())
    expect(Object.keys(Wire.serverEventTypes)).toHaveLength(28)
  })
})

describe("encodeClientFrame", () => {
  it("a Live event as its JSON; a raw message as given", () => {
    expect(Wire.encodeClientFrame(Wire.live({ type: "session.close", event_id: "c1" }))).toBe(
      "{\"type\":\"session.close\",\"event_id\":\"c1\"}"
    )
    expect(Wire.encodeClientFrame({ _tag: "Raw", json: { type: "x", a: 1 } })).toBe("{\"type\":\"x\",\"a\":1}")
  })
})
