import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Queue, Redacted, Stream } from "effect"
import { request as httpRequest } from "node:http"
import { WebSocket } from "ws"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import * as PlaybackTracker from "../../src/PlaybackTracker.js"
import { RealtimeConnectionLost } from "../../src/RealtimeError.js"
import type { RealtimeModelConfig } from "../../src/RealtimeModel.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { clientFrameErrors, serverFrameErrors } from "../support/protocolCorpus.js"
import { takeUntil } from "../support/queues.js"

const key = "sk-embedded-test"

/** Connects the production model to an embedded server and records what it emits. */
const session = (
  serverOptions: RealtimeServer.RealtimeServerOptions,
  config: Omit<RealtimeModelConfig, "url" | "apiKey"> = {}
) =>
  Effect.gen(function*() {
    const server = yield* RealtimeServer.make({ apiKey: key, speed: 50, ...serverOptions })
    const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({ ...config, url: server.url, apiKey: Redacted.make(key) }))
    const seen: Array<RealtimeModelEvent> = []
    /** Takes events until one matches; returns everything taken. */
    const until = (predicate: (event: RealtimeModelEvent) => boolean) =>
      Effect.tap(takeUntil(events, predicate), (taken) => Effect.sync(() => seen.push(...taken)))
    const untilServer = (type: string) =>
      until((event) => event._tag === "RawServerEvent" && (event.data as { type?: string }).type === type)
    /** Every frame both sides sent so far is valid against the corpus schemas. */
    const checkFrames = Effect.gen(function*() {
      for (const event of seen) {
        if (event._tag !== "RawServerEvent") continue
        const frame = event.data as Record<string, unknown>
        expect({ type: frame["type"], errors: serverFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
      }
      for (const text of yield* server.received) {
        const frame = JSON.parse(text) as Record<string, unknown>
        expect({ type: frame["type"], errors: clientFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
      }
    })
    return { server, model, until, untilServer, checkFrames }
  })

const raw = (events: ReadonlyArray<RealtimeModelEvent>) =>
  events.flatMap((event) => event._tag === "RawServerEvent" ? [(event.data as { type: string }).type] : [])

describe("OpenAIRealtime against the embedded server", () => {
  it.live("a text turn: streamed audio and transcript, the full lifecycle, usage", () =>
    Effect.gen(function*() {
      const { checkFrames, model, until } = yield* session({ rules: [{ match: "hello", reply: "Hi there, friend." }] })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hello!" }))
      const turn = yield* until((event) => event._tag === "UsageUpdated")
      const transcript = turn.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")
      expect(transcript).toBe("Hi there, friend.")
      const audioBytes = turn.reduce((sum, event) => sum + (event._tag === "Audio" ? event.data.byteLength : 0), 0)
      // 17 characters at 65 ms each, pcm16 at 24 kHz
      expect(audioBytes).toBe(Math.round(17 * 65 * 24) * 2)
      expect(raw(turn)).toEqual(expect.arrayContaining([
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done"
      ]))
      expect(turn.find((event) => event._tag === "UsageUpdated")).toMatchObject({
        usage: { outputTokens: expect.any(Number) }
      })
      yield* checkFrames
    }))

  it.live("an audio turn with server VAD: speech started/stopped at the right ms, transcription, a response", () =>
    Effect.gen(function*() {
      const { checkFrames, model, until, untilServer } = yield* session(
        { transcribe: (_, ms) => `about ${Math.round(ms / 100) * 100} ms of speech` },
        {
          initialSettings: {
            turnDetection: {
              type: "server_vad",
              threshold: 0.5,
              prefixPaddingMs: 0,
              silenceDurationMs: 200,
              createResponse: true
            },
            inputAudioTranscription: { model: "whisper-1" }
          }
        }
      )
      yield* untilServer("session.updated")
      const silence = Tone.silence(500, 24_000)
      const speech = Tone.sine(440, 800, 24_000, 0.4)
      for (const part of [silence, speech, Tone.silence(600, 24_000)]) {
        yield* model.sendEvent(Send.SendAudio.make({ audio: Pcm16.toBytes(part) }))
      }
      const started = yield* untilServer("input_audio_buffer.speech_started")
      expect((started.at(-1) as { data: { audio_start_ms: number } }).data.audio_start_ms).toBe(500)
      const stopped = yield* untilServer("input_audio_buffer.speech_stopped")
      expect((stopped.at(-1) as { data: { audio_end_ms: number } }).data.audio_end_ms).toBe(1500)
      const transcribed = yield* until((event) => event._tag === "InputAudioTranscriptionCompleted")
      expect(transcribed.at(-1)).toMatchObject({ transcript: "about 1500 ms of speech" })
      yield* until((event) => event._tag === "TurnEnded")
      yield* checkFrames
    }))

  it.live("barge-in with a custom tracker truncates at exactly what was heard, and the transcript follows", () =>
    Effect.gen(function*() {
      const tracker = yield* PlaybackTracker.make
      const reply = "One two three four five six seven eight nine ten."
      const { checkFrames, model, until, untilServer } = yield* session(
        { speed: 1, rules: [{ match: "count", reply }] },
        { playbackTracker: tracker }
      )
      yield* model.sendEvent(Send.UserInput.make({ userInput: "count for me" }))
      const first = (yield* until((event) => event._tag === "Audio")).at(-1)
      if (first?._tag !== "Audio") throw new Error("no audio")
      yield* tracker.onPlayMs(first.itemId, 0, 100)
      // the session's default turn detection cancels on speech by itself; with no speech, force the cancel
      yield* model.sendEvent(Send.Interrupt.make({ forceResponseCancel: true }))
      const truncated = yield* untilServer("conversation.item.truncated")
      expect(truncated.some((event) => event._tag === "AudioInterrupted")).toBe(true)
      expect((truncated.at(-1) as { data: unknown }).data).toMatchObject({ item_id: first.itemId, audio_end_ms: 100 })
      yield* until((event) => event._tag === "TurnEnded")
      yield* model.sendEvent(
        Send.RawMessage.make({ type: "conversation.item.retrieve", otherData: { item_id: first.itemId } })
      )
      const retrieved = (yield* until((event) => event._tag === "ItemUpdated" && event.item.itemId === first.itemId))
        .at(-1)
      // 100 ms at 65 ms a character: one character was heard
      expect(retrieved).toMatchObject({
        item: { _tag: "AssistantMessage", content: [{ _tag: "OutputAudio", transcript: "O" }] }
      })
      yield* checkFrames
    }))

  it.live("a function call round trip continues the conversation with the tool's output", () =>
    Effect.gen(function*() {
      const { checkFrames, model, until } = yield* session({
        rules: [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]
      }, {
        initialSettings: {
          tools: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]
        }
      })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "what's the weather?" }))
      const call = (yield* until((event) => event._tag === "FunctionCall")).at(-1)
      if (call?._tag !== "FunctionCall") throw new Error("no function call")
      expect(call).toMatchObject({ name: "get_weather", arguments: "{\"city\":\"Oslo\"}" })
      yield* until((event) => event._tag === "TurnEnded")
      yield* model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: "sunny, 21 degrees" }))
      const answer = yield* until((event) => event._tag === "TurnEnded")
      expect(answer.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")).toBe(
        "Here is what I found: sunny, 21 degrees."
      )
      yield* checkFrames
    }))

  it.live("server-side errors come back as ErrorEvent events and the session recovers", () =>
    Effect.gen(function*() {
      const { checkFrames, model, until } = yield* session({ rules: [{ match: "again", reply: "Fine." }] })
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "conversation.item.truncate",
          otherData: { item_id: "nope", content_index: 0, audio_end_ms: 10 }
        })
      )
      const error = (yield* until((event) => event._tag === "ErrorEvent")).at(-1)
      expect(error).toMatchObject({ error: { type: "invalid_request_error", code: "item_truncate_invalid_item_id" } })
      yield* model.sendEvent(Send.RawMessage.make({ type: "input_audio_buffer.commit" }))
      expect((yield* until((event) => event._tag === "ErrorEvent")).at(-1)).toMatchObject({
        error: { code: "input_audio_buffer_commit_empty" }
      })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "again" }))
      const turn = yield* until((event) => event._tag === "TurnEnded")
      expect(turn.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")).toBe("Fine.")
      expect(yield* model.status).toBe("connected")
      yield* checkFrames
    }))

  it.live("an invalid client frame is answered with invalid_request_error naming its event_id", () =>
    Effect.gen(function*() {
      const { model, until } = yield* session({})
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "conversation.item.truncate",
          otherData: { event_id: "evt_bad", item_id: "x", content_index: 0, audio_end_ms: "soon" }
        })
      )
      const error = (yield* until((event) => event._tag === "ErrorEvent")).at(-1)
      expect(error).toMatchObject({ error: { type: "invalid_request_error", event_id: "evt_bad" } })
    }))

  it.live("a second response.create during a response gets the real conversation_already_has_active_response", () =>
    Effect.gen(function*() {
      const { model, until } = yield* session({ speed: 5 })
      yield* model.sendEvent(Send.RawMessage.make({ type: "input_audio_buffer.clear" }))
      yield* model.sendEvent(Send.UserInput.make({ userInput: "first" }))
      yield* until((event) => event._tag === "TurnStarted")
      // bypass the client's sequencing with a raw frame the way a misbehaving client would
      yield* model.sendEvent(
        Send.RawMessage.make({ type: "conversation.item.retrieve", otherData: { item_id: "missing" } })
      )
      const error = (yield* until((event) => event._tag === "ErrorEvent")).at(-1)
      expect(error).toMatchObject({ error: { code: "item_retrieve_invalid_item_id" } })
    }))
})

