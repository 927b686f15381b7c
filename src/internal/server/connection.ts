/**
 * One upgraded WebSocket connection of the embedded server: its Socket, the count of open
 * connections, a call's attachment (DTMF in, closed when the call ends), and its session, run
 * until either side closes it; and the OpenAI Realtime front-end's routing of an upgrade.
 */
import { Chunk, Effect, Exit, Option, Queue, Ref } from "effect"
import type { Redacted, Scope } from "effect"
import * as Socket from "effect/socket/Socket"
import type { IncomingMessage } from "node:http"
import type { WebSocket } from "ws"
import type * as Calls from "./calls.js"
import type * as Newer from "./newer.js"
import type { Json } from "./objects.js"
import * as Session from "./session.js"
import { admit, refused, type Routed } from "./upgrade.js"

/** What every connection of a server shares: its records, its calls and the session settings. */
export interface Shared {
  /** Every client frame received, across connections. */
  readonly received: Ref.Ref<Chunk.Chunk<string>>
  /** Connections open now. */
  readonly open: Ref.Ref<number>
  readonly calls: Calls.Calls
  /** The model of a connection that names none. */
  readonly defaultModel: string
  /** The session settings of every connection; its faults and its socket's are added per connection. */
  readonly session: Omit<
    Session.SessionOptions,
    "model" | "send" | "terminate" | "close" | "accepted" | "controls"
  >
}

/** One accepted upgrade. */
export interface Accepted {
  readonly ws: WebSocket
  readonly request: IncomingMessage
  /** The accepted call it attaches to, if it names one. */
  readonly call: Option.Option<Calls.CallInfo>
  /** The session a client secret it opened with was minted with. */
  readonly minted: Option.Option<Json>
  /** After how many events a fault drops it, if one does. */
  readonly closeAfterEvents: number | undefined
  /** When the upgrade was accepted, in Clock milliseconds: the session's start. */
  readonly startedAt: number
}

/** A connection's socket as its session uses it. */
export interface Io {
  /** The next batch of client frames (each recorded in `received`); fails when the socket ends. */
  readonly receive: Effect.Effect<ReadonlyArray<string>, Socket.SocketError>
  /** Sends one text frame; a failed write means the socket is gone, and the reader reports its end. */
  readonly send: (text: string) => Effect.Effect<void>
  /** Drops the connection without a close handshake. */
  readonly terminate: Effect.Effect<void>
  /** Starts the close handshake with this code and reason, after the frames sent before it. */
  readonly close: (code: number, reason: string) => Effect.Effect<void>
}

/**
 * The socket of an upgraded connection, counted open while the scope lasts. Closing: normal once
 * the client is gone, "going away" when the server stops, else an internal error.
 */
export const open = (
  shared: Pick<Shared, "received" | "open">,
  ws: WebSocket
): Effect.Effect<Io, Socket.SocketError, Scope.Scope> =>
  Effect.gen(function*() {
    const socket = yield* Socket.fromWebSocket(
      Effect.acquireRelease(
        Effect.succeed(ws),
        (ws, exit) => Effect.sync(() => ws.close(Exit.hasDies(exit) ? 1011 : Exit.hasInterrupts(exit) ? 1001 : 1000))
      )
    )
    const pull = yield* Socket.readerString(socket)
    const writer = yield* socket.writer
    yield* Effect.acquireRelease(Ref.update(shared.open, (n) => n + 1), () => Ref.update(shared.open, (n) => n - 1))
    return {
      receive: Effect.tap(pull, (frames) => Ref.update(shared.received, Chunk.appendAll(Chunk.fromIterable(frames)))),
      send: (text) => Effect.ignore(writer.write(text)),
      terminate: Effect.sync(() => ws.terminate()),
      close: (code, reason) => Effect.ignore(writer.write(new Socket.CloseEvent(code, reason)))
    }
  })

/** Runs a connection's session in its own scope until its socket ends, logging how it ended. */
export const run = (
  name: string,
  session: Effect.Effect<void, Socket.SocketError, Scope.Scope>
): Effect.Effect<void> =>
  session.pipe(
    Effect.catchTag("SocketError", (error) =>
      error.reason._tag === "SocketCloseError"
        ? Effect.logDebug("client disconnected", error.reason.code)
        : Effect.logWarning("connection failed", error)),
    Effect.scoped,
    Effect.withSpan(name)
  )

/** Runs `session` on an upgraded socket, in its own scope, until the socket ends (see `run`). */
export const runOn = (
  name: string,
  shared: Pick<Shared, "received" | "open">,
  ws: WebSocket,
  session: (io: Io) => Effect.Effect<void, Socket.SocketError, Scope.Scope>
): Effect.Effect<void> => run(name, Effect.flatMap(open(shared, ws), session))

/** Serves one upgraded connection until either side closes it. */
export const serve = (
  shared: Shared,
  { call, closeAfterEvents, minted, request, startedAt, ws }: Accepted
): Effect.Effect<void> =>
  run(
    "RealtimeServer.connection",
    Effect.gen(function*() {
      const io = yield* open(shared, ws)
      // a call's accepted session, else the session a client secret was minted with
      const callSession = Option.flatMapNullishOr(call, (info) => info.session)
      const accepted = Option.getOrUndefined(Option.orElse(callSession, () => minted))
      const model = typeof accepted?.["model"] === "string"
        ? accepted["model"]
        : new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("model") ?? shared.defaultModel
      // a call's connection takes controls (DTMF) and is closed when the call ends
      const controls = Option.isSome(call) ? yield* Queue.unbounded<Newer.Control>() : undefined
      if (Option.isSome(call) && controls !== undefined) {
        yield* shared.calls.attach(call.value.callId, {
          dtmf: (digits) => Effect.asVoid(Queue.offer(controls, { _tag: "Dtmf", digits })),
          close: Effect.sync(() => ws.close(1000))
        })
      }
      yield* Effect.logDebug("client connected").pipe(Effect.annotateLogs({ model }))
      return yield* Session.run(io.receive, {
        ...shared.session,
        model,
        startedAt,
        faults: { ...shared.session.faults, closeAfterEvents },
        send: io.send,
        terminate: io.terminate,
        close: io.close,
        accepted,
        controls
      })
    })
  )

/**
 * Routes an upgrade to the OpenAI Realtime front-end: its credentials must let it in (401), and
 * one naming a `call_id` needs an accepted call (404 unknown, 400 not active).
 */
export const route = (
  shared: Shared,
  request: IncomingMessage,
  verify: (secret: string) => Effect.Effect<Option.Option<Json>>,
  key: Redacted.Redacted<string> | undefined
): Effect.Effect<Routed> =>
  Effect.gen(function*() {
    const admitted = yield* admit(request, verify, key)
    if (Option.isNone(admitted)) return refused(401)
    const callId = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("call_id")
    const call = callId === null ? Option.none() : yield* shared.calls.info(callId)
    if (callId !== null && Option.isNone(call)) return refused(404)
    if (Option.isSome(call) && call.value.status !== "accepted") return refused(400)
    return {
      _tag: "Serve",
      serve: (ws, closeAfterEvents, startedAt) =>
        serve(shared, { ws, request, call, minted: admitted.value, closeAfterEvents, startedAt })
    }
  })
