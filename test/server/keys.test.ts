import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Result, Stream } from "effect"
import * as Handshake from "../../src/internal/realtime/handshake.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import { RealtimeModel, resolveApiKey } from "../../src/RealtimeModel.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"

/** Runs with exactly these environment variables visible to `Config`. */
const withEnv = (env: Record<string, string>) =>
  Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

describe("API keys: asked for only where one is needed", () => {
  it.live("a keyless loopback server just works with connect({ url }) and no OPENAI_API_KEY", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ speed: 50, rules: [{ match: "hello", reply: "Hi." }] })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const events = yield* model.subscribe
      yield* model.connect({ url: server.url })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hello" }))
      const transcript = yield* events.pipe(
        Stream.takeUntil((event) => event._tag === "TurnEnded"),
        Stream.filterMap((event) => event._tag === "TranscriptDelta" ? Result.succeed(event.delta) : Result.failVoid),
        Stream.mkString
      )
      expect(transcript).toBe("Hi.")
      // no key went over the wire
      const received = yield* server.received
      expect(received.length).toBeGreaterThan(0)
    }).pipe(withEnv({})))

  it.live("an empty OPENAI_API_KEY= is no key: a keyless server works, OpenAI's host asks for a key", () =>
    Effect.gen(function*() {
      expect((yield* resolveApiKey(undefined))._tag).toBe("None")
      expect((yield* Handshake.environmentApiKey)._tag).toBe("None")
      expect((yield* resolveApiKey(""))._tag).toBe("None")
      const server = yield* RealtimeServer.make({ speed: 50 })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      yield* model.connect({ url: server.url })
      yield* model.close
      const openai = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(openai.connect())
      expect(error.reason).toBe("MissingApiKey")
      expect(error.message).toContain("OPENAI_API_KEY")
      const explicit = yield* Effect.flip(
        openai.connect({ url: "wss://api.openai.com/v1/realtime?model=gpt-realtime" })
      )
      expect(explicit.reason).toBe("MissingApiKey")
    }).pipe(withEnv({ OPENAI_API_KEY: "" })))

  it.live("a server that refuses the upgrade with 401 gets an error saying a key is needed", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-needed" })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({ url: server.url }))
      expect(error.status).toBe(401)
      expect(error.reason).toBe("MissingApiKey")
      expect(error.message).toMatch(/HTTP 401: it needs an API key/)
    }).pipe(withEnv({})))

  it.live("a wrong key refused with 401 is Unauthorized and says to check the key", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-needed" })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({ url: server.url, apiKey: "sk-wrong" }))
      expect(error.status).toBe(401)
      expect(error.reason).toBe("Unauthorized")
      expect(error.message).toMatch(/check the API key/)
      expect(error.message).not.toContain("sk-wrong")
    }).pipe(withEnv({})))

  it.live("a key in OPENAI_API_KEY is still sent to a loopback server that wants one", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-from-env" })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      yield* model.connect({ url: server.url })
      expect(yield* model.status).toBe("connected")
    }).pipe(withEnv({ OPENAI_API_KEY: "sk-from-env" })))

  it.effect("credentials still never go over plain ws:// to a non-loopback host", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const error = yield* Effect.flip(model.connect({ url: "ws://example.com/v1/realtime" }))
      expect(error.reason).toBe("InsecureTransport")
    }).pipe(withEnv({ OPENAI_API_KEY: "sk-env" })))

  it.live("resolveApiKey never reads the environment: the default key is the OpenAI model's", () =>
    Effect.gen(function*() {
      expect((yield* resolveApiKey(undefined))._tag).toBe("None")
      expect((yield* Handshake.environmentApiKey)._tag).toBe("Some")
    }).pipe(withEnv({ OPENAI_API_KEY: "sk-env" })))

  it.live("make({ apiKey }) is every connection's default key; a connection's own apiKey wins", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-needed" })
      const model = yield* OpenAIRealtime.make({ apiKey: "sk-needed" }).pipe(
        Effect.provide(NodeRealtimeWebSocket.layer)
      )
      yield* model.connect({ url: server.url })
      expect(yield* model.status).toBe("connected")
      yield* model.close
      const error = yield* Effect.flip(model.connect({ url: server.url, apiKey: "sk-wrong" }))
      expect(error.reason).toBe("Unauthorized")
    }).pipe(withEnv({ OPENAI_API_KEY: "sk-env" })))

  it.live("layerConfig reads OPENAI_API_KEY through Config when the layer is built", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-from-config" })
      const context = yield* Layer.build(
        OpenAIRealtime.layerConfig().pipe(Layer.provide(NodeRealtimeWebSocket.layer))
      ).pipe(withEnv({ OPENAI_API_KEY: "sk-from-config" }))
      // the environment is gone by the time of connecting: the key was read with the layer
      yield* Effect.gen(function*() {
        const model = yield* RealtimeModel
        yield* model.connect({ url: server.url })
        expect(yield* model.status).toBe("connected")
      }).pipe(Effect.provide(context), withEnv({}))
    }))

  it.live("layerConfig takes the key as any Config; without one, OpenAI's host asks for a key", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-custom" })
      const custom = yield* Effect.gen(function*() {
        const model = yield* RealtimeModel
        yield* model.connect({ url: server.url })
        return yield* model.status
      }).pipe(
        Effect.provide(
          OpenAIRealtime.layerConfig({ apiKey: Config.option(Config.Redacted("MY_REALTIME_KEY")) }).pipe(
            Layer.provide(NodeRealtimeWebSocket.layer)
          )
        ),
        withEnv({ MY_REALTIME_KEY: "sk-custom", OPENAI_API_KEY: "sk-other" })
      )
      expect(custom).toBe("connected")
      const missing = yield* Effect.gen(function*() {
        const model = yield* RealtimeModel
        return yield* Effect.flip(model.connect())
      }).pipe(
        Effect.provide(OpenAIRealtime.layerConfig().pipe(Layer.provide(NodeRealtimeWebSocket.layer))),
        withEnv({ OPENAI_API_KEY: " " })
      )
      expect(missing.reason).toBe("MissingApiKey")
    }))

  it.live("layerConfig takes a required key as a plain Config; a missing one fails the layer with its ConfigError", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: "sk-required" })
      const RealtimeLive = OpenAIRealtime.layerConfig({ apiKey: Config.Redacted("MY_REQUIRED_KEY") }).pipe(
        Layer.provide(NodeRealtimeWebSocket.layer)
      )
      const status = yield* Effect.gen(function*() {
        const model = yield* RealtimeModel
        yield* model.connect({ url: server.url })
        return yield* model.status
      }).pipe(Effect.provide(RealtimeLive), withEnv({ MY_REQUIRED_KEY: "sk-required" }))
      expect(status).toBe("connected")
      const error = yield* Effect.flip(Layer.build(RealtimeLive).pipe(withEnv({})))
      expect(error._tag).toBe("ConfigError")
      expect(String(error)).toContain("MY_REQUIRED_KEY")
    }))
})
