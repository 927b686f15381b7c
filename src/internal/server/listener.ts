/**
 * The embedded server's sockets: the `node:http` listener on 127.0.0.1 and the `ws` server its
 * upgrades go to. Released with its scope: every client socket dropped, then the port closed. Pings
 * are answered by hand (`autoPong: false`), so that a fault can leave them unanswered.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import type { WebSocket } from "ws"

/** What the server does with each request and upgrade. */
export interface Handlers {
  readonly request: (request: IncomingMessage, response: ServerResponse) => void
  readonly upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void
}

/** One server's sockets. */
export interface Listener {
  /** Drops every client socket now, without a close handshake; returns how many it dropped. */
  readonly dropAll: Effect.Effect<number>
  /**
   * Completes an upgrade: the WebSocket is paused (nothing is read until its session pulls, so no
   * early frame is lost) and answers pings unless `pingsIgnored` says no, then goes to `opened`.
   */
  readonly accept: (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pingsIgnored: () => boolean,
    opened: (ws: WebSocket) => void
  ) => void
  /** Listens on 127.0.0.1 (`port` 0: one the OS picks) with these handlers; returns the port. */
  readonly listen: (port: number, handlers: Handlers) => Effect.Effect<number, Error>
}

/** New sockets, released with the scope. */
export const make: Effect.Effect<Listener, never, Scope.Scope> = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => ({
      http: createServer(),
      wss: new WebSocketServer({
        noServer: true,
        autoPong: false,
        handleProtocols: (protocols) => (protocols.has("realtime") ? "realtime" : false)
      })
    })),
    ({ http, wss }) =>
      Effect.callback<void>((resume) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        http.closeAllConnections()
        http.close(() => resume(Effect.void))
      })
  ),
  ({ http, wss }): Listener => ({
    dropAll: Effect.sync(() => {
      const open = [...wss.clients]
      for (const client of open) client.terminate()
      return open.length
    }),
    accept: (request, socket, head, pingsIgnored, opened) =>
      wss.handleUpgrade(request, socket, head, (ws) => {
        ws.pause()
        ws.on("ping", (data) => {
          if (!pingsIgnored() && ws.readyState === ws.OPEN) ws.pong(data)
        })
        opened(ws)
      }),
    listen: (port, handlers) =>
      Effect.callback<number, Error>((resume) => {
        http.on("request", handlers.request)
        http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
          // a client may reset the connection while its upgrade is decided: nothing to report then
          socket.on("error", () => {})
          handlers.upgrade(request, socket, head)
        })
        const onError = (cause: Error) => resume(Effect.fail(cause))
        http.once("error", onError)
        http.listen(port, "127.0.0.1", () => {
          http.off("error", onError)
          resume(Effect.succeed((http.address() as AddressInfo).port))
        })
      })
  })
)
