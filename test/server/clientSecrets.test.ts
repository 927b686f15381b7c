import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Queue, Redacted, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { TestClock } from "effect/testing"
import { WebSocket } from "ws"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIClientSecrets from "../../src/OpenAIClientSecrets.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { defaultModelName } from "../../src/RealtimeSessionSettings.js"
import { RealtimeServer } from "../../src/testing.js"
import { serverFrameErrors } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"

const key = "sk-server-side-only"

/** An embedded server that needs `key`, and the minting service pointed at its REST API. */
const setup = (options: RealtimeServer.RealtimeServerOptions = { apiKey: key }, mintingKey = key) =>
  Effect.gen(function*() {
    const server = yield* RealtimeServer.make({ speed: 50, ...options })
    const secrets = yield* Effect.provide(
      Effect.gen(function*() {
        return yield* OpenAIClientSecrets.OpenAIClientSecrets
      }),
      OpenAIClientSecrets.layer({ apiKey: Redacted.make(mintingKey), apiUrl: server.apiUrl }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    return { server, secrets }
  })

/** Connects the production model with `apiKey` and records what it emits. */
const connectWith = (server: RealtimeServer.RealtimeServer, apiKey: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* model.connect({ url: server.url, apiKey })
    return { model, until: (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate) }
  })

/** How the server answers a raw upgrade carrying these sub-protocols: `open`, or the HTTP status. */
const upgradeWith = (url: string, protocols: ReadonlyArray<string>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new WebSocket(url, [...protocols])),
    (socket) =>
      Effect.callback<number | "open">((resume) => {
        socket.once("open", () => resume(Effect.succeed("open")))
        socket.once("unexpected-response", (_, response) => resume(Effect.succeed(response.statusCode ?? 0)))
        socket.on("error", () => {})
      }),
    (socket) => Effect.sync(() => socket.terminate())
  )

/** Posts a raw body to the client secrets route, returning the status and the parsed answer. */
const post = (server: RealtimeServer.RealtimeServer, body: string, authorization = `Bearer ${key}`) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.post(`${server.apiUrl}/realtime/client_secrets`).pipe(
        HttpClientRequest.bodyText(body, "application/json"),
        HttpClientRequest.setHeader("authorization", authorization)
      )
    )
    const text = yield* response.text
    return { status: response.status, body: JSON.parse(text) as unknown }
  }).pipe(Effect.orDie, Effect.provide(FetchHttpClient.layer))

