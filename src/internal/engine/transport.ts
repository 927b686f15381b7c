/**
 * Owns the WebSocket of one connection, from its making to its close.
 *
 * The application's `RealtimeWebSocket` makes it; Effect's `Socket` opens it (with the handshake
 * timeout), writes to it and reports its end; the connection reads its frames itself, from the
 * socket's `message` events straight into the owner's mailbox; the owner pauses it (where it can)
 * when it is behind.
 *
 * Why frames skip Effect's reader: it buffers each frame, wakes the reading fiber once per socket
 * read, and on a pausable socket (`ws`) UTF-8-encodes every text frame to count bytes for its
 * high-water mark; on a burst of audio deltas that was a third of the client's CPU (see
 * BENCHMARKS.md). The listener is attached when the WebSocket is made, so no frame that arrives
 * with the handshake is missed: frames wait until the connection takes them.
 */
import { Duration, Effect } from "effect"
import * as Socket from "effect/socket/Socket"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import type { Target } from "../realtime/handshake.js"
import { errorOf } from "../realtime/handshake.js"
import type { Flow } from "./protocol.js"

/**
 * A socket being dialled, the WebSocket underneath once it is made (for pings), its flow control
 * and its frames.
 *
 * @category models
 */
export interface Dialled {
  readonly socket: Socket.Socket
  /** The WebSocket, once acquiring the socket's reader has made it. */
  readonly webSocket: () => Socket.WebSocketLike | undefined
  /** Stops and restarts reading the WebSocket, where it can (`ws` can, a browser's cannot). */
  readonly flow: Flow
  /**
   * Hands every text frame to `receive`, in order, from the first (those that came before are
   * handed at once). Binary frames are decoded as UTF-8.
   */
  readonly receive: (receive: (text: string) => void) => void
}

interface Pausable {
  pause(): void
  resume(): void
}

const isPausable = (ws: object): ws is Pausable =>
  "pause" in ws && typeof ws.pause === "function" && "resume" in ws && typeof ws.resume === "function"

/** Sub-protocols alone for a constructor that cannot send headers; headers (and any protocols) otherwise. */
const construct = (webSocket: RealtimeWebSocketService, target: Target): Socket.WebSocketLike =>
  target.headers === undefined || Object.keys(target.headers).length === 0
    ? webSocket.construct(target.url.toString(), target.protocols)
    : webSocket.construct(target.url.toString(), { protocols: target.protocols, headers: target.headers })

/**
 * The WebSocket as Effect's socket sees it: its opening, end and writes, no frames (the connection
 * reads them), no pausing (the connection does it, by its backlog of frames).
 */
class LifecycleOnly implements Socket.WebSocketLike {
  constructor(private readonly ws: Socket.WebSocketLike) {}
  get readyState() {
    return this.ws.readyState
  }
  get binaryType() {
    return "binaryType" in this.ws ? String(this.ws.binaryType) : "arraybuffer"
  }
  set binaryType(type: string) {
    if ("binaryType" in this.ws) (this.ws as { binaryType: string }).binaryType = type
  }
  addEventListener(...[type, listener, options]: Parameters<Socket.WebSocketLike["addEventListener"]>) {
    if (type !== "message") this.ws.addEventListener(type, listener, options)
  }
  removeEventListener(...[type, listener]: Parameters<Socket.WebSocketLike["removeEventListener"]>) {
    if (type !== "message") this.ws.removeEventListener(type, listener)
  }
  close(code?: number, reason?: string) {
    this.ws.close(code, reason)
  }
  send(data: Parameters<Socket.WebSocketLike["send"]>[0]) {
    this.ws.send(data)
  }
}

const utf8 = new TextDecoder()

/** A frame's text: a string as it is, bytes decoded as UTF-8; `undefined` for anything else. */
const textOf = (data: unknown): string | undefined =>
  typeof data === "string"
    ? data
    : data instanceof ArrayBuffer
    ? utf8.decode(data)
    : data instanceof Uint8Array
    ? utf8.decode(data)
    : undefined

/**
 * The socket of a target, over the application's `RealtimeWebSocket`. Acquiring its reader dials
 * and waits for the handshake (at most `openTimeout`, on the Clock); releasing it closes the
 * WebSocket.
 *
 * @category transport
 */
export const socket = (
  webSocket: RealtimeWebSocketService,
  target: Target,
  openTimeout: Duration.Input = Duration.seconds(10)
): Effect.Effect<Dialled> => {
  let made: Socket.WebSocketLike | undefined = undefined
  let paused = false
  const flow: Flow = {
    pause: () => {
      if (paused || made === undefined || !isPausable(made) || made.readyState !== 1) return
      made.pause()
      paused = true
    },
    resume: () => {
      if (!paused || made === undefined || !isPausable(made)) return
      paused = false
      // the socket underneath may be gone already: then there is nothing to resume
      try {
        made.resume()
      } catch {
        return
      }
    }
  }
  let receiver: ((text: string) => void) | undefined = undefined
  const early: Array<string> = []
  const onMessage = (event: Socket.WebSocketEvent) => {
    const text = textOf(event.data)
    if (text === undefined) return
    if (receiver !== undefined) receiver(text)
    else early.push(text)
  }
  const receive = (f: (text: string) => void) => {
    for (const text of early.splice(0)) f(text)
    receiver = f
  }
  return Effect.map(
    Socket.fromWebSocket(
      Effect.acquireRelease(
        Effect.try({
          try: () => {
            made = construct(webSocket, target)
            made.addEventListener("message", onMessage)
            return new LifecycleOnly(made)
          },
          catch: (cause) =>
            new Socket.SocketError({ reason: new Socket.SocketOpenError({ kind: "Unknown", cause: errorOf(cause) }) })
        }),
        (ws) =>
          Effect.sync(() => {
            made?.removeEventListener("message", onMessage)
            receiver = undefined
            // a paused socket could not complete its closing handshake
            flow.resume()
            ws.close(1000)
          })
      ),
      { openTimeout }
    ),
    (socket) => ({ socket, webSocket: () => made, flow, receive })
  )
}