describe("embedded server faults", () => {
  it.live("closes abruptly after N events: the client reports the lost connection", () =>
    Effect.gen(function*() {
      const { model, until } = yield* session({ faults: { closeAfterEvents: 4 } })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hi" }))
      const lost = yield* until((event) => event._tag === "EndOfStream")
      expect(lost.some((event) => event._tag === "ErrorEvent" && event.error instanceof RealtimeConnectionLost)).toBe(
        true
      )
      expect((yield* Effect.flip(model.sendEvent(Send.UserInput.make({ userInput: "?" })))).reason).toBe("Closed")
    }))

  it.live("a non-JSON frame becomes an Exception and the session goes on", () =>
    Effect.gen(function*() {
      const { model, until } = yield* session({ faults: { nonJsonAfterEvents: 1 } })
      const exception = (yield* until((event) => event._tag === "Exception")).at(-1)
      expect(exception).toMatchObject({ cause: { _tag: "RealtimeProtocolError" } })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "hi" }))
      yield* until((event) => event._tag === "TurnEnded")
    }))

  it.live("an event of unknown type passes through as Other", () =>
    Effect.gen(function*() {
      const { until } = yield* session({ faults: { unknownEventAfterEvents: 1 } })
      const other = (yield* until((event) =>
        event._tag === "Other" && (event.data as { type?: string }).type === "server.future_feature"
      )).at(-1)
      expect(other).toMatchObject({ data: { detail: "unknown to clients" } })
    }))

  it.live("delays every frame", () =>
    Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      const { model, until } = yield* session({ faults: { delayMs: 30 }, rules: [{ match: "x", reply: "Ok." }] })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "x" }))
      const turn = yield* until((event) => event._tag === "TurnEnded")
      const frames = turn.filter((event) => event._tag === "RawServerEvent").length
      expect((yield* Clock.currentTimeMillis) - started).toBeGreaterThanOrEqual(frames * 30)
    }))

  it.live("refuses the upgrade with the configured status; a wrong key gets 401", () =>
    Effect.gen(function*() {
      const refusing = yield* RealtimeServer.make({ faults: { refuseUpgrade: 503 } })
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      expect(yield* Effect.flip(model.connect({ url: refusing.url, apiKey: "k" }))).toMatchObject({
        reason: "Handshake",
        status: 503
      })
      const guarded = yield* RealtimeServer.make({ apiKey: key })
      expect(yield* Effect.flip(model.connect({ url: guarded.url, apiKey: "wrong" }))).toMatchObject({
        reason: "Unauthorized",
        status: 401
      })
    }))

  it.live("takes the key as a Bearer header or a sub-protocol; plain HTTP gets 426", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: Redacted.make(key) })
      /** Opens a raw client and returns the type of the first server event, or the refusing status. */
      const firstEvent = (protocols: Array<string>, headers: Record<string, string>) =>
        Effect.acquireRelease(
          Effect.sync(() => new WebSocket(server.url, protocols, { headers }).on("error", () => {})),
          (ws) => Effect.sync(() => ws.terminate())
        ).pipe(
          Effect.flatMap((ws) =>
            Effect.callback<string>((resume) => {
              ws.once("unexpected-response", (_, response) => resume(Effect.succeed(`HTTP ${response.statusCode}`)))
              ws.once("message", (data) => resume(Effect.succeed((JSON.parse(String(data)) as { type: string }).type)))
            })
          ),
          Effect.scoped
        )
      expect(yield* firstEvent(["realtime", `openai-insecure-api-key.${key}`], {})).toBe("session.created")
      expect(yield* firstEvent([], { authorization: `Bearer ${key}` })).toBe("session.created")
      expect(yield* firstEvent(["realtime", "openai-insecure-api-key.wrong"], {})).toBe("HTTP 401")
      expect(yield* firstEvent([], {})).toBe("HTTP 401")
      const plain = yield* Effect.callback<number>((resume) => {
        const request = httpRequest(server.url.replace("ws:", "http:"), (response) => {
          response.resume()
          resume(Effect.succeed(response.statusCode ?? 0))
        })
        request.end()
      })
      expect(plain).toBe(426)
    }))

  it.live("closing the server's scope disconnects clients and releases the port", () =>
    Effect.gen(function*() {
      const model = yield* OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const events = yield* Queue.unbounded<RealtimeModelEvent>()
      yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
      const port = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* RealtimeServer.make({})
        yield* model.connect({ url: server.url, apiKey: "k" })
        expect(yield* server.connections).toBe(1)
        return server.port
      }))
      const all = yield* takeUntil(events, (event) => event._tag === "EndOfStream")
      expect(all.map((event) => event._tag)).toContain("EndOfStream")
      // the same port can be bound again
      const again = yield* RealtimeServer.make({ port })
      expect(again.port).toBe(port)
    }))
})

