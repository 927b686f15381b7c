/**
 * The protocol's endpoint and frames against OpenAI's own client: the `openai` package (a dev
 * dependency) connects its Live WebSocket (`LiveWS`, and `ForksWS` for a stored session's fork)
 * to the tests' loopback WebSocket server on 127.0.0.1, which records the upgrade's path and
 * headers and the frames it receives. The protocol's URL, auth header and opening frames must be
 * what that client sends.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue } from "effect"
import OpenAI from "openai"
import { ForksWS } from "openai/resources/live/forks/ws"
import type * as Live from "openai/resources/live/live"
import { LiveWS } from "openai/resources/live/ws"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Wire from "../../src/internal/openaiLive/wire.js"
import * as Loopback from "../support/loopbackServer.js"
import { framesOf, initial, ready } from "./support.js"

/** The shared loopback server, and an OpenAI client whose base URL points at it. */
const referenceServer = Effect.gen(function*() {
  const server = yield* Loopback.make()
  const base = `http://127.0.0.1:${server.port}/v1`
  return { base, client: new OpenAI({ apiKey: "sk-test", baseURL: base }), server }
})

/** Closes a client of the package when the scope closes. */
const scopedClient = <A extends { close: () => void }>(make: () => A) =>
  Effect.acquireRelease(Effect.sync(make), (socket) => Effect.sync(() => socket.close()))

describe("OpenAI Live against the openai package's client", () => {
  it.effect("a new session: the same URL, auth header and session.start", () =>
    Effect.gen(function*() {
      const server = yield* referenceServer
      const live = yield* scopedClient(() => new LiveWS(server.client))
      const connection = yield* Queue.take(server.server.connections)
      expect(connection.request.url).toBe(new URL(Wire.sessionUrl(server.base)).pathname)
      expect(connection.request.url).toBe("/v1/live/sessions")
      expect(connection.request.headers.authorization).toBe(Wire.authHeaders("sk-test").Authorization)

      const open = Protocol.open(initial({ instructions: "Be brief.", voice: "marin", tools: [{ name: "ping" }] }))
      const ours = framesOf(open)
      const start = ours[0] as Live.ClientEvent
      live.send(start)
      expect(yield* Queue.take(connection.frames)).toEqual(start)
      expect(ours).toHaveLength(1)
    }).pipe(Effect.scoped))

  it.effect("a fork: the same URL and auth header", () =>
    Effect.gen(function*() {
      const server = yield* referenceServer
      const state = { ...ready({}, { store: true }), ready: false }
      const open = Protocol.open(state)
      expect(open.forkOf).toBe("live_sess_1")
      const fork = yield* scopedClient(() => new ForksWS(server.client, { session_id: "live_sess_1" }))
      const connection = yield* Queue.take(server.server.connections)
      expect(connection.request.url).toBe(new URL(Wire.sessionUrl(server.base, "live_sess_1")).pathname)
      expect(connection.request.url).toBe("/v1/live/sessions/live_sess_1/fork")
      expect(connection.request.headers.authorization).toBe("Bearer sk-test")
      const start = framesOf(open)[0] as Live.ForkSessionStartEvent
      fork.send(start)
      expect(yield* Queue.take(connection.frames)).toEqual({
        type: "session.start",
        session: { audio: { format: { type: "audio/pcm", rate: 24000 } } }
      })
    }).pipe(Effect.scoped))
})
