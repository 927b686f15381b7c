/**
 * GeminiAuthTokens against the embedded server's Gemini front-end: a token minted with the key
 * opens a constrained session (Google's own client too), as many times as its `uses`, until its
 * `newSessionExpireTime`; the sessions it opened end at its `expireTime` (time from the Clock);
 * a refused key is a typed error; the key comes from GEMINI_API_KEY, then GOOGLE_API_KEY.
 */
import { describe, expect, it } from "@effect/vitest"
import { GoogleGenAI } from "@google/genai"
import type { LiveServerMessage } from "@google/genai"
import { ConfigProvider, DateTime, Effect, Layer, Queue, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { inspect } from "node:util"
import * as GeminiAuthTokens from "../src/GeminiAuthTokens.js"
import * as Close from "../src/internal/gemini/close.js"
import * as RealtimeServer from "../src/RealtimeServer.js"
import { initial } from "./gemini/support.js"
import { content, has, key, setup, userTurn } from "./server/geminiSupport.js"
import { open } from "./server/wsClient.js"
import { takeUntil } from "./support/queues.js"

const service = Effect.gen(function*() {
  return yield* GeminiAuthTokens.GeminiAuthTokens
})

/** An embedded server needing `key`, and the minting service pointed at it with `mintingKey`. */
const minting = (mintingKey = key) =>
  Effect.gen(function*() {
    const server = yield* RealtimeServer.make({ apiKey: key, speed: 100 })
    const tokens = yield* Effect.provide(
      service,
      GeminiAuthTokens.layer({ apiKey: Redacted.make(mintingKey), apiUrl: server.geminiApiUrl }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    return { server, tokens }
  })

/** A raw client of the constrained endpoint with this token, no key. */
const constrained = (server: RealtimeServer.RealtimeServer, token: string) =>
  open(
    `ws://127.0.0.1:${server.port}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=${token}`,
    {}
  )

const fatal = (close: { readonly code: number; readonly reason: string }) => Close.classify(initial(), close)._tag

describe("GeminiAuthTokens", () => {
  it.live("a minted token opens one session on the constrained endpoint, and a turn in it; a second use is refused", () =>
    Effect.gen(function*() {
      const { server, tokens } = yield* minting()
      const token = yield* tokens.create()
      expect(Redacted.value(token.name)).toMatch(/^auth_tokens\/[a-z0-9]{24}$/)
      expect(inspect(token)).not.toContain(Redacted.value(token.name))
      expect(token.uses).toBe(1)
      const client = yield* constrained(server, Redacted.value(token.name))
      yield* client.send(setup({ outputAudioTranscription: {} }))
      yield* client.until(has("setupComplete"))
      yield* client.send(userTurn("hi"))
      yield* client.until(content("turnComplete"))
      const again = yield* constrained(server, Redacted.value(token.name))
      yield* again.send(setup())
      const closed = yield* again.closed
      expect(closed).toEqual({ code: 1008, reason: "The access token has no uses left." })
      expect(fatal(closed)).toBe("Fatal")
      // a token this server never minted
      const unknown = yield* constrained(server, "auth_tokens/not-minted-here")
      yield* unknown.send(setup())
      expect(yield* unknown.closed).toEqual({ code: 1008, reason: "The access token is invalid or has expired." })
    }).pipe(Effect.scoped))

  it.live("Google's client mints with authTokens.create and connects with the token", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, speed: 100 })
      const google = new GoogleGenAI({
        apiKey: key,
        httpOptions: { baseUrl: server.geminiApiUrl, apiVersion: "v1alpha" }
      })
      const token = yield* Effect.promise(() => google.authTokens.create({ config: { uses: 2 } }))
      expect(token.name).toMatch(/^auth_tokens\//)
      const messages = yield* Queue.unbounded<LiveServerMessage>()
      const browser = new GoogleGenAI({
        apiKey: token.name ?? "",
        httpOptions: { baseUrl: server.geminiApiUrl, apiVersion: "v1alpha" }
      })
      const session = yield* Effect.acquireRelease(
        Effect.promise(() =>
          browser.live.connect({
            model: "gemini-3.8-live",
            callbacks: { onmessage: (message) => Queue.offerUnsafe(messages, message) }
          })
        ),
        (session) => Effect.sync(() => session.close())
      )
      const [ready] = yield* takeUntil(messages, (message) => message.setupComplete !== undefined)
      expect(ready?.setupComplete).toEqual({})
      session.sendClientContent({ turns: "hello", turnComplete: true })
      yield* takeUntil(messages, (message) => message.serverContent?.turnComplete === true)
    }).pipe(Effect.scoped))

  it.effect("time from the Clock: new sessions until newSessionExpireTime, sessions end at expireTime", () =>
    Effect.gen(function*() {
      const { server, tokens } = yield* minting()
      const token = yield* tokens.create({ uses: 0, newSessionsFor: "10 seconds", expiresAfter: "1 minute" })
      expect(DateTime.toEpochMillis(token.newSessionExpiresAt)).toBe(10_000)
      expect(DateTime.toEpochMillis(token.expiresAt)).toBe(60_000)
      const name = Redacted.value(token.name)
      const first = yield* constrained(server, name)
      yield* first.send(setup())
      yield* first.until(has("setupComplete"))
      yield* TestClock.adjust("9999 millis")
      const second = yield* constrained(server, name)
      yield* second.send(setup())
      yield* second.until(has("setupComplete"))
      yield* TestClock.adjust("1 milli")
      const late = yield* constrained(server, name)
      yield* late.send(setup())
      expect(yield* late.closed).toEqual({ code: 1008, reason: "The access token has expired for new sessions." })
      yield* TestClock.adjust("50 seconds")
      expect(yield* first.closed).toEqual({ code: 1008, reason: "The access token has expired." })
      expect(yield* second.closed).toEqual({ code: 1008, reason: "The access token has expired." })
    }).pipe(Effect.scoped))

  it.live("a wrong key is a typed Unauthorized error; bad options are refused before anything is sent", () =>
    Effect.gen(function*() {
      const { tokens } = yield* minting("wrong-key")
      const refused = yield* Effect.flip(tokens.create())
      expect(refused).toMatchObject({
        _tag: "AuthTokenError",
        reason: "Unauthorized",
        status: 400,
        googleStatus: "INVALID_ARGUMENT"
      })
      expect(refused.message).toContain("API key not valid")
      const invalid = yield* Effect.flip(tokens.create({ uses: -1 }))
      expect(invalid.reason).toBe("InvalidSettings")
    }).pipe(Effect.scoped))

  it.live("layerConfig: the key from GEMINI_API_KEY, else GOOGLE_API_KEY", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      for (const env of [{ GEMINI_API_KEY: key, GOOGLE_API_KEY: "other" }, { GOOGLE_API_KEY: key }]) {
        const tokens = yield* Effect.provide(
          service,
          GeminiAuthTokens.layerConfig({ apiUrl: server.geminiApiUrl }).pipe(
            Layer.provide(FetchHttpClient.layer),
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
          )
        )
        const token = yield* tokens.create()
        expect(Redacted.value(token.name)).toMatch(/^auth_tokens\//)
      }
    }).pipe(Effect.scoped))
})
