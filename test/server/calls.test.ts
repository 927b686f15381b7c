import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Queue, Redacted, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAICalls from "../../src/OpenAICalls.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { defaultModelName } from "../../src/RealtimeSessionSettings.js"
import { serverFrameErrors } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"

const key = "sk-calls-embedded"

/** An embedded server and an OpenAICalls client of its REST API (through the fetch HttpClient). */
const setup = (options: RealtimeServer.RealtimeServerOptions = {}, clientKey = key) =>
  Effect.gen(function*() {
    const server = yield* RealtimeServer.make({ apiKey: key, speed: 50, ...options })
    const calls = yield* Effect.provide(
      Effect.gen(function*() {
        return yield* OpenAICalls.OpenAICalls
      }),
      OpenAICalls.layer({ apiKey: Redacted.make(clientKey), apiUrl: server.apiUrl }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    return { server, calls }
  })

/** Attaches the production model to an accepted call and records what it emits. */
const attach = (server: RealtimeServer.RealtimeServer, callId: string) =>
  Effect.gen(function*() {
    const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    // the server's plain URL: the model names the call in it
    yield* Effect.orDie(model.connect({ url: server.url, callId, apiKey: Redacted.make(key) }))
    const until = (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate)
    return { model, until }
  })

const rawFrames = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.flatMap((event) => event._tag === "RawServerEvent" ? [event.data as Record<string, unknown>] : [])

/** Posts a raw body to a Calls operation, returning the status and the parsed answer. */
const post = (url: string, body: string, authorization: string | null = `Bearer ${key}`) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bodyText(body, "application/json"),
      authorization === null ? (request) => request : HttpClientRequest.setHeader("authorization", authorization)
    )
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as unknown }
  }).pipe(Effect.orDie, Effect.provide(FetchHttpClient.layer))

const status = (
  server: RealtimeServer.RealtimeServer,
  callId: string
): Effect.Effect<Option.Option<RealtimeServer.CallInfo>> => server.call(callId)

