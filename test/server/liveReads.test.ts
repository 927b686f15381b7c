/**
 * OpenAI's own client and the library's own Live protocol against the embedded Live server: the
 * `openai` package's `LiveWS` starts a session, has a typed turn answered and closes it; and every
 * frame of a conversation (a reply, the model interrupting itself, delegations to the client and
 * to the backend, the close) goes through the protocol's `receive`, which must raise no protocol
 * error and must give the events and verdicts the library maps those events to.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue } from "effect"
import { TestClock } from "effect/testing"
import OpenAI from "openai"
import type * as Live from "openai/resources/live/live"
import { LiveWS } from "openai/resources/live/ws"
import * as Protocol from "../../src/internal/openaiLive/protocol.js"
import * as Receive from "../../src/internal/openaiLive/receive.js"
import type { LiveState } from "../../src/internal/openaiLive/state.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { initial } from "../openaiLive/support.js"
import { takeUntil } from "../support/queues.js"
import { audio, key, liveClient, replyEnd, start, typed } from "./liveSupport.js"
import { reader as readerOf } from "./reads.js"
import type { Frame } from "./wsClient.js"

/** Reads frames as the OpenAI Live provider does, from a new connection of a call with `settings`. */
const reader = (settings: Parameters<typeof initial>[0] = {}) =>
  readerOf((state: LiveState, text) => Receive.receive(state, text), Protocol.open(initial(settings)).state)

const transcriptOf = (events: ReadonlyArray<RealtimeModelEvent>): string =>
  events.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")

describe("the openai package's Live client against the embedded server", () => {
  it.effect("LiveWS: session.start, a typed turn answered in audio and transcript, session.close", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key })
      const events = yield* Queue.unbounded<Live.ServerEvent>()
      const live = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const socket = new LiveWS(new OpenAI({ apiKey: key, baseURL: server.apiUrl }))
          socket.on("event", (event) => Queue.offerUnsafe(events, event))
          return socket
        }),
        (socket) => Effect.sync(() => socket.close())
      )
      const of = (type: Live.ServerEvent["type"]) => (event: Live.ServerEvent) => event.type === type
      live.send(start({ instructions: "Be brief." }))
      const startedEvents = yield* takeUntil(events, of("session.started"))
      expect(startedEvents.at(-1)).toMatchObject({ session: { model: "gpt-live-1", instructions: "Be brief." } })
      live.send(typed("Hello there."))
      yield* takeUntil(events, of("session.instructions.appended"))
      yield* TestClock.adjust("1 minute")
      const reply = yield* takeUntil(events, of("session.usage.updated"))
      const words = reply.flatMap((event) => event.type === "session.output_transcript.delta" ? [event.delta] : [])
      expect(words.join("")).toBe(RealtimeServer.answer("Hello there."))
      live.send({ type: "session.close" })
      const closed = yield* takeUntil(events, of("session.closed"))
      expect(closed.at(-1)).toMatchObject({ reason: "close_requested" })
    }).pipe(Effect.scoped))
})