describe("embedded server: ephemeral client secrets", () => {
  it.live("mint through OpenAIClientSecrets, connect OpenAIRealtime with the secret, and have a turn in its session", () =>
    Effect.gen(function*() {
      const { secrets, server } = yield* setup({
        apiKey: key,
        rules: [{ match: "opening hours", reply: "We open at nine." }]
      })
      const before = yield* DateTime.now
      const secret = yield* secrets.create({
        session: { instructions: "You answer the shop's web chat.", voice: "cedar" },
        expiresAfter: "1 minute"
      })
      expect(Redacted.value(secret.value)).toMatch(/^ek_[A-Za-z0-9]{32}$/)
      expect(secret.model).toBe(defaultModelName)
      expect(secret.sessionId).toMatch(/^sess_/)
      const after = yield* DateTime.now
      // the API gives the expiry in whole epoch seconds: a minute after the second of minting
      const wholeSecond = (time: DateTime.Utc) => Math.floor(DateTime.toEpochMillis(time) / 1000) * 1000
      const expiresAt = DateTime.toEpochMillis(secret.expiresAt)
      expect(expiresAt).toBeGreaterThanOrEqual(wholeSecond(before) + 60_000)
      expect(expiresAt).toBeLessThanOrEqual(wholeSecond(after) + 60_000)

      const { model, until } = yield* connectWith(server, secret.value)
      expect(yield* model.status).toBe("connected")
      const opened = yield* until((event) =>
        event._tag === "RawServerEvent" && (event.data as { type?: string }).type === "session.created"
      )
      const created = opened.flatMap((event) =>
        event._tag === "RawServerEvent" ? [event.data as Record<string, unknown>] : []
      ).at(-1) ?? {}
      // the session starts from the configuration the secret was minted with
      expect(created["session"]).toMatchObject({
        model: defaultModelName,
        instructions: "You answer the shop's web chat.",
        audio: { output: { voice: "cedar" } }
      })
      expect(serverFrameErrors(created)).toEqual([])
      yield* model.sendEvent(Send.UserInput.make({ userInput: "What are your opening hours?" }))
      const turn = yield* until((event) =>
        event._tag === "TurnEnded"
      )
      expect(turn.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")).toBe(
        "We open at nine."
      )
      // the browser's way: the secret as a sub-protocol
      expect(yield* upgradeWith(server.url, ["realtime", `openai-insecure-api-key.${Redacted.value(secret.value)}`]))
        .toBe("open")
    }))

  it.effect("a secret opens connections until it expires (time from the Clock), then gets 401", () =>
    Effect.gen(function*() {
      const { secrets, server } = yield* setup()
      const secret = yield* secrets.create({ expiresAfter: "10 seconds" })
      expect(DateTime.toEpochMillis(secret.expiresAt)).toBe(10_000)
      const protocols = ["realtime", `openai-insecure-api-key.${Redacted.value(secret.value)}`]
      expect(yield* upgradeWith(server.url, protocols)).toBe("open")
      yield* TestClock.adjust("9999 millis")
      expect(yield* upgradeWith(server.url, protocols)).toBe("open")
      yield* TestClock.adjust("1 milli")
      expect(yield* upgradeWith(server.url, protocols)).toBe(401)
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const refused = yield* Effect.flip(model.connect({ url: server.url, apiKey: secret.value }))
      expect(refused).toMatchObject({ reason: "Unauthorized", status: 401 })
      // the server's own key still works
      expect(yield* upgradeWith(server.url, ["realtime", `openai-insecure-api-key.${key}`])).toBe("open")
    }))

  it.live("an unknown secret is refused, even by a server that needs no key", () =>
    Effect.gen(function*() {
      const { server } = yield* setup({})
      expect(yield* upgradeWith(server.url, ["realtime"])).toBe("open")
      expect(yield* upgradeWith(server.url, ["realtime", "openai-insecure-api-key.ek_made_up"])).toBe(401)
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const refused = yield* Effect.flip(model.connect({ url: server.url, apiKey: Redacted.make("ek_made_up") }))
      expect(refused).toMatchObject({ reason: "Unauthorized", status: 401 })
    }))

  it.live("a bad request is typed: an expiry out of range, a wrong key; the route answers in the API's error shape", () =>
    Effect.gen(function*() {
      const { secrets, server } = yield* setup()
      const tooShort = yield* Effect.flip(secrets.create({ expiresAfter: "5 seconds" }))
      expect(tooShort).toMatchObject({
        _tag: "ClientSecretError",
        reason: "InvalidRequest",
        status: 400,
        errorType: "invalid_request_error",
        code: "invalid_value"
      })
      expect(tooShort.message).toMatch(/^minting a client secret failed with HTTP 400: Invalid request body: /)
      const { secrets: wrongKey } = yield* setup({ apiKey: key }, "sk-wrong")
      expect(yield* Effect.flip(wrongKey.create())).toMatchObject({
        reason: "Unauthorized",
        status: 401,
        code: "invalid_api_key"
      })
      expect(yield* post(server, "{not json")).toEqual({
        status: 400,
        body: {
          error: {
            message: "We could not parse the JSON body of your request.",
            type: "invalid_request_error",
            param: null,
            code: null
          }
        }
      })
      const transcription = yield* post(server, JSON.stringify({ session: { type: "transcription" } }))
      expect(transcription).toMatchObject({ status: 400, body: { error: { code: "invalid_value" } } })
      // a well-formed request answers as the API does
      const minted = yield* post(server, JSON.stringify({ expires_after: { anchor: "created_at", seconds: 7200 } }))
      expect(minted).toMatchObject({
        status: 200,
        body: { session: { type: "realtime", object: "realtime.session", model: defaultModelName } }
      })
    }))
})