describe("embedded server protocol rules", () => {
  it.live("speech during a response cancels it when interrupt_response is on", () =>
    Effect.gen(function*() {
      const { model, until, untilServer } = yield* session({ speed: 1 }, {
        initialSettings: {
          turnDetection: {
            type: "server_vad",
            prefixPaddingMs: 0,
            silenceDurationMs: 200,
            interruptResponse: true,
            createResponse: false
          }
        }
      })
      yield* untilServer("session.updated")
      yield* model.sendEvent(Send.UserInput.make({ userInput: "tell me everything" }))
      yield* until((event) => event._tag === "Audio")
      yield* model.sendEvent(Send.SendAudio.make({ audio: Pcm16.toBytes(Tone.sine(300, 300, 24_000, 0.5)) }))
      const done = (yield* untilServer("response.done")).at(-1) as { data: { response: { status: string } } }
      expect(done.data.response.status).toBe("cancelled")
    }))

  it.live("an invalid session.update is an error and the connection stays open", () =>
    Effect.gen(function*() {
      const { model, until } = yield* session({})
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "session.update",
          otherData: {
            event_id: "evt_s",
            session: { type: "realtime", audio: { input: { turn_detection: { type: "push_to_talk" } } } }
          }
        })
      )
      expect((yield* until((event) => event._tag === "ErrorEvent")).at(-1)).toMatchObject({
        error: { type: "invalid_request_error", event_id: "evt_s" }
      })
      expect(yield* model.status).toBe("connected")
    }))

  it.live("conversation rules: unknown previous item, delete, truncating beyond the audio sent", () =>
    Effect.gen(function*() {
      const { model, until, untilServer } = yield* session({ rules: [{ match: "short", reply: "Ok." }] })
      const item = { type: "message", role: "user", content: [{ type: "input_text", text: "x" }] }
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "conversation.item.create",
          otherData: { previous_item_id: "item_missing", item }
        })
      )
      expect((yield* until((event) => event._tag === "ErrorEvent")).at(-1)).toMatchObject({
        error: { param: "previous_item_id" }
      })
      yield* model.sendEvent(
        Send.RawMessage.make({ type: "conversation.item.create", otherData: { item: { ...item, id: "item_mine" } } })
      )
      yield* untilServer("conversation.item.done")
      yield* model.sendEvent(
        Send.RawMessage.make({ type: "conversation.item.delete", otherData: { item_id: "item_mine" } })
      )
      expect((yield* until((event) => event._tag === "ItemDeleted")).at(-1)).toMatchObject({ itemId: "item_mine" })
      yield* model.sendEvent(Send.UserInput.make({ userInput: "short" }))
      const audio = (yield* until((event) => event._tag === "Audio")).at(-1)
      if (audio?._tag !== "Audio") throw new Error("no audio")
      yield* until((event) => event._tag === "TurnEnded")
      // "Ok." is 3 characters at 65 ms: 195 ms of audio went out
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "conversation.item.truncate",
          otherData: { item_id: audio.itemId, content_index: 0, audio_end_ms: 500 }
        })
      )
      expect((yield* until((event) => event._tag === "ErrorEvent")).at(-1)).toMatchObject({
        error: { param: "audio_end_ms" }
      })
      yield* model.sendEvent(
        Send.RawMessage.make({
          type: "conversation.item.truncate",
          otherData: { item_id: audio.itemId, content_index: 0, audio_end_ms: 130 }
        })
      )
      expect(((yield* untilServer("conversation.item.truncated")).at(-1) as { data: unknown }).data).toMatchObject({
        audio_end_ms: 130
      })
    }))
})
