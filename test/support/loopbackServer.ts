/**
 * A scripted WebSocket server on 127.0.0.1 for tests: it records every client frame, lets the test
 * push frames, close with a code, or refuse the upgrade, and exposes Queues so tests wait for what
 * they expect instead of sleeping.
 */
import { Effect, Queue } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { type WebSocket, WebSocketServer } from "ws"
import { takeFirst } from "./queues.js"

export interface ServerConnection {
  /** Client frames of this connection, parsed. */
  readonly frames: Queue.Queue<Record<string, unknown>>
  readonly request: IncomingMessage
  readonly send: (frame: unknown) => Effect.Effect<void>
  readonly sendRaw: (text: string) => Effect.Effect<void>
  readonly close: (code?: number, reason?: string) => Effect.Effect<void>
  /** Takes client frames until one of the given type arrives, returning it and those before it. */
  readonly next: (type: string) => Effect.Effect<Record<string, unknown>>
}

export interface LoopbackServer {
  readonly url: string
  readonly port: number
  readonly connections: Queue.Queue<ServerConnection>
  /** One entry per upgrade request received, answered or not. */
  readonly upgrades: Queue.Queue<IncomingMessage>
}

export interface LoopbackOptions {
  /** Refuse every upgrade with this HTTP status. */
  readonly refuseWith?: number
  /** Accept TCP but never answer the upgrade (for handshake timeouts). */
  readonly neverAnswer?: boolean
}

export const make = (options: LoopbackOptions = {}): Effect.Effect<LoopbackServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const connections = yield* Queue.unbounded<ServerConnection>()
    const http = createServer()
    const wss = new WebSocketServer({ noServer: true })
    const sockets = new Set<WebSocket>()
    const pendingSockets = new Set<{ destroy: () => void }>()
    const upgrades = yield* Queue.unbounded<IncomingMessage>()
    http.on("upgrade", (request, socket, head) => {
      Queue.offerUnsafe(upgrades, request)
      if (options.neverAnswer === true) {
        pendingSockets.add(socket)
        return
      }
      if (options.refuseWith !== undefined) {
        socket.end(`HTTP/1.1 ${options.refuseWith} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
        return
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.add(ws)
        const frames = Effect.runSync(Queue.unbounded<Record<string, unknown>>())
        ws.on("message", (data) => {
          Queue.offerUnsafe(frames, JSON.parse(String(data)) as Record<string, unknown>)
        })
        const connection: ServerConnection = {
          frames,
          request,
          send: (frame) => Effect.sync(() => ws.send(JSON.stringify(frame))),
          sendRaw: (text) => Effect.sync(() => ws.send(text)),
          close: (code, reason) => Effect.sync(() => ws.close(code, reason)),
          next: (type) => takeFirst(frames, (frame): frame is Record<string, unknown> => frame["type"] === type)
        }
        Queue.offerUnsafe(connections, connection)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        http.listen(0, "127.0.0.1", () => resume(Effect.succeed((http.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          for (const ws of sockets) ws.terminate()
          for (const socket of pendingSockets) socket.destroy()
          wss.close()
          http.closeAllConnections()
          http.close(() => resume(Effect.void))
        })
    )
    return { url: `ws://127.0.0.1:${port}/v1/realtime`, port, connections, upgrades }
  })
