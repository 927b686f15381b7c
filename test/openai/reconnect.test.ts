import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Logger, Queue, Redacted, References, Schedule, Stream } from "effect"
import type { Duration } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import * as AudioFormat from "../../src/AudioFormat.js"
import * as Pcm16 from "../../src/internal/audio/Pcm16.js"
import * as Tone from "../../src/internal/audio/Tone.js"
import * as NodeRealtimeWebSocket from "../../src/NodeRealtimeWebSocket.js"
import * as OpenAIClientSecrets from "../../src/OpenAIClientSecrets.js"
import * as OpenAIRealtime from "../../src/OpenAIRealtime.js"
import * as PlaybackTracker from "../../src/PlaybackTracker.js"
import { RealtimeConnectError, RealtimeConnectionLost } from "../../src/RealtimeError.js"
import type { RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import type { ReconnectOptions, TransportOptions } from "../../src/RealtimeReconnect.js"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { takeUntil } from "../support/queues.js"

/** Two seconds between attempts, at most `times` retries: every delay is known to the test. */
const every2s = (times: number) => Schedule.spaced("2 seconds").pipe(Schedule.upTo({ times }))

/** The server on the real clock (its replies stream in real time), the model on the TestClock. */
const liveServer = (options: RealtimeServer.RealtimeServerOptions = {}) =>
  TestClock.withLive(
    RealtimeServer.make({
      speed: 40,
      rules: [
        { match: "name is", reply: "Nice to meet you, Ada." },
        { match: "weather", reply: "It is sunny with a light breeze over the whole coast today." }
      ],
      ...options
    })
  )

const connected = (
  server: RealtimeServer.RealtimeServer,
  options: { readonly reconnect?: ReconnectOptions; readonly transport?: TransportOptions } = {}
) =>
  Effect.gen(function*() {
    const model = yield* OpenAIRealtime.make({ apiKey: "sk-reconnect", ...options }).pipe(
      Effect.provide(NodeRealtimeWebSocket.layer)
    )
    const events = yield* Queue.unbounded<RealtimeModelEvent>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
    yield* Effect.orDie(model.connect({ url: server.url, initialSettings: { turnDetection: null } }))
    const until = (predicate: (event: RealtimeModelEvent) => boolean) => takeUntil(events, predicate)
    // the server has the session settings once it says so
    yield* until((event) => event._tag === "Other" && (event.data as { type?: unknown }).type === "session.updated")
    return { model, events, until }
  })

const say = (text: string) => Send.UserInput.make({ userInput: text })
const isStatus = (status: string) => (event: RealtimeModelEvent) =>
  event._tag === "ConnectionStatusChanged" && event.status === status
const isReconnected = (event: RealtimeModelEvent): event is Extract<RealtimeModelEvent, { _tag: "Reconnected" }> =>
  event._tag === "Reconnected"

/** The client frames the server got after the `n`th session.update, parsed. */
const framesAfterUpdate = (server: RealtimeServer.RealtimeServer, n: number) =>
  Effect.map(server.received, (texts) => {
    const frames = texts.map((text) => JSON.parse(text) as { type: string; item?: Record<string, unknown> })
    const updates = frames.flatMap((frame, i) => frame.type === "session.update" ? [i] : [])
    return frames.slice((updates[n - 1] ?? frames.length) + 1)
  })

/** A model in a long gap (the next dial 30 s away), with a text send waiting in it. */
const sendInTheGap = (sendTimeout: Duration.Input) =>
  Effect.gen(function*() {
    const server = yield* liveServer()
    const { model, until } = yield* connected(server, {
      reconnect: { schedule: Schedule.spaced("30 seconds").pipe(Schedule.upTo({ times: 3 })), sendTimeout }
    })
    yield* server.faults.refuseNext(1, 503)
    yield* server.faults.dropAll
    yield* until(isStatus("reconnecting"))
    const waiting = yield* Effect.forkChild(Effect.flip(model.sendEvent(say("hello?"))), { startImmediately: true })
    yield* Effect.yieldNow
    return { model, server, until, waiting }
  })

describe("OpenAIRealtime: calls that outlive their connection", () => {
  it.effect("a drop mid-response reconnects by the schedule; the next turn is answered with the history in place", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const { model, until } = yield* connected(server, { reconnect: { schedule: every2s(3), rollover: false } })
      yield* Effect.orDie(model.sendEvent(say("Hello, my name is Ada")))
      yield* until((event) => event._tag === "TurnEnded")
      yield* Effect.orDie(model.sendEvent(say("How is the weather?")))
      const inFlight = [...(yield* until((event) => event._tag === "Audio"))].reverse().find((event) =>
        event._tag === "TurnStarted"
      )
      // the first dial after the drop is refused: the next one waits for the schedule's delay
      yield* server.faults.refuseNext(1, 503)
      expect(yield* server.faults.dropAll).toBe(1)
      const gap = yield* until(isStatus("reconnecting"))
      expect(gap.find((event) => event._tag === "ErrorEvent")).toMatchObject({
        error: { _tag: "RealtimeConnectionLost", reason: "Dropped", code: 1006 }
      })
      yield* Effect.yieldNow
      expect(yield* server.connectionAttempts).toBe(2)
      expect(yield* model.status).toBe("reconnecting")
      yield* TestClock.adjust("2 seconds")
      const back = yield* until(isReconnected)
      const reconnected = back.find(isReconnected)!
      expect(reconnected).toMatchObject({
        cause: "dropped",
        attempts: 2,
        restored: { settings: true, responseRequested: false },
        lost: { responseId: inFlight?._tag === "TurnStarted" ? inFlight.responseId : "?", audioBytes: 0, items: 0 }
      })
      // the first turn (both sides) and the second question, at least, were replayed
      expect(reconnected.restored.items).toBeGreaterThanOrEqual(3)
      expect(yield* server.connectionsAccepted).toBe(2)
      expect(yield* model.status).toBe("connected")
      // the next turn is answered on the new connection, and the replay's echoes never reach listeners
      yield* Effect.orDie(model.sendEvent(say("Is the weather nice?")))
      const answer = yield* until((event) => event._tag === "TurnEnded")
      const replayed = yield* framesAfterUpdate(server, 2)
      expect(replayed.slice(0, 3).map((frame) => [frame.type, frame.item?.["role"]])).toEqual([
        ["conversation.item.create", "user"],
        ["conversation.item.create", "assistant"],
        ["conversation.item.create", "user"]
      ])
      expect(JSON.stringify(replayed[1])).toContain("Nice to meet you, Ada.")
      const echoed = answer.flatMap((event) => event._tag === "ItemUpdated" ? [event.item.itemId] : [])
      const replayedIds = replayed.flatMap((frame) => typeof frame.item?.["id"] === "string" ? [frame.item["id"]] : [])
      expect(echoed.filter((id) => replayedIds.includes(id))).toEqual([])
      expect(answer.some((event) => event._tag === "Audio")).toBe(true)
    }))

  it.effect("after a barge-in, a reconnect replays the cut-off reply only up to what was heard, in whole words", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const tracker = yield* PlaybackTracker.make
      const model = yield* OpenAIRealtime.make({
        apiKey: "sk-reconnect",
        reconnect: { schedule: every2s(3), rollover: false }
      }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const events = yield* Queue.unbounded<RealtimeModelEvent>()
      yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
      yield* Effect.orDie(model.connect({
        url: server.url,
        initialSettings: { turnDetection: null },
        playbackTracker: tracker
      }))
      yield* Effect.orDie(model.sendEvent(say("How is the weather?")))
      const turn = yield* takeUntil(events, (event) => event._tag === "TurnEnded")
      const transcript = turn.flatMap((event) => event._tag === "TranscriptDelta" ? [event.delta] : []).join("")
      const audio = turn.flatMap((event) => event._tag === "Audio" ? [event] : [])
      expect(transcript).toBe("It is sunny with a light breeze over the whole coast today.")
      const receivedMs = AudioFormat.durationMs("pcm16", audio.reduce((n, event) => n + event.data.byteLength, 0))
      // the user heard 40 % of the reply's audio, then spoke over it
      yield* Effect.orDie(tracker.onPlayMs(audio[0]!.itemId, 0, Math.floor(receivedMs * 0.4)))
      yield* Effect.orDie(model.sendEvent(Send.Interrupt.make({})))
      // the server has the truncate once it answers it
      yield* takeUntil(
        events,
        (event) => event._tag === "Other" && (event.data as { type?: unknown }).type === "conversation.item.truncated"
      )
      yield* server.faults.dropAll
      yield* takeUntil(events, isReconnected)
      // once the next turn is answered, the server has had the replay
      yield* Effect.orDie(model.sendEvent(say("Is the weather nice?")))
      yield* takeUntil(events, (event) => event._tag === "TurnEnded")
      const replayed = (yield* framesAfterUpdate(server, 2)).find((frame) =>
        frame.type === "conversation.item.create" && frame.item?.["role"] === "assistant"
      )
      const said = (replayed?.item?.["content"] as ReadonlyArray<{ text: string }> | undefined)?.[0]?.text ?? ""
      // at most the heard 40 % of the characters, cut where a word ends: "It is sunny with a" (18 of 59)
      expect(said).toBe("It is sunny with a")
      expect(transcript.startsWith(said)).toBe(true)
      expect(said.length).toBeLessThanOrEqual(Math.floor(transcript.length * 0.4))
    }))

  it.effect("an apiKey given as an Effect is run for every dial: a fresh secret for the reconnect and for the rollover", () =>
    Effect.gen(function*() {
      // on the TestClock, like the model: a secret opens connections for 10 seconds, then only a newer one does
      const server = yield* RealtimeServer.make({ apiKey: "sk-server-side-only" })
      const secrets = yield* OpenAIClientSecrets.OpenAIClientSecrets.pipe(
        Effect.provide(
          OpenAIClientSecrets.layer({ apiKey: Redacted.make("sk-server-side-only"), apiUrl: server.apiUrl }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        )
      )
      const minted: Array<string> = []
      const mint = Effect.map(secrets.create({ expiresAfter: "10 seconds" }), (secret) => {
        minted.push(Redacted.value(secret.value))
        return secret.value
      })
      const model = yield* OpenAIRealtime.make({
        apiKey: mint,
        reconnect: { schedule: every2s(3), rollover: { sessionLimit: "60 seconds", margin: "10 seconds" } },
        transport: { pingInterval: false }
      }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
      const events = yield* Queue.unbounded<RealtimeModelEvent>()
      yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
      yield* Effect.orDie(model.connect({ url: server.url, initialSettings: { turnDetection: null } }))
      expect(minted).toHaveLength(1)
      // the first secret expires; a drop then needs a new one
      yield* TestClock.adjust("20 seconds")
      yield* server.faults.dropAll
      // the call goes on, or ends (a stale secret is refused with 401, which is not retried)
      const goesOn = (event: RealtimeModelEvent) => isReconnected(event) || event._tag === "EndOfStream"
      expect((yield* takeUntil(events, goesOn)).at(-1)).toMatchObject({ _tag: "Reconnected", cause: "dropped" })
      expect(minted).toHaveLength(2)
      // 50 seconds into the second session (its secret long expired), the next one is prepared with a third
      yield* TestClock.adjust("50 seconds")
      expect((yield* takeUntil(events, goesOn)).at(-1)).toMatchObject({ _tag: "Reconnected", cause: "rollover" })
      expect(minted).toHaveLength(3)
      expect(new Set(minted).size).toBe(3)
      expect(yield* server.connectionAttempts).toBe(3)
      expect(yield* server.connectionsAccepted).toBe(3)
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("a silent peer is found by the keepalive: no pong within the timeout ends the connection", () =>
    Effect.gen(function*() {
      const server = yield* liveServer({ faults: { ignorePings: true } })
      const { until } = yield* connected(server, { transport: { pingInterval: "5 seconds", pongTimeout: "3 seconds" } })
      yield* Effect.yieldNow
      yield* TestClock.adjust("5 seconds")
      yield* TestClock.adjust("3 seconds")
      const end = yield* until((event) => event._tag === "EndOfStream")
      const error = end.find((event) => event._tag === "ErrorEvent")
      expect(error?._tag === "ErrorEvent" && error.error).toBeInstanceOf(RealtimeConnectionLost)
      expect(error).toMatchObject({ error: { reason: "KeepaliveTimeout" } })
      expect(end.map((event) => event._tag).slice(-2)).toEqual(["ConnectionStatusChanged", "EndOfStream"])
    }))

  it.effect("a peer that answers its pings stays connected, ping after ping", () =>
    Effect.gen(function*() {
      const pongs = yield* Queue.unbounded<string>()
      const logger = Logger.make(({ message }) => {
        const text = String(message)
        if (text.startsWith("pong ")) Queue.offerUnsafe(pongs, text)
      })
      yield* Effect.gen(function*() {
        const server = yield* liveServer()
        const { model } = yield* connected(server, {
          transport: { pingInterval: "5 seconds", pongTimeout: "3 seconds" }
        })
        yield* Effect.yieldNow
        for (let i = 0; i < 3; i++) {
          // a ping every 5 seconds after the last pong
          yield* TestClock.adjust(i === 0 ? "5 seconds" : "2 seconds")
          // the pong arrives over the real socket, with no time passing on the TestClock
          expect(yield* Queue.take(pongs)).toBe("pong 0 ms after the ping")
          yield* TestClock.adjust("3 seconds")
          expect(yield* model.status).toBe("connected")
        }
      }).pipe(
        Effect.provide(Logger.layer([logger])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
    }))

  it.effect("a 401 on reconnect is fatal at once: no second attempt, the typed error, EndOfStream", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const { model, until } = yield* connected(server, { reconnect: { schedule: every2s(5), rollover: false } })
      yield* server.faults.refuseFromNow(401)
      yield* server.faults.dropAll
      const end = yield* until((event) => event._tag === "EndOfStream")
      const errors = end.flatMap((event) => event._tag === "ErrorEvent" ? [event.error] : [])
      expect(errors[0]).toBeInstanceOf(RealtimeConnectionLost)
      expect(errors[1]).toBeInstanceOf(RealtimeConnectError)
      expect(errors[1]).toMatchObject({ reason: "Unauthorized", status: 401 })
      expect(yield* server.connectionAttempts).toBe(2)
      expect(yield* model.status).toBe("disconnected")
      expect((yield* Effect.flip(model.sendEvent(say("anyone?")))).reason).toBe("Closed")
    }))

  it.effect("an exhausted schedule ends the call with the last attempt's typed error and EndOfStream", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const { until } = yield* connected(server, { reconnect: { schedule: every2s(2), rollover: false } })
      yield* server.faults.refuseFromNow(503)
      yield* server.faults.dropAll
      yield* until(isStatus("reconnecting"))
      // the first attempt at once, then one per delay: 3 in all
      for (let i = 0; i < 2; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("2 seconds")
      }
      const end = yield* until((event) => event._tag === "EndOfStream")
      const last = end.flatMap((event) => event._tag === "ErrorEvent" ? [event.error] : []).at(-1)
      expect(last).toBeInstanceOf(RealtimeConnectError)
      expect(last).toMatchObject({ reason: "Handshake", status: 503 })
      expect(yield* server.connectionAttempts).toBe(4)
    }))

  it.effect("sends in the gap: audio is dropped and counted, text waits for the new connection", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const { model, until } = yield* connected(server, { reconnect: { schedule: every2s(3), rollover: false } })
      yield* server.faults.refuseNext(1, 503)
      yield* server.faults.dropAll
      yield* until(isStatus("reconnecting"))
      yield* Effect.orDie(model.sendEvent(Send.SendAudio.make({ audio: new Uint8Array(4800), commit: false })))
      const question = yield* Effect.forkChild(model.sendEvent(say("Are you still there?")), {
        startImmediately: true
      })
      yield* Effect.yieldNow
      expect(question.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("2 seconds")
      const back = (yield* until(isReconnected)).find(isReconnected)
      expect(back?.lost.audioBytes).toBe(4800)
      yield* Fiber.join(question)
      yield* until((event) => event._tag === "TurnEnded")
      const after = yield* framesAfterUpdate(server, 2)
      const created = after.filter((frame) => frame.type === "conversation.item.create")
      expect(created).toHaveLength(1)
      expect(created[0]?.item).toMatchObject({ role: "user", content: [{ text: "Are you still there?" }] })
      expect(after.some((frame) => frame.type === "input_audio_buffer.append")).toBe(false)
    }))

  it.effect("a send that finds the socket ended before the call has moved on waits for the new connection", () =>
    Effect.gen(function*() {
      const stalled = yield* Deferred.make<void>()
      const socketEnded = yield* Deferred.make<void>()
      const logger = Logger.make(({ message }) => {
        const text = String(message)
        if (text.includes("events behind")) Deferred.doneUnsafe(stalled, Effect.void)
        if (text.includes("the socket ended")) Deferred.doneUnsafe(socketEnded, Effect.void)
      })
      yield* Effect.gen(function*() {
        const server = yield* liveServer()
        const model = yield* OpenAIRealtime.make({
          apiKey: "sk-reconnect",
          listenerBuffer: { capacity: 1 },
          reconnect: { schedule: every2s(3), rollover: false },
          transport: { pingInterval: false }
        }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        // a listener that holds its first event: the connection stops processing frames behind it
        const release = yield* Deferred.make<void>()
        const events = yield* Queue.unbounded<RealtimeModelEvent>()
        yield* Effect.forkScoped(
          Stream.runForEach(
            yield* model.subscribe,
            (event) => Effect.andThen(Deferred.await(release), Queue.offer(events, event))
          )
        )
        yield* Effect.orDie(model.connect({ url: server.url, initialSettings: { turnDetection: null } }))
        yield* Deferred.await(stalled)
        yield* server.faults.dropAll
        yield* Deferred.await(socketEnded)
        // the socket has ended, the connection has not processed it: the call is still "connected"
        expect(yield* model.status).toBe("connected")
        const question = yield* Effect.forkChild(model.sendEvent(say("Hello, my name is Ada")), {
          startImmediately: true
        })
        yield* Effect.yieldNow
        expect(question.pollUnsafe()).toBeUndefined()
        yield* Deferred.succeed(release, undefined)
        yield* takeUntil(events, isReconnected)
        yield* Fiber.join(question)
        yield* takeUntil(events, (event) => event._tag === "TurnEnded")
        // written once, on the new connection
        const created = (yield* server.received).map((text) => JSON.parse(text) as { type: string; item?: unknown })
          .filter((frame) => frame.type === "conversation.item.create")
        expect(created.map((frame) => frame.item)).toMatchObject([
          { role: "user", content: [{ text: "Hello, my name is Ada" }] }
        ])
        expect(yield* server.connectionsAccepted).toBe(2)
      }).pipe(
        Effect.provide(Logger.layer([logger])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
    }))

  it.effect("a send in the gap fails typed when the connection does not come back in time", () =>
    Effect.gen(function*() {
      const { waiting } = yield* sendInTheGap("3 seconds")
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(waiting)
      expect(error).toMatchObject({ _tag: "RealtimeSendError", reason: "Reconnecting", eventTag: "UserInput" })
    }))

  it.effect("a fatal re-dial ends the call: a send waiting in the gap fails Closed at once, not Reconnecting", () =>
    Effect.gen(function*() {
      const { server, waiting } = yield* sendInTheGap("10 minutes")
      yield* server.faults.refuseFromNow(401)
      yield* TestClock.adjust("30 seconds")
      // the clock is far from the send's timeout: the end of the call answered it
      expect(yield* Fiber.join(waiting)).toMatchObject({
        reason: "Closed",
        eventTag: "UserInput",
        cause: { _tag: "RealtimeConnectError", reason: "Unauthorized" }
      })
    }))

  it.effect("an exhausted schedule ends the call: a send waiting in the gap fails Closed at once", () =>
    Effect.gen(function*() {
      const { model, server, until, waiting } = yield* sendInTheGap("10 minutes")
      yield* server.faults.refuseFromNow(503)
      // three retries 30 seconds apart, each refused
      for (let i = 0; i < 3; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("30 seconds")
      }
      yield* until((event) => event._tag === "EndOfStream")
      expect(yield* Fiber.join(waiting)).toMatchObject({
        reason: "Closed",
        eventTag: "UserInput",
        cause: { _tag: "RealtimeConnectError", reason: "Handshake", status: 503 }
      })
      expect(yield* model.status).toBe("disconnected")
    }))

  it.effect("close during the gap: a waiting send fails with Closed at once, listeners end, a new connect works", () =>
    Effect.gen(function*() {
      const { model, server, until, waiting } = yield* sendInTheGap("1 minute")
      yield* model.close
      // no clock moved: the send was answered by the close, not by its timeout
      expect(yield* Fiber.join(waiting)).toMatchObject({ reason: "Closed", eventTag: "UserInput" })
      const end = yield* until((event) => event._tag === "EndOfStream")
      expect(end.at(-2)).toMatchObject({ _tag: "ConnectionStatusChanged", status: "disconnected" })
      expect(yield* model.status).toBe("disconnected")
      yield* Effect.orDie(model.connect({ url: server.url }))
      expect(yield* model.status).toBe("connected")
    }))

  it.effect("the session's time limit (the service's 1001 close) is retried, and the call goes on", () =>
    Effect.gen(function*() {
      const server = yield* RealtimeServer.make({ sessionDurationLimit: "10 minutes" })
      // no pings: a ten-minute jump of the TestClock leaves no room for a pong to arrive
      const { until } = yield* connected(server, {
        reconnect: { schedule: every2s(3), rollover: false },
        transport: { pingInterval: false }
      })
      yield* Effect.yieldNow
      yield* TestClock.adjust("10 minutes")
      const back = yield* until(isReconnected)
      const errors = back.flatMap((event) => event._tag === "ErrorEvent" ? [event.error] : [])
      // the service's error event, then the close it explains
      expect(errors).toMatchObject([
        { type: "invalid_request_error", code: "session_expired" },
        { _tag: "RealtimeConnectionLost", reason: "ServerClosed", code: 1001, serverError: { code: "session_expired" } }
      ])
      expect(back.find(isReconnected)).toMatchObject({ cause: "dropped", attempts: 1 })
      expect(yield* server.connectionsAccepted).toBe(2)
    }))

  it.effect("a next session that cannot be prepared leaves the call to reconnect when the service ends this one", () =>
    Effect.gen(function*() {
      const warned = yield* Deferred.make<void>()
      const logger = Logger.make(({ message }) => {
        if (String(message).includes("could not be prepared")) Deferred.doneUnsafe(warned, Effect.void)
      })
      yield* Effect.gen(function*() {
        // on the TestClock, like the model: the service's limit is 60 seconds
        const server = yield* RealtimeServer.make({ sessionDurationLimit: "60 seconds" })
        const { until } = yield* connected(server, {
          reconnect: { schedule: every2s(3), rollover: { sessionLimit: "60 seconds", margin: "10 seconds" } },
          transport: { pingInterval: false }
        })
        yield* server.faults.refuseNext(1, 503)
        yield* Effect.yieldNow
        yield* TestClock.adjust("50 seconds")
        yield* Deferred.await(warned)
        yield* TestClock.adjust("10 seconds")
        const back = (yield* until(isReconnected)).find(isReconnected)
        expect(back).toMatchObject({ cause: "dropped", attempts: 1 })
        // the first session, the refused next one, the reconnect
        expect(yield* server.connectionAttempts).toBe(3)
        expect(yield* server.connectionsAccepted).toBe(2)
      }).pipe(Effect.provide(Logger.layer([logger])))
    }))

  it.effect("the session ends before a turn boundary came: the session prepared for the rollover takes over", () =>
    Effect.gen(function*() {
      const ready = yield* Deferred.make<void>()
      const logger = Logger.make(({ message }) => {
        if (String(message).includes("the next session is ready")) Deferred.doneUnsafe(ready, Effect.void)
      })
      yield* Effect.gen(function*() {
        // on the TestClock, like the model: the service's limit is 60 seconds
        const server = yield* RealtimeServer.make({ sessionDurationLimit: "60 seconds" })
        const model = yield* OpenAIRealtime.make({
          apiKey: "sk-reconnect",
          reconnect: { schedule: every2s(3), rollover: { sessionLimit: "60 seconds", margin: "10 seconds" } },
          transport: { pingInterval: false }
        }).pipe(Effect.provide(NodeRealtimeWebSocket.layer))
        const events = yield* Queue.unbounded<RealtimeModelEvent>()
        yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => Queue.offer(events, event)))
        yield* Effect.orDie(model.connect({
          url: server.url,
          initialSettings: { turnDetection: { type: "server_vad", createResponse: false } }
        }))
        // the user starts speaking and does not stop: no turn boundary comes
        yield* Effect.orDie(
          model.sendEvent(Send.SendAudio.make({ audio: Pcm16.toBytes(Tone.sine(440, 400, 24_000, 0.5)) }))
        )
        yield* takeUntil(
          events,
          (event) =>
            event._tag === "Other" && (event.data as { type?: unknown }).type === "input_audio_buffer.speech_started"
        )
        yield* TestClock.adjust("50 seconds")
        yield* Deferred.await(ready)
        yield* TestClock.adjust("10 seconds")
        const back = (yield* takeUntil(events, isReconnected)).find(isReconnected)
        expect(back).toMatchObject({ cause: "dropped", attempts: 0 })
        // no dial after the loss: the first session and the one prepared
        expect(yield* server.connectionAttempts).toBe(2)
        expect(yield* model.status).toBe("connected")
      }).pipe(
        Effect.provide(Logger.layer([logger])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
    }))

  it.effect("rollover under a short session limit switches at a turn boundary, no event lost or repeated", () =>
    Effect.gen(function*() {
      const server = yield* liveServer()
      const { model, until } = yield* connected(server, {
        reconnect: { schedule: every2s(3), rollover: { sessionLimit: "60 seconds", margin: "10 seconds" } },
        transport: { pingInterval: false }
      })
      yield* Effect.orDie(model.sendEvent(say("Hello, my name is Ada")))
      yield* until((event) => event._tag === "TurnEnded")
      yield* Effect.orDie(model.sendEvent(say("How is the weather?")))
      yield* until((event) => event._tag === "Audio")
      // the next session is prepared while the reply plays, and taken once it is done
      yield* TestClock.adjust("50 seconds")
      const turn = yield* until(isReconnected)
      expect(turn.find(isReconnected)).toMatchObject({ cause: "rollover", lost: { responseId: null, items: 0 } })
      const tags = turn.map((event) => event._tag)
      expect(tags.indexOf("TurnEnded")).toBeLessThan(tags.indexOf("Reconnected"))
      expect(tags).not.toContain("ConnectionStatusChanged")
      expect(tags.filter((tag) => tag === "TurnStarted")).toHaveLength(0)
      expect(tags.filter((tag) => tag === "TurnEnded")).toHaveLength(1)
      expect(yield* server.connectionsAccepted).toBe(2)
      expect(yield* server.connections).toBe(1)
      yield* Effect.orDie(model.sendEvent(say("Is the weather nice?")))
      const next = yield* until((event) => event._tag === "TurnEnded")
      // the replayed items were seen once, before the switch; their echoes on the new session are not repeated
      const replayed = yield* framesAfterUpdate(server, 2)
      const replayedIds = replayed.flatMap((frame) => typeof frame.item?.["id"] === "string" ? [frame.item["id"]] : [])
      expect(replayedIds.length).toBeGreaterThanOrEqual(4)
      const seenAgain = next.flatMap((event) =>
        event._tag === "ItemUpdated" && replayedIds.includes(event.item.itemId) ? [event.item.itemId] : []
      )
      expect(seenAgain).toEqual([])
      expect(next.filter((event) => event._tag === "TurnStarted")).toHaveLength(1)
      expect(next.some((event) => event._tag === "Audio")).toBe(true)
    }))
})
