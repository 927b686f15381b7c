import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Logger, Queue, Redacted, Ref, References, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as BrowserRealtimeWebSocket from "../../src/BrowserRealtimeWebSocket.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeWebSocket from "../../src/RealtimeWebSocket.js"
import * as Loopback from "../support/loopbackServer.js"
import { clientFrameErrors } from "../support/protocolCorpus.js"
import { connectHarness } from "./harness.js"

describe("OpenAIRealtime connection", () => {
  it.effect("connects: connecting → connected, Bearer key, GA session.update with defaults", () =>
    Effect.gen(function*() {
      const { events, model, server } = yield* connectHarness({
        initialSettings: { instructions: "be brief", voice: "cedar" }
      })
      expect(server.request.headers["authorization"]).toBe("Bearer sk-test-key")
      const update = yield* server.next("session.update")
      expect(clientFrameErrors(update)).toEqual([])
      expect(update["session"]).toMatchObject({
        type: "realtime",
        model: "gpt-realtime-2.1",
        instructions: "be brief",
        output_modalities: ["audio"],
        audio: {
          input: {
            format: { type: "audio/pcm", rate: 24000 },
            turn_detection: { type: "semantic_vad", interrupt_response: true }
          },
          output: { format: { type: "audio/pcm", rate: 24000 }, voice: "cedar" }
        }
      })
      const statuses = (yield* Queue.clear(events)).filter((event) => event._tag === "ConnectionStatusChanged")
      expect(statuses.map((event) => event._tag === "ConnectionStatusChanged" ? event.status : "")).toEqual([
        "connecting",
        "connected"
      ])
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("close: disconnected then EndOfStream to every listener, idempotent, later sends fail typed", () =>
    Effect.gen(function*() {
      const { drain, model, next } = yield* connectHarness()
      yield* next("ConnectionStatusChanged") // connecting
      yield* next("ConnectionStatusChanged") // connected
      yield* drain
      const second = yield* Effect.forkChild(Stream.runCollect(yield* model.subscribe))
      yield* model.close
      yield* model.close
      expect((yield* next("ConnectionStatusChanged")).status).toBe("disconnected")
      yield* next("EndOfStream")
      expect((yield* Fiber.join(second)).map((event) => event._tag)).toEqual(["ConnectionStatusChanged", "EndOfStream"])
      const error = yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "hi" })))
      expect(error.reason).toBe("Closed")
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("connect twice fails with AlreadyConnected", () =>
    Effect.gen(function*() {
      const { model } = yield* connectHarness()
      const error = yield* Effect.flip(model.connect({ apiKey: "k", url: "ws://127.0.0.1:1/x" }))
      expect(error.reason).toBe("AlreadyConnected")
    }))

  it.effect("a send before connect fails with NotConnected, never hangs", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.sendEvent(Send.SendAudio.make({ audio: new Uint8Array(4) })))
      expect(error.reason).toBe("NotConnected")
    }))

  it.effect("a server that drops the connection: Error with the close code, disconnected, EndOfStream; sends then fail", () =>
    Effect.gen(function*() {
      const { model, next, server } = yield* connectHarness()
      yield* server.send({
        type: "response.created",
        event_id: "e1",
        response: { id: "resp_1", object: "realtime.response", status: "in_progress" }
      })
      yield* next("TurnStarted")
      yield* server.close(4001, "going away")
      const error = yield* next("ErrorEvent")
      expect(error.error).toMatchObject({
        _tag: "RealtimeConnectionLost",
        reason: "ServerClosed",
        code: 4001,
        closeReason: "going away"
      })
      expect((yield* next("ConnectionStatusChanged")).status).toBe("disconnected")
      yield* next("EndOfStream")
      const sendError = yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "still there?" })))
      expect(sendError.reason).toBe("Closed")
    }))

  it.effect("the connection can be opened again after a close", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      yield* Effect.scoped(model.connect({ apiKey: "k", url: loopback.url }))
      expect(yield* model.status).toBe("disconnected")
      yield* model.connect({ apiKey: "k", url: loopback.url })
      expect(yield* model.status).toBe("connected")
    }))
})

