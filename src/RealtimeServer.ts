/**
 * An embedded server that speaks OpenAI's Realtime GA protocol on loopback: see the library work
 * without an API key, and test voice agents without the network. Replies are deterministic
 * (rules, a default reply, tones whose length follows the text).
 *
 * @since 0.1.0
 */
import { Context, Effect, FiberSet, Layer, Queue, Redacted, Ref, Runtime, Schema } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { WebSocketServer } from "ws"
import type { WebSocket } from "ws"
import * as Session from "./internal/server/session.js"
import { defaultModelName } from "./RealtimeSessionSettings.js"

/**
 * A reply rule: when the last user text (or transcript) contains `match` (case-insensitive) or
 * matches the RegExp, the model answers with `reply`, or calls the function.
 *
 * @since 0.1.0
 */
export type ReplyRule = Session.ReplyRule

/**
 * Fault injection for tests of error handling.
 *
 * @since 0.1.0
 */
export interface Faults extends Session.Faults {
  /** Refuse every WebSocket upgrade with this HTTP status. */
  readonly refuseUpgrade?: number
}

/**
 * How the server behaves.
 *
 * @since 0.1.0
 */
export interface RealtimeServerOptions {
  /** The port; default: one the OS picks. The server always listens on 127.0.0.1. */
  readonly port?: number
  /** When set, upgrades without this key (Bearer header or `openai-insecure-api-key.` sub-protocol) get HTTP 401. */
  readonly apiKey?: string | Redacted.Redacted<string>
  /** How many times faster than real time reply audio is sent. Default 1. */
  readonly speed?: number
  /** Milliseconds of audio per `response.output_audio.delta`. Default 100. */
  readonly chunkMs?: number
  /** Milliseconds of reply audio per character of reply text. Default 65. */
  readonly msPerChar?: number
  /** Reply rules, tried in order. */
  readonly rules?: ReadonlyArray<ReplyRule>
  /** The reply when no rule matches. */
  readonly defaultReply?: string
  /** The transcript of a committed user audio buffer. Default: a description of its length. */
  readonly transcribe?: (samples: Int16Array, ms: number) => string
  /** Faults to inject. */
  readonly faults?: Faults
}

/**
 * A running embedded server.
 *
 * @since 0.1.0
 */
export interface RealtimeServer {
  /** The WebSocket URL to connect to, e.g. `ws://127.0.0.1:PORT/v1/realtime`. */
  readonly url: string
  readonly port: number
  /** Every client frame received so far, across connections, as text. */
  readonly received: Effect.Effect<ReadonlyArray<string>>
  /** Connections open now. */
  readonly connections: Effect.Effect<number>
}

/**
 * The server could not start (for example, the port is taken).
 *
 * @since 0.1.0
 */
export class RealtimeServerError extends Schema.TaggedError<RealtimeServerError>()("RealtimeServerError", {
  message: Schema.String
}) {}

/**
 * The running server as a service.
 *
 * @since 0.1.0
 */
export class EmbeddedRealtimeServer extends Context.Tag("effect-realtime/EmbeddedRealtimeServer")<
  EmbeddedRealtimeServer,
  RealtimeServer
>() {}

/** The reply when no rule matches and none is configured. */
export const defaultReply =
  "The northern lights appear when charged particles from the sun meet the upper atmosphere, and they glow green, pink and violet above the polar regions."

const authorized = (request: IncomingMessage, key: string): boolean => {
  if (request.headers.authorization === `Bearer ${key}`) return true
  const protocols = String(request.headers["sec-websocket-protocol"] ?? "").split(",").map((part) => part.trim())
  return protocols.includes(`openai-insecure-api-key.${key}`)
}

/**
 * Starts the server on 127.0.0.1; it stops when the Scope closes (clients disconnected, port released).
 *
 * @since 0.1.0
 */
export const make = (options: RealtimeServerOptions = {}): Effect.Effect<RealtimeServer, RealtimeServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const fibers = yield* FiberSet.make()
    const received = yield* Ref.make<ReadonlyArray<string>>([])
    const open = yield* Ref.make(0)
    const key = options.apiKey === undefined
      ? undefined
      : Redacted.isRedacted(options.apiKey)
      ? Redacted.value(options.apiKey)
      : options.apiKey
    const counter = { value: 0 }
    const ids = () => ++counter.value
    const sockets = new Set<WebSocket>()
    const wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has("realtime") ? "realtime" : false)
    })
    const http = createServer((_, response) => {
      response.writeHead(426, { "content-type": "text/plain" }).end("this is a WebSocket endpoint")
    })

    const serve = (ws: WebSocket, request: IncomingMessage) =>
      Effect.gen(function*() {
        const inbound = yield* Queue.unbounded<string | null>()
        ws.on("message", (data) => {
          const text = String(data)
          Runtime.runSync(runtime)(Ref.update(received, (all) => [...all, text]))
          Queue.unsafeOffer(inbound, text)
        })
        ws.on("close", () => Queue.unsafeOffer(inbound, null))
        const model = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("model") ?? defaultModelName
        yield* Ref.update(open, (n) => n + 1)
        yield* Session.run(inbound, {
          model,
          ids,
          speed: options.speed ?? 1,
          chunkMs: options.chunkMs ?? 100,
          msPerChar: options.msPerChar ?? 65,
          rules: options.rules ?? [],
          defaultReply: options.defaultReply ?? defaultReply,
          transcribe: options.transcribe ?? ((_, ms) => `(${Math.round(ms)} ms of speech)`),
          faults: options.faults ?? {},
          send: (text) =>
            Effect.sync(() => {
              if (ws.readyState === ws.OPEN) ws.send(text)
            }),
          terminate: Effect.sync(() => ws.terminate())
        }).pipe(Effect.ensuring(Effect.zipRight(Ref.update(open, (n) => n - 1), Effect.sync(() => ws.close()))))
      })

    http.on("upgrade", (request, socket, head) => {
      const refuse = options.faults?.refuseUpgrade
      const status = refuse ?? (key !== undefined && !authorized(request, key) ? 401 : undefined)
      if (status !== undefined) {
        socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Refused"}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
        return
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.add(ws)
        ws.on("close", () => sockets.delete(ws))
        FiberSet.unsafeAdd(fibers, Runtime.runFork(runtime)(serve(ws, request)))
      })
    })

    const port = yield* Effect.acquireRelease(
      Effect.async<number, RealtimeServerError>((resume) => {
        http.once("error", (error) => resume(Effect.fail(new RealtimeServerError({ message: `could not listen: ${error.message}` }))))
        http.listen(options.port ?? 0, "127.0.0.1", () => resume(Effect.succeed((http.address() as AddressInfo).port)))
      }),
      () =>
        Effect.async<void>((resume) => {
          for (const ws of sockets) ws.terminate()
          wss.close()
          http.closeAllConnections()
          http.close(() => resume(Effect.void))
        })
    )
    return {
      url: `ws://127.0.0.1:${port}/v1/realtime`,
      port,
      received: Ref.get(received),
      connections: Ref.get(open)
    }
  })

/**
 * A layer running the server for the layer's lifetime.
 *
 * @since 0.1.0
 */
export const layer = (options: RealtimeServerOptions = {}): Layer.Layer<EmbeddedRealtimeServer, RealtimeServerError> =>
  Layer.scoped(EmbeddedRealtimeServer, make(options))
