import { describe, expect, it } from "@effect/vitest"
import { Ajv } from "ajv"
import { ConfigProvider, Effect, Layer, Redacted, Tracer } from "effect"
import type { Scope } from "effect"
import { FetchHttpClient } from "effect/http"
import { createServer } from "node:http"
import type { IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { inspect } from "node:util"
import * as Calls from "../src/OpenAICalls.js"
import { defaultModelName } from "../src/RealtimeSessionSettings.js"
import { corpus } from "./support/protocolCorpus.js"

interface Recorded {
  readonly method: string | undefined
  readonly path: string | undefined
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

interface Answer {
  readonly status: number
  readonly body?: string
}

/** An HTTP server on 127.0.0.1 that records each request and answers per path (200 otherwise). */
const apiServer = (answers: Readonly<Record<string, Answer>> = {}) =>
  Effect.gen(function*() {
    const requests: Array<Recorded> = []
    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        requests.push({
          method: request.method,
          path: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8")
        })
        const answer = answers[request.url ?? ""] ?? { status: 200 }
        response.writeHead(answer.status, { "content-type": "application/json" })
        response.end(answer.body ?? "")
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
    )
    return { requests, url: `http://127.0.0.1:${port}/v1` }
  })

const key = "sk-calls-secret-key"

const service = Effect.gen(function*() {
  return yield* Calls.OpenAICalls
})

const callsAt = (url: string): Effect.Effect<Calls.OpenAICallsService, never, Scope.Scope> =>
  Effect.provide(
    service,
    Calls.layer({ apiKey: Redacted.make(key), apiUrl: url, projectId: Redacted.make("proj_1") }).pipe(
      Layer.provide(FetchHttpClient.layer)
    )
  )

const sessionSchema = (() => {
  const update = corpus.clientEvents.find((event) => event.type === "session.update")
  const properties = update?.jsonSchema["properties"] as Record<string, unknown> | undefined
  return properties?.["session"] as Record<string, unknown>
})()
const validateSession = new Ajv({ strict: false, allErrors: true }).compile(sessionSchema)

const bodyOf = (recorded: Recorded | undefined): unknown =>
  recorded === undefined || recorded.body === "" ? undefined : JSON.parse(recorded.body)

describe("OpenAICalls", () => {
  it.effect("accepts a call with the session's settings on the wire", () =>
    Effect.gen(function*() {
      const server = yield* apiServer()
      const calls = yield* callsAt(server.url)
      yield* calls.accept("rtc_123", {
        instructions: "Greet the caller.",
        voice: { id: "voice_1234" },
        truncation: { type: "retention_ratio", retentionRatio: 0.5 },
        turnDetection: { type: "server_vad", silenceDurationMs: 400 }
      })
      const [request] = server.requests
      expect(request?.method).toBe("POST")
      expect(request?.path).toBe("/v1/realtime/calls/rtc_123/accept")
      expect(request?.headers["authorization"]).toBe(`Bearer ${key}`)
      expect(request?.headers["openai-project"]).toBe("proj_1")
      expect(request?.headers["content-type"]).toBe("application/json")
      const body = bodyOf(request)
      expect(body).toEqual({
        type: "realtime",
        model: defaultModelName,
        instructions: "Greet the caller.",
        audio: {
          input: { turn_detection: { type: "server_vad", silence_duration_ms: 400 } },
          output: { voice: { id: "voice_1234" } }
        },
        truncation: { type: "retention_ratio", retention_ratio: 0.5 }
      })
      expect(validateSession(body)).toBe(true)
    }))

  it.effect("accepts with only the model when no settings are given", () =>
    Effect.gen(function*() {
      const server = yield* apiServer()
      const calls = yield* callsAt(server.url)
      yield* calls.accept("rtc_9")
      expect(bodyOf(server.requests[0])).toEqual({ type: "realtime", model: defaultModelName })
    }))

  it.effect("decodes the settings (any audio format spelling) and sends nothing when they are invalid", () =>
    Effect.gen(function*() {
      const server = yield* apiServer()
      const calls = yield* callsAt(server.url)
      yield* calls.accept("rtc_1", { outputAudioFormat: { type: "audio/pcmu" } })
      expect(bodyOf(server.requests[0])).toEqual({
        type: "realtime",
        model: defaultModelName,
        audio: { output: { format: { type: "audio/pcmu" } } }
      })
      const error = yield* Effect.flip(calls.accept("rtc_2", { speed: 9 }))
      expect(error).toMatchObject({ operation: "accept", callId: "rtc_2", reason: "InvalidSettings" })
      expect(error.message).toContain("speed")
      expect(server.requests.length).toBe(1)
    }))

  it.effect("rejects, refers and hangs up", () =>
    Effect.gen(function*() {
      const server = yield* apiServer()
      const calls = yield* callsAt(server.url)
      yield* calls.reject("rtc_1", { statusCode: 486 })
      yield* calls.reject("rtc_2")
      yield* calls.refer("rtc_3", "tel:+14155550123")
      yield* calls.hangup("rtc/4")
      expect(server.requests.map((request) => [request.method, request.path, bodyOf(request)])).toEqual([
        ["POST", "/v1/realtime/calls/rtc_1/reject", { status_code: 486 }],
        ["POST", "/v1/realtime/calls/rtc_2/reject", {}],
        ["POST", "/v1/realtime/calls/rtc_3/refer", { target_uri: "tel:+14155550123" }],
        ["POST", "/v1/realtime/calls/rtc%2F4/hangup", undefined]
      ])
      expect(server.requests.every((request) => request.headers["authorization"] === `Bearer ${key}`)).toBe(true)
    }))

  it.effect("fails typed with the API's status and message, never showing the key", () =>
    Effect.gen(function*() {
      const server = yield* apiServer({
        "/v1/realtime/calls/rtc_gone/accept": {
          status: 404,
          body: JSON.stringify({
            error: { message: "Call not found.", type: "invalid_request_error", code: "call_not_found" }
          })
        },
        "/v1/realtime/calls/rtc_1/refer": { status: 400, body: "target_uri is not a SIP or tel URI" },
        "/v1/realtime/calls/rtc_1/hangup": {
          status: 401,
          body: JSON.stringify({ error: { message: "Incorrect API key provided" } })
        },
        "/v1/realtime/calls/rtc_1/reject": { status: 429 }
      })
      const calls = yield* callsAt(server.url)
      const notFound = yield* Effect.flip(calls.accept("rtc_gone", { instructions: "hi" }))
      expect(notFound).toBeInstanceOf(Calls.RealtimeCallError)
      expect(notFound).toMatchObject({
        _tag: "RealtimeCallError",
        operation: "accept",
        callId: "rtc_gone",
        reason: "NotFound",
        status: 404,
        errorType: "invalid_request_error",
        code: "call_not_found",
        message: "accept of call rtc_gone failed with HTTP 404: Call not found."
      })
      const invalid = yield* Effect.flip(calls.refer("rtc_1", "nowhere"))
      expect(invalid).toMatchObject({
        reason: "InvalidRequest",
        status: 400,
        message: "refer of call rtc_1 failed with HTTP 400: target_uri is not a SIP or tel URI"
      })
      const unauthorized = yield* Effect.flip(calls.hangup("rtc_1"))
      expect(unauthorized).toMatchObject({
        reason: "Unauthorized",
        status: 401,
        message: "hangup of call rtc_1 failed with HTTP 401: Incorrect API key provided"
      })
      const limited = yield* Effect.flip(calls.reject("rtc_1"))
      expect(limited).toMatchObject({
        reason: "RateLimited",
        status: 429,
        message: "reject of call rtc_1 failed with HTTP 429"
      })
      for (const error of [notFound, invalid, unauthorized, limited]) {
        expect(`${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(key)
      }
    }))

  it.effect("fails typed with the transport's cause when nothing answers", () =>
    Effect.gen(function*() {
      const closed = yield* Effect.scoped(apiServer())
      const calls = yield* callsAt(closed.url)
      const error = yield* Effect.flip(calls.hangup("rtc_1"))
      expect(error).toMatchObject({
        _tag: "RealtimeCallError",
        operation: "hangup",
        callId: "rtc_1",
        reason: "Transport"
      })
      expect(error.status).toBeUndefined()
      expect(error.cause).toBeInstanceOf(Error)
      expect(error.message.startsWith("hangup of call rtc_1 failed: ")).toBe(true)
      expect(`${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(key)
    }))

  it.effect("traces each operation with its call id, never the key or the project", () =>
    Effect.gen(function*() {
      const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown> }> = []
      const tracer = Tracer.make({
        span: (options) => {
          const span = new Tracer.NativeSpan(options)
          spans.push({ name: options.name, attributes: span.attributes })
          return span
        }
      })
      const server = yield* apiServer()
      const calls = yield* callsAt(server.url)
      yield* calls.hangup("rtc_7").pipe(Effect.withTracer(tracer))
      expect(spans.find((span) => span.name === "OpenAICalls.hangup")?.attributes.get("realtime.call_id")).toBe("rtc_7")
      expect(spans.length).toBeGreaterThan(1)
      const everything = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: [...span.attributes] })))
      expect(everything).not.toContain(key)
      expect(everything).not.toContain("proj_1")
    }))

  it.effect("takes the key from OPENAI_API_KEY through Config", () =>
    Effect.gen(function*() {
      const server = yield* apiServer()
      const calls = yield* Effect.provide(
        service,
        Calls.layerConfig({ apiUrl: server.url }).pipe(Layer.provide(FetchHttpClient.layer))
      ).pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnv({ env: { OPENAI_API_KEY: "sk-from-env" } })
        )
      )
      yield* calls.hangup("rtc_1")
      expect(server.requests[0]?.headers["authorization"]).toBe("Bearer sk-from-env")
    }))
})