describe("embedded server: the Realtime Calls operations", () => {
  it.live("accept with a session configuration, attach by callId, and have a turn", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup({ rules: [{ match: "opening hours", reply: "We open at nine." }] })
      const callId = yield* server.incomingCall()
      expect(callId).toMatch(/^rtc_/)
      expect(Option.map(yield* status(server, callId), (call) => call.status)).toEqual(Option.some("ringing"))
      yield* calls.accept(callId, { instructions: "You answer the shop's phone.", voice: "cedar" })
      const call = Option.getOrThrow(yield* status(server, callId))
      expect(call).toMatchObject({
        callId,
        status: "accepted",
        session: {
          type: "realtime",
          model: defaultModelName,
          instructions: "You answer the shop's phone.",
          audio: { output: { voice: "cedar" } }
        }
      })
      const { model, until } = yield* attach(server, callId)
      expect(yield* model.status).toBe("connected")
      const opened = yield* until((event) =>
        event._tag === "RawServerEvent" && (event.data as { type?: string }).type === "session.created"
      )
      // the session the call was accepted with
      expect(rawFrames(opened).at(-1)?.["session"]).toMatchObject({
        model: defaultModelName,
        instructions: "You answer the shop's phone.",
        audio: { output: { voice: "cedar" } }
      })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "What are your opening hours?" }))
      const turn = yield* until((event) => event._tag === "TurnEnded")
      expect(turn.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")).toBe(
        "We open at nine."
      )
      for (const frame of rawFrames([...opened, ...turn])) {
        expect({ type: frame["type"], errors: serverFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
      }
      expect(yield* server.connections).toBe(1)
    }))

  it.live("accept takes the newer settings (MCP tools, truncation, transcription keywords) and the call's session has them", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup()
      const callId = yield* server.incomingCall("rtc_full")
      yield* calls.accept(callId, {
        voice: { id: "voice_1234" },
        inputAudioTranscription: {
          model: "gpt-4o-transcribe",
          keywords: ["Oslo"],
          languages: ["en", "nb"],
          delay: "low"
        },
        tools: [{
          type: "mcp",
          serverLabel: "docs",
          serverUrl: "https://mcp.example.com/sse",
          requireApproval: "never",
          deferLoading: true
        }],
        toolChoice: { type: "mcp", serverLabel: "docs", name: "search" },
        parallelToolCalls: false,
        reasoning: { effort: "xhigh" },
        truncation: { type: "retention_ratio", retentionRatio: 0.5, tokenLimits: { postInstructions: 1000 } }
      })
      const expected = {
        audio: {
          input: {
            transcription: { model: "gpt-4o-transcribe", keywords: ["Oslo"], languages: ["en", "nb"], delay: "low" }
          },
          output: { voice: { id: "voice_1234" } }
        },
        tools: [{
          type: "mcp",
          server_label: "docs",
          server_url: "https://mcp.example.com/sse",
          require_approval: "never",
          defer_loading: true
        }],
        parallel_tool_calls: false,
        truncation: { type: "retention_ratio", retention_ratio: 0.5, token_limits: { post_instructions: 1000 } }
      }
      expect(Option.getOrThrow(yield* status(server, callId)).session).toMatchObject(expected)
      const { until } = yield* attach(server, callId)
      const opened = yield* until((event) =>
        event._tag === "RawServerEvent" && (event.data as { type?: string }).type === "session.created"
      )
      const created = rawFrames(opened).at(-1) ?? {}
      // the session object names a voice by a string: a custom voice by its id
      expect(created["session"]).toMatchObject({
        ...expected,
        audio: { ...expected.audio, output: { voice: "voice_1234" } }
      })
      expect(serverFrameErrors(created)).toEqual([])
    }))

  it.live("hang up ends the call and closes the attached connection; a second hang up is refused", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup()
      const callId = yield* server.incomingCall("rtc_hangup")
      yield* calls.accept(callId)
      const { model, until } = yield* attach(server, callId)
      yield* calls.hangup(callId)
      const ended = yield* until((event) => event._tag === "EndOfStream")
      expect(ended.at(-1)?._tag).toBe("EndOfStream")
      expect(yield* model.status).not.toBe("connected")
      expect(Option.map(yield* status(server, callId), (call) => call.status)).toEqual(Option.some("ended"))
      const again = yield* Effect.flip(calls.hangup(callId))
      expect(again).toMatchObject({
        reason: "InvalidRequest",
        status: 400,
        errorType: "invalid_request_error",
        code: "invalid_call_state"
      })
      expect(again.message).toBe(
        `hangup of call ${callId} failed with HTTP 400: Cannot hangup call ${callId}: the call is ended.`
      )
      // an ended call cannot be attached to
      const refused = yield* Effect.flip(
        OpenAIRealtime.make().pipe(
          Effect.provide(NodeRealtimeWebSocket.layer),
          Effect.flatMap((other) => other.connect({ url: server.callUrl(callId), callId, apiKey: Redacted.make(key) }))
        )
      )
      expect(refused).toMatchObject({ reason: "Handshake", status: 400 })
    }))

  it.live("reject declines a ringing call with its SIP status (603 by default); it cannot be accepted after", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup()
      const busy = yield* server.incomingCall()
      const declined = yield* server.incomingCall()
      yield* calls.reject(busy, { statusCode: 486 })
      yield* calls.reject(declined)
      expect(Option.getOrThrow(yield* status(server, busy))).toEqual({
        callId: busy,
        status: "rejected",
        rejectStatusCode: 486
      })
      expect(Option.getOrThrow(yield* status(server, declined))).toEqual({
        callId: declined,
        status: "rejected",
        rejectStatusCode: 603
      })
      expect(yield* Effect.flip(calls.accept(busy))).toMatchObject({
        operation: "accept",
        reason: "InvalidRequest",
        status: 400,
        code: "invalid_call_state"
      })
      const bad = yield* post(
        `${server.apiUrl}/realtime/calls/${yield* server.incomingCall()}/reject`,
        JSON.stringify({ status_code: 99 })
      )
      expect(bad).toMatchObject({
        status: 400,
        body: { error: { type: "invalid_request_error", code: "invalid_value" } }
      })
    }))

  it.live("refer transfers an active call and closes its connection; the target must be a SIP or tel URI", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup()
      const callId = yield* server.incomingCall()
      expect(yield* Effect.flip(calls.refer(callId, "tel:+14155550123"))).toMatchObject({
        status: 400,
        code: "invalid_call_state"
      })
      yield* calls.accept(callId)
      const { until } = yield* attach(server, callId)
      const invalid = yield* Effect.flip(calls.refer(callId, "nowhere"))
      expect(invalid).toMatchObject({
        operation: "refer",
        reason: "InvalidRequest",
        status: 400,
        code: "invalid_value"
      })
      expect(Option.map(yield* status(server, callId), (call) => call.status)).toEqual(Option.some("accepted"))
      yield* calls.refer(callId, "tel:+14155550123")
      yield* until((event) => event._tag === "EndOfStream")
      expect(Option.getOrThrow(yield* status(server, callId))).toMatchObject({
        status: "referred",
        referredTo: "tel:+14155550123"
      })
    }))

  it.live("an unknown call is a 404 with an OpenAI-style error body, over REST and WebSocket", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup()
      for (
        const operation of [
          calls.accept("rtc_nobody"),
          calls.reject("rtc_nobody"),
          calls.refer("rtc_nobody", "sip:a@b.c"),
          calls.hangup("rtc_nobody")
        ]
      ) {
        const error = yield* Effect.flip(operation)
        expect(error).toMatchObject({
          reason: "NotFound",
          status: 404,
          errorType: "invalid_request_error",
          code: "call_not_found"
        })
        expect(error.message).toContain("Call rtc_nobody not found.")
      }
      expect(yield* post(`${server.apiUrl}/realtime/calls/rtc_nobody/accept`, "{}")).toEqual({
        status: 404,
        body: {
          error: {
            message: "Call rtc_nobody not found.",
            type: "invalid_request_error",
            param: "call_id",
            code: "call_not_found"
          }
        }
      })
      expect((yield* post(`${server.apiUrl}/realtime/calls/rtc_nobody/transfer`, "{}")).status).toBe(404)
      const refused = yield* Effect.flip(
        OpenAIRealtime.make().pipe(
          Effect.provide(NodeRealtimeWebSocket.layer),
          Effect.flatMap((model) =>
            model.connect({ url: server.callUrl("rtc_nobody"), callId: "rtc_nobody", apiKey: Redacted.make(key) })
          )
        )
      )
      expect(refused).toMatchObject({ reason: "Handshake", status: 404 })
    }))

  it.live("the key is checked like the WebSocket's: a wrong or missing Bearer key gets 401", () =>
    Effect.gen(function*() {
      const { calls, server } = yield* setup({}, "sk-wrong")
      const callId = yield* server.incomingCall()
      expect(yield* Effect.flip(calls.accept(callId))).toMatchObject({
        reason: "Unauthorized",
        status: 401,
        errorType: "invalid_request_error",
        code: "invalid_api_key"
      })
      const missing = yield* post(`${server.apiUrl}/realtime/calls/${callId}/accept`, "{}", null)
      expect(missing).toMatchObject({ status: 401, body: { error: { type: "invalid_request_error", code: null } } })
      expect(Option.map(yield* status(server, callId), (call) => call.status)).toEqual(Option.some("ringing"))
    }))

  it.live("the accept body is validated like the service's: JSON, a realtime session, valid fields", () =>
    Effect.gen(function*() {
      const { server } = yield* setup()
      const callId = yield* server.incomingCall()
      const url = `${server.apiUrl}/realtime/calls/${callId}/accept`
      expect(yield* post(url, "{not json")).toMatchObject({
        status: 400,
        body: { error: { message: "We could not parse the JSON body of your request." } }
      })
      expect(yield* post(url, JSON.stringify({ model: "gpt-realtime" }))).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_value" } }
      })
      const wrongField = yield* post(url, JSON.stringify({ type: "realtime", audio: { output: { speed: "fast" } } }))
      expect(wrongField).toMatchObject({
        status: 400,
        body: { error: { type: "invalid_request_error", code: "invalid_value" } }
      })
      expect(Option.map(yield* status(server, callId), (call) => call.status)).toEqual(Option.some("ringing"))
      expect(yield* post(url, JSON.stringify({ type: "realtime", model: "gpt-realtime", instructions: "Hi" }))).toEqual(
        { status: 200, body: undefined }
      )
    }))
})