describe("the library's OpenAI Live protocol reads the embedded server", () => {
  it.effect("a reply, the model interrupting itself, delegations and the close give the mapped events", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        apiKey: key,
        transcribe: () => "Wait.",
        rules: [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]
      })
      const read = reader()
      const client = yield* liveClient(server)
      yield* client.send(start() as unknown as Frame)
      const opened = read(yield* client.until("session.started"))
      expect(opened.verdicts.map((verdict) => verdict._tag)).toContain("SessionStarted")

      yield* client.send(typed("Hello there.") as unknown as Frame)
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 minute")
      const turn = read(yield* client.until(replyEnd))
      expect(turn.tags).not.toContain("Exception")
      expect(turn.tags).toEqual(
        expect.arrayContaining(["TurnStarted", "Audio", "TranscriptDelta", "AudioDone", "TurnEnded"])
      )
      expect(transcriptOf(turn.events)).toBe(RealtimeServer.answer("Hello there."))

      // the user speaks over the next reply: the model stops, and the turn ends interrupted
      yield* client.send(typed("Tell me about the northern lights.") as unknown as Frame)
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 second")
      yield* client.send(audio(300, true))
      yield* TestClock.adjust("2 seconds")
      yield* client.send(audio(700, false))
      yield* TestClock.adjust("1 minute")
      const bargeIn = read(yield* client.until(replyEnd))
      expect(bargeIn.tags).not.toContain("Exception")
      expect(bargeIn.tags).toContain("AudioInterrupted")
      expect(bargeIn.tags).toContain("InputAudioTranscriptionDelta")
      expect(bargeIn.verdicts.map((verdict) => verdict._tag)).toContain("PlaybackInterrupted")
      expect(bargeIn.tags.filter((tag) => tag === "TurnEnded")).toHaveLength(2)
      // the answer to the user's words is a turn of its own, spoken to its end
      expect(bargeIn.tags.slice(bargeIn.tags.indexOf("AudioInterrupted"))).toContain("AudioDone")
      expect(transcriptOf(bargeIn.events)).toMatch(
        new RegExp(`${RealtimeServer.answer("Wait.").replace(/[.?]/g, "\\$&")}$`)
      )

      // a task delegated to the client is a function call the application answers
      yield* client.send(typed("What's the weather?") as unknown as Frame)
      const delegated = read(yield* client.until("session.delegation.created"))
      const call = delegated.events.find((event) => event._tag === "FunctionCall")
      expect(call).toMatchObject({ name: Receive.clientDelegationName })

      yield* client.send({ type: "session.close" })
      const ended = read(yield* client.until("session.closed"))
      expect(ended.verdicts).toContainEqual({ _tag: "SessionClosed", reason: "close_requested" })
    }).pipe(Effect.scoped))

  it.effect("speech over a reply that ends before the model's next word still ends the turn interrupted", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ apiKey: key, transcribe: () => "Wait." })
      const read = reader()
      const client = yield* liveClient(server)
      yield* client.send(start() as unknown as Frame)
      read(yield* client.until("session.started"))
      yield* client.send(typed("Tell me about the northern lights.") as unknown as Frame)
      yield* client.until("session.instructions.appended")
      yield* TestClock.adjust("1 second")
      // the user's whole utterance arrives at once: heard, and transcribed, before the model's next word
      yield* client.send(audio(300, true))
      yield* client.send(audio(700, false))
      yield* client.until("session.input_transcript.delta")
      yield* TestClock.adjust("1 minute")
      const bargeIn = read([...client.seen, ...(yield* client.until(replyEnd))].slice(1))
      expect(bargeIn.tags).not.toContain("Exception")
      expect(bargeIn.tags).toContain("AudioInterrupted")
      expect(bargeIn.tags.indexOf("AudioInterrupted")).toBeLessThan(bargeIn.tags.lastIndexOf("TurnStarted"))
      expect(transcriptOf(bargeIn.events).endsWith(RealtimeServer.answer("Wait."))).toBe(true)
    }).pipe(Effect.scoped))

  it.effect("a backend's function call is a FunctionCall of its name, and its usage is reported", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        apiKey: key,
        rules: [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]
      })
      const read = reader({ tools: [{ name: "get_weather" }] })
      const client = yield* liveClient(server)
      const session = { delegation: { type: "responses", responses: { model: "gpt-5.6" } } } as const
      yield* client.send(start(session) as unknown as Frame)
      read(yield* client.until("session.started"))
      yield* client.send(typed("What's the weather?") as unknown as Frame)
      const isCompleted = (frame: Frame) =>
        (frame["event"] as { type?: string } | undefined)?.type === "response.completed"
      const called = read(yield* client.until(isCompleted))
      expect(called.tags).not.toContain("Exception")
      expect(called.events.find((event) => event._tag === "FunctionCall")).toMatchObject({
        name: "get_weather",
        arguments: "{\"city\":\"Oslo\"}"
      })
      expect(called.tags).toContain("UsageUpdated")
    }).pipe(Effect.scoped))

  it.live("frame faults on a Live connection: a frame that is not JSON is an Exception, an unknown event is Other", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({
        apiKey: key,
        faults: { nonJsonAfterEvents: 1, unknownEventAfterEvents: 1 }
      })
      const client = yield* liveClient(server)
      yield* client.send(start() as unknown as Frame)
      const frames = yield* client.until("session.future_feature")
      expect(frames.map((frame) => frame["type"] ?? "notJson")).toEqual([
        "session.started",
        "notJson",
        "session.future_feature"
      ])
      const notJson = Receive.receive(Protocol.open(initial()).state, "this frame is not JSON {")
      expect(notJson.events.map((event) => event._tag)).toEqual(["Exception"])
      expect(reader()(frames.slice(2)).tags).toEqual(["Other"])
    }).pipe(Effect.scoped))
})