describe("OpenAIRealtime connect failures", () => {
  it.effect("a refused port fails with Refused and leaves the model disconnected", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(Effect.map(Loopback.make(), (server) => server.port))
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const statuses = yield* Effect.forkChild(Stream.runCollect(Stream.take(yield* model.subscribe, 2)))
      const error = yield* Effect.flip(
        model.connect({ apiKey: "sk-secret-1", url: `ws://127.0.0.1:${port}/v1/realtime` })
      )
      expect(error.reason).toBe("Refused")
      expect(error.message).toContain(String(port))
      expect(JSON.stringify(error) + error.message).not.toContain("sk-secret-1")
      expect(yield* Fiber.join(statuses)).toMatchObject([{ status: "connecting" }, { status: "disconnected" }])
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("an unknown host fails with HostNotFound", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({ apiKey: "k", url: "wss://nonexistent.invalid/v1/realtime" }))
      expect(error.reason).toBe("HostNotFound")
    }))

  it.effect.each([401, 403])(
    "an upgrade refused with %d fails with Unauthorized and the status",
    (status) =>
      Effect.gen(function*() {
        const loopback = yield* Loopback.make({ refuseWith: status })
        const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        const error = yield* Effect.flip(model.connect({ apiKey: "sk-secret-2", url: loopback.url }))
        expect(error).toMatchObject({ reason: "Unauthorized", status })
        expect(error.message).not.toContain("sk-secret-2")
      })
  )

  it.effect("an upgrade refused with 500 fails with Handshake", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make({ refuseWith: 500 })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      expect(yield* Effect.flip(model.connect({ apiKey: "k", url: loopback.url }))).toMatchObject({
        reason: "Handshake",
        status: 500
      })
    }))

  it.effect("a handshake that never completes times out on the Clock", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make({ neverAnswer: true })
      const model = yield* OpenAIRealtime.make({ connectTimeout: "5 seconds" }).pipe(
        Effect.provide(NodeRealtimeWebSocket.layer)
      )
      const attempt = yield* Effect.forkChild(Effect.flip(model.connect({ apiKey: "k", url: loopback.url })))
      yield* Queue.take(loopback.upgrades)
      yield* TestClock.adjust("4 seconds")
      expect(attempt.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(attempt)).reason).toBe("Timeout")
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("a scope interrupted while connecting leaves nothing running", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make({ neverAnswer: true })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const events = yield* Effect.forkChild(Stream.runCollect(Stream.take(yield* model.subscribe, 2)))
      const attempt = yield* Effect.forkChild(Effect.scoped(model.connect({ apiKey: "k", url: loopback.url })))
      yield* Queue.take(loopback.upgrades)
      yield* Fiber.interrupt(attempt)
      const exit = yield* Fiber.await(attempt)
      expect(Exit.hasInterrupts(exit)).toBe(true)
      expect(yield* Fiber.join(events)).toMatchObject([{ status: "connecting" }, { status: "disconnected" }])
      expect(yield* model.status).toBe("disconnected")
      // nothing is left holding the model: a new connection attempt is accepted (and fails for its own reason)
      const port = yield* Effect.scoped(Effect.map(Loopback.make(), (server) => server.port))
      expect((yield* Effect.flip(model.connect({ apiKey: "k", url: `ws://127.0.0.1:${port}/` }))).reason).toBe(
        "Refused"
      )
    }))

  it.effect("refuses credentials over plain ws:// to a non-loopback host", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({ apiKey: "k", url: "ws://example.com/v1/realtime" }))
      expect(error.reason).toBe("InsecureTransport")
    }))

  it.effect("asks for a key when there is none", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(
        model.connect({ apiKey: Effect.fail("vault down"), url: "ws://127.0.0.1:1/v1/realtime" })
      )
      expect(error.reason).toBe("MissingApiKey")
    }))

  it.effect("rejects a model name together with a call id, and invalid settings", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const both = yield* Effect.flip(
        model.connect({ apiKey: "k", callId: "rtc_1", initialSettings: { modelName: "gpt-realtime" } })
      )
      expect(both.reason).toBe("InvalidConfig")
      const invalid = yield* Effect.flip(model.connect({ apiKey: "k", initialSettings: { speed: 9 } }))
      expect(invalid.reason).toBe("InvalidConfig")
      expect(invalid.message).toContain("speed")
    }))

  it.effect("refuses a plain API key with the browser layer unless allowed", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(BrowserRealtimeWebSocket.layer()))
      const error = yield* Effect.flip(model.connect({ apiKey: "sk-plain", url: "wss://api.example.com/v1/realtime" }))
      expect(error.reason).toBe("InvalidConfig")
      expect(error.message).not.toContain("sk-plain")
    }))

  it.effect("the browser layer offers the key as a sub-protocol, never a header; a plain key only when allowed", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const browser = yield* OpenAIRealtime.make().pipe(Effect.provide(BrowserRealtimeWebSocket.layer()))
      yield* browser.connect({ apiKey: "ek_client_secret", url: loopback.url })
      const ephemeral = yield* Queue.take(loopback.connections)
      expect(ephemeral.request.headers["sec-websocket-protocol"]).toBe(
        "realtime, openai-insecure-api-key.ek_client_secret"
      )
      expect(ephemeral.request.headers["authorization"]).toBeUndefined()
      const allowed = yield* OpenAIRealtime.make().pipe(
        Effect.provide(BrowserRealtimeWebSocket.layer({ dangerouslyAllowApiKeyInBrowser: true }))
      )
      yield* allowed.connect({ apiKey: "sk-plain", url: loopback.url })
      const plain = yield* Queue.take(loopback.connections)
      expect(plain.request.headers["sec-websocket-protocol"]).toBe("realtime, openai-insecure-api-key.sk-plain")
    }))

  it.effect("any Socket.WebSocketConstructor fits: Effect's Node one over the global WebSocket sends the header", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const model = yield* OpenAIRealtime.make().pipe(
        Effect.provide(
          RealtimeWebSocket.layerWebSocketConstructor({ credentials: "headers" }).pipe(
            Layer.provide(NodeSocket.layerWebSocketConstructor)
          )
        )
      )
      yield* model.connect({ apiKey: "sk-global", url: loopback.url })
      const server = yield* Queue.take(loopback.connections)
      expect(server.request.headers["authorization"]).toBe("Bearer sk-global")
      expect(server.request.headers["sec-websocket-protocol"]).toBeUndefined()
      expect(clientFrameErrors(yield* server.next("session.update"))).toEqual([])
    }))

  it.effect("never writes the key into a log line", () =>
    Effect.gen(function*() {
      const lines = yield* Ref.make<Array<string>>([])
      const logger = Logger.make(({ cause, fiber, message }) => {
        const annotations = fiber.getRef(References.CurrentLogAnnotations)
        Effect.runSync(
          Ref.update(lines, (all) => [...all, JSON.stringify({ message, annotations, cause: Cause.pretty(cause) })])
        )
      })
      const port = yield* Effect.scoped(Effect.map(Loopback.make(), (server) => server.port))
      yield* Effect.gen(function*() {
        const { model, next, server } = yield* connectHarness({ apiKey: Redacted.make("sk-log-secret") })
        yield* server.sendRaw("not json at all")
        yield* next("Exception")
        yield* model.close
        const failing = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        yield* Effect.flip(failing.connect({ apiKey: "sk-log-secret", url: `ws://127.0.0.1:${port}/` }))
      }).pipe(Effect.provide(Logger.layer([logger])), Effect.provideService(References.MinimumLogLevel, "All"))
      const all = (yield* Ref.get(lines)).join("\n")
      expect(all.length).toBeGreaterThan(0)
      expect(all).not.toContain("sk-log-secret")
    }))
})
