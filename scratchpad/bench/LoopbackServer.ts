/**
 * A loopback realtime server (plain `ws` on 127.0.0.1, OS-picked port) that replays a script to
 * each connection, in the script's protocol (GA Realtime, or Gemini Live). A connection names its
 * session in the URL path (`/s/<id>/...`); it gets the script's opening frame (`session.created` at
 * once, or `setupComplete` in answer to the client's `setup`), and the script when the harness
 * starts the session, so connection setup stays out of the measured window.
 *
 * The replay loop itself is a tight synchronous pump (not one Effect per frame): it is the
 * measuring instrument, shares the process with every consumer, and must cost the same, and as
 * little as possible, for all of them. It records the send time of every audio frame.
 */
import { Deferred, Effect, FiberSet } from "effect"
import type { Scope } from "effect"
import type { IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { type RawData, WebSocket, WebSocketServer } from "ws"
import { BenchError } from "./BenchError.js"
import { textOf } from "./Consumer.js"
import type { Endpoint } from "./Consumer.js"
import type { Script } from "./Script.js"

/** Bytes queued in `ws` above which the pump waits for the socket to flush. */
const HIGH_WATER_BYTES = 256 * 1024

/** How a session replays its script. */
export interface Pace {
  /** Realtime multiplier (50 = fifty times faster than realtime), or null: as fast as possible. */
  readonly speed: number | null
}

/** One connection's replay, as the harness sees it. */
export interface ServerSession {
  readonly endpoint: Endpoint
  /** `performance.now()` at the send of the n-th audio frame. */
  readonly sendTimes: Float64Array
  /** Completes when the consumer's socket has been accepted. */
  readonly accepted: Effect.Effect<void>
  /** Starts the replay. */
  readonly start: Effect.Effect<void>
  /** Completes when the whole script was handed to the socket. */
  readonly replayed: Effect.Effect<void, BenchError>
  /** Client frames received, by `type`. */
  readonly clientFrames: () => ReadonlyMap<string, number>
}

/** The running server. */
export interface LoopbackServer {
  readonly port: number
  /** Registers a session for one connection; it is forgotten when the Scope closes. */
  readonly session: (script: Script, pace: Pace) => Effect.Effect<ServerSession, never, Scope.Scope>
  /** WebSocket pings received from clients so far, over all connections. */
  readonly pings: () => number
}

interface SessionState {
  readonly script: Script
  readonly pace: Pace
  readonly sendTimes: Float64Array
  readonly accepted: Deferred.Deferred<void>
  readonly start: Deferred.Deferred<void>
  readonly replayed: Deferred.Deferred<void, BenchError>
  readonly clientFrames: Map<string, number>
}

const listen: Effect.Effect<WebSocketServer, BenchError, Scope.Scope> = Effect.acquireRelease(
  Effect.callback<WebSocketServer, BenchError>((resume) => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false })
    server.once("listening", () => resume(Effect.succeed(server)))
    server.once(
      "error",
      (cause) =>
        resume(
          Effect.fail(new BenchError({ message: `the loopback server could not listen: ${cause.message}`, cause }))
        )
    )
  }),
  (server) =>
    Effect.callback<void>((resume) => {
      for (const client of server.clients) client.terminate()
      server.close(() => resume(Effect.void))
    })
)

