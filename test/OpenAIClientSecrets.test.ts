import { describe, expect, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { ConfigProvider, DateTime, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientResponse } from "effect/http"
import type { HttpClientRequest } from "effect/http"
import { inspect } from "node:util"
import * as ClientSecrets from "../src/OpenAIClientSecrets.js"
import { defaultModelName } from "../src/RealtimeSessionSettings.js"
import { corpus } from "./support/protocolCorpus.js"

const key = "sk-minting-secret-key"

interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

/** An HttpClient that records each request and answers with `status` and `body`. */
const answering = (status: number, body: string) => {
  const sent: Array<Sent> = []
  const client = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url) => {
    const raw = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
    sent.push({
      method: request.method,
      url: url.toString(),
      headers: request.headers,
      body: raw === undefined ? undefined : JSON.parse(raw)
    })
    return Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        new Response(body, { status, headers: { "content-type": "application/json" } })
      )
    )
  })
  return { sent, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const service = Effect.gen(function*() {
  return yield* ClientSecrets.OpenAIClientSecrets
})

const secretsWith = (http: Layer.Layer<HttpClient.HttpClient>, apiUrl = "https://api.example.test/v1/") =>
  Effect.provide(
    service,
    ClientSecrets.layer({ apiKey: Redacted.make(key), apiUrl, projectId: Redacted.make("proj_7") }).pipe(
      Layer.provide(http)
    )
  )

const minted = JSON.stringify({
  value: "ek_68af1f0c2ec481919b6d1bd1c4d0b4ad",
  expires_at: 1756310470,
  session: { id: "sess_C9CiUVUzUzYIssh3ELY1d", object: "realtime.session", type: "realtime", model: "gpt-realtime-2.1" }
})

const sessionSchema = (() => {
  const update = corpus.clientEvents.find((event) => event.type === "session.update")
  const properties = update?.jsonSchema["properties"] as Record<string, unknown> | undefined
  return properties?.["session"] as Record<string, unknown>
})()
const validateSession = new Ajv({ strict: false, allErrors: true }).compile(sessionSchema)

describe("OpenAIClientSecrets", () => {
  it.effect("mints a secret with the session's settings and the expiry on the wire, the answer typed and redacted", () =>
    Effect.gen(function*() {
      const http = answering(200, minted)
      const secrets = yield* secretsWith(http.layer)
      const secret = yield* secrets.create({
        session: { instructions: "Be brief.", voice: "cedar", outputAudioFormat: "g711_ulaw" },
        expiresAfter: "2 minutes"
      })
      expect(http.sent.map(({ method, url }) => [method, url])).toEqual([[
        "POST",
        "https://api.example.test/v1/realtime/client_secrets"
      ]])
      const [request] = http.sent
      expect(request?.headers["authorization"]).toBe(`Bearer ${key}`)
      expect(request?.headers["openai-project"]).toBe("proj_7")
      expect(request?.body).toEqual({
        expires_after: { anchor: "created_at", seconds: 120 },
        session: {
          type: "realtime",
          model: defaultModelName,
          instructions: "Be brief.",
          audio: { output: { voice: "cedar", format: { type: "audio/pcmu" } } }
        }
      })
      const body = request?.body as { readonly session?: unknown } | undefined
      expect(validateSession(body?.session)).toBe(true)
      expect(Redacted.value(secret.value)).toBe("ek_68af1f0c2ec481919b6d1bd1c4d0b4ad")
      expect(DateTime.toEpochMillis(secret.expiresAt)).toBe(1756310470_000)
      expect({ sessionId: secret.sessionId, model: secret.model }).toEqual({
        sessionId: "sess_C9CiUVUzUzYIssh3ELY1d",
        model: "gpt-realtime-2.1"
      })
      // the secret itself is shown nowhere
      expect(`${String(secret.value)} ${inspect(secret)} ${JSON.stringify(secret)}`).not.toContain("ek_68af")
    }))

  it.effect("sends only the model when nothing else is asked, and the API's default expiry", () =>
    Effect.gen(function*() {
      const http = answering(200, minted)
      const secrets = yield* secretsWith(http.layer)
      yield* secrets.create()
      expect(http.sent[0]?.body).toEqual({ session: { type: "realtime", model: defaultModelName } })
      yield* secrets.create({ session: { modelName: "gpt-realtime-2.1-mini" }, expiresAfter: "90 seconds" })
      expect(http.sent[1]?.body).toEqual({
        session: { type: "realtime", model: "gpt-realtime-2.1-mini" },
        expires_after: { anchor: "created_at", seconds: 90 }
      })
    }))

  it.effect("invalid settings fail typed with their issue and nothing is sent", () =>
    Effect.gen(function*() {
      const http = answering(200, minted)
      const secrets = yield* secretsWith(http.layer)
      const error = yield* Effect.flip(secrets.create({ session: { speed: 9 } }))
      expect(error._tag).toBe("ClientSecretError")
      expect(error.reason).toBe("InvalidSettings")
      expect(error.message).toContain("speed")
      expect(error.cause).toBeDefined()
      expect(http.sent).toEqual([])
    }))

  it.effect("an API error keeps its status, type, code and message; the key is in none of it", () =>
    Effect.gen(function*() {
      const cases = [
        [
          401,
          { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
          "Unauthorized"
        ],
        [400, {
          message: "expires_after.seconds must be at least 10",
          type: "invalid_request_error",
          code: "invalid_value"
        }, "InvalidRequest"],
        [429, { message: "Rate limit reached.", type: "requests", code: "rate_limit_exceeded" }, "RateLimited"],
        [503, { message: "The server is overloaded.", type: "server_error", code: null }, "ServerError"]
      ] as const
      const errors = yield* Effect.forEach(
        cases,
        ([status, error]) =>
          Effect.flip(
            Effect.flatMap(
              secretsWith(answering(status, JSON.stringify({ error })).layer),
              (secrets) => secrets.create()
            )
          )
      )
      expect(errors.map((error) => [error.reason, error.status, error.errorType, error.code])).toEqual([
        ["Unauthorized", 401, "invalid_request_error", "invalid_api_key"],
        ["InvalidRequest", 400, "invalid_request_error", "invalid_value"],
        ["RateLimited", 429, "requests", "rate_limit_exceeded"],
        ["ServerError", 503, "server_error", undefined]
      ])
      expect(errors[1]?.message).toBe(
        "minting a client secret failed with HTTP 400: expires_after.seconds must be at least 10"
      )
      for (const error of errors) expect(`${error.message} ${inspect(error)}`).not.toContain(key)
    }))

  it.effect("an answer that is not a client secret fails as InvalidResponse without quoting it", () =>
    Effect.gen(function*() {
      const notJson = yield* Effect.flip(
        Effect.flatMap(secretsWith(answering(200, "<html>ek_leaked</html>").layer), (s) => s.create())
      )
      const noValue = yield* Effect.flip(
        Effect.flatMap(
          secretsWith(answering(200, JSON.stringify({ expires_at: 1, session: {} })).layer),
          (s) => s.create()
        )
      )
      expect([notJson.reason, noValue.reason]).toEqual(["InvalidResponse", "InvalidResponse"])
      expect(notJson.message).toBe("minting a client secret failed: the answer (HTTP 200) is not a client secret")
      expect(notJson.message).not.toContain("ek_leaked")
    }))

  it.effect("no answer at all fails as Transport and keeps the underlying cause", () =>
    Effect.gen(function*() {
      // nothing listens on port 9 of loopback (discard), and fetch says so
      const secrets = yield* secretsWith(FetchHttpClient.layer, "http://127.0.0.1:9/v1")
      const error = yield* Effect.flip(secrets.create())
      expect(error.reason).toBe("Transport")
      expect(error.cause).toBeInstanceOf(Error)
      expect(error.message).toMatch(/^minting a client secret failed: /)
      expect(error.message).not.toContain(key)
    }))

  it.effect("an expiry that is not a duration is refused before anything is sent", () =>
    Effect.gen(function*() {
      const http = answering(200, minted)
      const secrets = yield* secretsWith(http.layer)
      const error = yield* Effect.flip(secrets.create({ expiresAfter: "soon" as "1 second" }))
      expect(error.reason).toBe("InvalidSettings")
      expect(http.sent).toEqual([])
    }))

  it.effect("layerConfig reads OPENAI_API_KEY through Config", () =>
    Effect.gen(function*() {
      const http = answering(200, minted)
      const secrets = yield* Effect.provide(
        service,
        ClientSecrets.layerConfig({ apiUrl: "https://api.example.test/v1" }).pipe(Layer.provide(http.layer))
      )
      yield* secrets.create()
      expect(http.sent[0]?.headers["authorization"]).toBe("Bearer sk-from-config")
    }).pipe(
      Effect.provideService(
        ConfigProvider.ConfigProvider,
        ConfigProvider.fromEnv({ env: { OPENAI_API_KEY: "sk-from-config" } })
      )
    ))
})
