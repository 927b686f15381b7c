/**
 * `OpenAILive` before anything is dialled: the settings Live cannot honour, a missing key, a call
 * id, a browser's WebSocket (which cannot send the `Authorization` header Live needs) all fail the
 * connect with a typed error, and nothing is dialled.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Socket from "effect/socket/Socket"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAILive from "../../src/OpenAILive.js"
import type { RealtimeModelConfig } from "../../src/RealtimeModel.js"
import * as RealtimeWebSocket from "../../src/RealtimeWebSocket.js"

/** A WebSocket constructor that counts its dials and never opens one. */
const counting = () => {
  let dials = 0
  const layer = RealtimeWebSocket.layerWebSocketConstructor({ credentials: "protocols" }).pipe(
    Layer.provide(
      Layer.succeed(Socket.WebSocketConstructor)(() => {
        dials++
        throw new Error("no socket in this test")
      })
    )
  )
  return { layer, dials: () => dials }
}

const refusal = (config: RealtimeModelConfig, options: OpenAILive.OpenAILiveOptions = {}) =>
  Effect.gen(function*() {
    const model = yield* OpenAILive.make(options).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    return yield* Effect.flip(model.connect(config))
  })

describe("OpenAILive: refused before dialling", () => {
  it.effect("settings Live cannot honour: InvalidConfig naming each", () =>
    Effect.gen(function*() {
      const error = yield* refusal({
        apiKey: "sk-live",
        initialSettings: { prompt: { id: "pmpt_1" }, outputModalities: ["text"] }
      })
      expect(error).toMatchObject({ _tag: "RealtimeConnectError", reason: "InvalidConfig" })
      expect(error.message).toContain("prompt")
      expect(error.message).toContain("outputModalities")
    }).pipe(Effect.scoped))

  it.effect("no key for OpenAI's host: MissingApiKey; a call id: InvalidConfig", () =>
    Effect.gen(function*() {
      const missing = yield* refusal({}, { apiKey: "" })
      expect(missing).toMatchObject({ reason: "MissingApiKey" })
      expect(missing.message).toContain("OPENAI_API_KEY")
      const call = yield* refusal({ apiKey: "sk-live", callId: "rtc_1" })
      expect(call).toMatchObject({ reason: "InvalidConfig" })
      expect(call.message).toContain("callId")
    }).pipe(Effect.scoped))

  it.effect("a browser's WebSocket: InvalidConfig, and nothing dialled", () =>
    Effect.gen(function*() {
      const browser = counting()
      const model = yield* OpenAILive.make({ apiKey: "sk-live" }).pipe(Effect.provide(browser.layer))
      const error = yield* Effect.flip(model.connect())
      expect(error).toMatchObject({ reason: "InvalidConfig" })
      expect(error.message).toContain("Authorization")
      expect(browser.dials()).toBe(0)
      expect(yield* model.status).toBe("disconnected")
    }).pipe(Effect.scoped))

  it.effect("plain ws:// with a key to a host that is not loopback: InsecureTransport", () =>
    Effect.gen(function*() {
      const error = yield* refusal({ apiKey: "sk-live", url: "ws://live.example.com/v1/live/sessions" })
      expect(error).toMatchObject({ reason: "InsecureTransport" })
    }).pipe(Effect.scoped))
})