/** Sends the script's frames in order, paced or as fast as the socket drains. */
const replay = (socket: WebSocket, session: SessionState): Effect.Effect<void, BenchError> =>
  Effect.callback<void, BenchError>((resume) => {
    const frames = session.script.frames()[Symbol.iterator]()
    const speed = session.pace.speed
    const origin = performance.now()
    let next = frames.next()
    let audio = 0
    let timer: NodeJS.Timeout | undefined
    let finished = false
    const finish = (error: BenchError | null) => {
      if (finished) return
      finished = true
      resume(error === null ? Effect.void : Effect.fail(error))
    }
    const flushed = (error?: Error | null) => {
      if (error !== undefined && error !== null) {
        finish(new BenchError({ message: `the loopback server could not send: ${error.message}` }))
      } else pump()
    }
    const pump = (): void => {
      timer = undefined
      // `finish` is the only writer of `finished` while this loop runs, and the loop returns after it
      if (finished) return
      while (next.done !== true) {
        if (socket.readyState !== WebSocket.OPEN) {
          return finish(new BenchError({ message: `the consumer closed its socket after ${audio} audio frames` }))
        }
        const frame = next.value
        if (speed !== null) {
          const wait = origin + frame.atMs / speed - performance.now()
          if (wait > 0.5) {
            timer = setTimeout(pump, wait)
            return
          }
        }
        const text = frame.render()
        if (frame.isAudio) session.sendTimes[audio++] = performance.now()
        next = frames.next()
        if (socket.bufferedAmount > HIGH_WATER_BYTES) return socket.send(text, flushed)
        socket.send(text)
      }
      finish(null)
    }
    pump()
    return Effect.sync(() => {
      finished = true
      if (timer !== undefined) clearTimeout(timer)
    })
  })

const countClientFrame = (session: SessionState, data: RawData): void => {
  const parsed: unknown = JSON.parse(textOf(data))
  const type = typeof parsed === "object" && parsed !== null && "type" in parsed && typeof parsed.type === "string"
    ? parsed.type
    : "(no type)"
  session.clientFrames.set(type, (session.clientFrames.get(type) ?? 0) + 1)
}

/** Starts a loopback server for the lifetime of the Scope. */
export const make: Effect.Effect<LoopbackServer, BenchError, Scope.Scope> = Effect.gen(function*() {
  const server = yield* listen
  const port = (server.address() as AddressInfo).port
  const sessions = new Map<string, SessionState>()
  const run = yield* FiberSet.makeRuntime<never>()
  let nextId = 0
  let pings = 0
  const countPing = () => {
    pings++
  }

  const onConnection = (socket: WebSocket, request: IncomingMessage) => {
    const id = (request.url ?? "").split("/")[2] ?? ""
    const session = sessions.get(id)
    if (session === undefined) return socket.close(4004, `no session ${id}`)
    const open = () => {
      socket.send(session.script.opening.frame())
      Deferred.doneUnsafe(session.accepted, Effect.void)
    }
    let opened = !session.script.opening.answersClient
    socket.on("message", (data) => {
      countClientFrame(session, data)
      if (!opened) {
        opened = true
        open()
      }
    })
    socket.on("ping", countPing)
    if (opened) open()
    // an idle script has nothing to replay: no fiber waits for its start
    if (session.script.frameCount === 0) return Deferred.doneUnsafe(session.replayed, Effect.void)
    run(
      Deferred.await(session.start).pipe(
        Effect.andThen(replay(socket, session)),
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(session.replayed, exit))
      )
    )
  }
  server.on("connection", onConnection)

  const session = (script: Script, pace: Pace): Effect.Effect<ServerSession, never, Scope.Scope> =>
    Effect.gen(function*() {
      const id = String(nextId++)
      const state: SessionState = {
        script,
        pace,
        sendTimes: new Float64Array(script.audioCount),
        accepted: yield* Deferred.make<void>(),
        start: yield* Deferred.make<void>(),
        replayed: yield* Deferred.make<void, BenchError>(),
        clientFrames: new Map()
      }
      yield* Effect.acquireRelease(
        Effect.sync(() => sessions.set(id, state)),
        () => Effect.sync(() => sessions.delete(id))
      )
      return {
        endpoint: { port, path: `/s/${id}` },
        sendTimes: state.sendTimes,
        accepted: Deferred.await(state.accepted),
        start: Effect.asVoid(Deferred.succeed(state.start, undefined)),
        replayed: Deferred.await(state.replayed),
        clientFrames: () => state.clientFrames
      }
    })

  return { port, session, pings: () => pings }
})
