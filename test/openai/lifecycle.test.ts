import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Queue, Scope, Stream } from "effect"
import * as Ending from "../../src/internal/engine/ending.js"
import * as EventHub from "../../src/internal/eventHub.js"
import * as Connection from "../../src/internal/openai/connection.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelService } from "../../src/RealtimeModel.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as Loopback from "../support/loopbackServer.js"
import { connectHarness } from "./harness.js"

const audio = Send.SendAudio.make({ audio: new Uint8Array(2) })

describe("connection lifecycle: nothing waits without a way out", () => {
  it.effect("a close during the handshake ends connect with Closed", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make({ neverAnswer: true })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const attempt = yield* Effect.forkChild(Effect.flip(model.connect({ apiKey: "k", url: loopback.url })))
      yield* Queue.take(loopback.upgrades)
      expect(yield* model.status).toBe("connecting")
      yield* model.close
      expect((yield* Fiber.join(attempt)).reason).toBe("Closed")
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("closing the model's scope while connecting ends connect with Closed", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make({ neverAnswer: true })
      const outer = yield* Effect.scope
      // the model lives in an inner scope; the connection attempt in the test's scope
      const attempt = yield* Effect.scoped(Effect.gen(function*() {
        const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        const attempt = yield* Effect.forkIn(
          Effect.flip(Scope.provide(model.connect({ apiKey: "k", url: loopback.url }), outer)),
          outer
        )
        yield* Queue.take(loopback.upgrades)
        return attempt
      }))
      expect((yield* Fiber.join(attempt)).reason).toBe("Closed")
    }))

  it.effect("connect in a scope that is already closed fails with Closed and leaves the model idle", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const gone = yield* Scope.make()
      yield* Scope.close(gone, Exit.void)
      expect((yield* Effect.flip(Scope.provide(model.connect({ apiKey: "k", url: loopback.url }), gone))).reason).toBe(
        "Closed"
      )
      expect(yield* model.status).toBe("disconnected")
      yield* model.connect({ apiKey: "k", url: loopback.url })
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("closing the model's scope ends every listener's stream; the model then refuses typed", () =>
    Effect.gen(function*() {
      const loopback = yield* Loopback.make()
      const listenerScope = yield* Effect.scope
      const { early, late, model } = yield* Effect.scoped(Effect.gen(function*() {
        const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        const early = yield* Effect.forkIn(
          Stream.runCollect(yield* Scope.provide(model.subscribe, listenerScope)),
          listenerScope
        )
        yield* Effect.scoped(model.connect({ apiKey: "k", url: loopback.url }))
        // subscribed after the connection ended: only the model's scope can end this one
        const late = yield* Effect.forkIn(
          Stream.runCollect(yield* Scope.provide(model.subscribe, listenerScope)),
          listenerScope
        )
        return { early, late, model }
      }))
      expect((yield* Fiber.join(early)).map((event) => event._tag)).toEqual([
        "ConnectionStatusChanged",
        "ConnectionStatusChanged",
        "ConnectionStatusChanged",
        "EndOfStream"
      ])
      expect((yield* Fiber.join(late)).map((event) => event._tag)).toEqual(["EndOfStream"])
      expect((yield* Effect.flip(model.connect({ apiKey: "k", url: loopback.url }))).reason).toBe("Closed")
      expect((yield* Effect.flip(model.sendEvent(audio))).reason).toBe("Closed")
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("sends waiting on a connection that stops end with Closed; later ones are refused at once", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const writing = yield* Deferred.make<void>()
      const span = yield* Effect.makeSpanScoped("test")
      // a socket whose writes never complete: the owner is stuck on the first send
      const connection = yield* Connection.make({
        hub,
        write: () => Effect.andThen(Deferred.succeed(writing, undefined), Effect.never),
        settings: {},
        customTracker: undefined,
        span
      })
      const queued = yield* Effect.forEach(
        [1, 2, 3],
        () => Effect.forkChild(Effect.flip(connection.send(audio)), { startImmediately: true })
      )
      const owner = yield* Effect.forkChild(connection.run)
      yield* Deferred.await(writing)
      const late = yield* Effect.forkChild(Effect.flip(connection.send(audio)), { startImmediately: true })
      yield* Fiber.interrupt(owner)
      for (const fiber of [...queued, late]) expect((yield* Fiber.join(fiber)).reason).toBe("Closed")
      expect((yield* Effect.flip(connection.send(audio))).reason).toBe("Closed")
      expect(yield* connection.deliver(["{}"])).toBe(false)
      expect(yield* connection.bookkeeping).toEqual({ audioItems: 0, interruptedResponses: 0, responseSpans: 0 })
    }))

  it.effect("the socket's end stops the owner, which refuses what comes after it", () =>
    Effect.gen(function*() {
      const hub = yield* EventHub.make()
      const span = yield* Effect.makeSpanScoped("test")
      const connection = yield* Connection.make({
        hub,
        write: () => Effect.void,
        settings: {},
        customTracker: undefined,
        span
      })
      yield* connection.deliver([{ _tag: "Closed", by: "server", code: 4000, reason: "bye" }])
      const after = yield* Effect.forkChild(Effect.flip(connection.send(audio)), { startImmediately: true })
      const outcome = yield* connection.run
      expect(outcome).toMatchObject({
        _tag: "Lost",
        lost: { _tag: "RealtimeConnectionLost", reason: "ServerClosed", code: 4000, closeReason: "bye" }
      })
      expect((yield* Fiber.join(after)).reason).toBe("Closed")
    }))

  it.effect("a send while connecting fails with NotConnected at once; a close then lets the model connect again", () =>
    Effect.gen(function*() {
      const stalled = yield* Loopback.make({ neverAnswer: true })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const attempt = yield* Effect.forkChild(Effect.flip(model.connect({ apiKey: "k", url: stalled.url })))
      yield* Queue.take(stalled.upgrades)
      expect((yield* Effect.flip(model.sendEvent(audio))).reason).toBe("NotConnected")
      yield* model.close
      expect((yield* Fiber.join(attempt)).reason).toBe("Closed")
      const loopback = yield* Loopback.make()
      yield* model.connect({ apiKey: "k", url: loopback.url })
      yield* Queue.take(loopback.connections)
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("closing the model's scope ends listeners subscribed from elsewhere, in every state", () =>
    Effect.gen(function*() {
      const listenerScope = yield* Effect.scope
      const tagsWhenClosed = (setup: (model: RealtimeModelService) => Effect.Effect<void, never, Scope.Scope>) =>
        Effect.gen(function*() {
          const listener = yield* Effect.scoped(Effect.gen(function*() {
            const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
            const stream = yield* Scope.provide(model.subscribe, listenerScope)
            const listener = yield* Effect.forkIn(Stream.runCollect(stream), listenerScope)
            yield* setup(model)
            return listener
          }))
          return (yield* Fiber.join(listener)).map((event) =>
            event._tag === "ConnectionStatusChanged" ? event.status : event._tag
          )
        })
      // idle: never connected
      expect(yield* tagsWhenClosed(() => Effect.void)).toEqual(["EndOfStream"])
      // after a failed connect
      const port = yield* Effect.scoped(Effect.map(Loopback.make(), (server) => server.port))
      expect(
        yield* tagsWhenClosed((model) => Effect.ignore(model.connect({ apiKey: "k", url: `ws://127.0.0.1:${port}/` })))
      )
        .toEqual(["connecting", "disconnected", "EndOfStream"])
      // while connecting
      const stalled = yield* Loopback.make({ neverAnswer: true })
      expect(
        yield* tagsWhenClosed((model) =>
          Effect.gen(function*() {
            yield* Effect.forkIn(Effect.ignore(model.connect({ apiKey: "k", url: stalled.url })), listenerScope)
            yield* Queue.take(stalled.upgrades)
          })
        )
      ).toEqual(["connecting", "disconnected", "EndOfStream"])
      // open
      const loopback = yield* Loopback.make()
      expect(yield* tagsWhenClosed((model) => Effect.orDie(model.connect({ apiKey: "k", url: loopback.url }))))
        .toEqual(["connecting", "connected", "disconnected", "EndOfStream"])
    }))

  it.effect("connection-lost errors say who ended the connection and why", () =>
    Effect.gen(function*() {
      const lost = (by: "server" | "transport", code: number | undefined, reason: string | undefined) =>
        Ending.connectionLost({ _tag: "Closed", by, code, reason }).message
      expect(lost("server", 4001, "going away")).toBe("the server closed the connection (code 4001: going away)")
      expect(lost("server", 1000, undefined)).toBe("the server closed the connection (code 1000)")
      expect(lost("transport", 1006, undefined)).toBe("the connection dropped without a close frame (code 1006)")
      expect(lost("transport", undefined, "read ECONNRESET")).toBe("the client lost the connection (read ECONNRESET)")
      expect(lost("transport", undefined, undefined)).toBe("the client lost the connection")
      // on a real socket
      const { next, server } = yield* connectHarness()
      yield* server.close(4002)
      const error = (yield* next("ErrorEvent")).error
      expect(error).toMatchObject({
        _tag: "RealtimeConnectionLost",
        code: 4002,
        message: "the server closed the connection (code 4002)"
      })
    }))
})
