/**
 * Owns the WebSocket of one connection, from its making to its close: its handshake (with a
 * timeout, on the Clock), its writes, its pausing (where it can), and the delivery of its frames
 * and of its end, in order, straight into the connection's owner.
 *
 * Why not Effect's `Socket`: it buffers each frame and wakes a reading fiber once per socket read
 * (on a pausable socket such as `ws` it also UTF-8-encodes every text frame to count bytes for its
 * high-water mark: a third of the client's CPU on a burst of audio deltas), and a connection that
 * only waits for the socket's end through it holds that fiber, its reader's state and two layers
 * of wrappers for as long as the call lasts (see BENCHMARKS.md, workload (e)). Here the socket's
 * own events call the owner's mailbox: no fiber waits on the socket. The failures are still
 * Effect's `SocketError`s, as `Socket` would report them.
 */
import { Duration, Effect } from "effect"
import * as Socket from "effect/socket/Socket"
import type { RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import type { Target } from "../realtime/handshake.js"
import { errorOf } from "../realtime/handshake.js"
import type { Flow } from "./protocol.js"

/**
 * An open socket: the WebSocket (for pings), its writes, its flow control, and its frames and end.
 *
 * @category models
 */
export interface Dialled {
  readonly webSocket: Socket.WebSocketLike
  /** Writes a text frame; fails with a `SocketWriteError` when the WebSocket refuses it. */
  readonly write: (text: string) => Effect.Effect<void, Socket.SocketError>
  /** Stops and restarts reading the WebSocket, where it can (`ws` can, a browser's cannot). */
  readonly flow: Flow
  /**
   * Hands every text frame to `frame`, in order, from the first (those that came before are handed
   * at once; binary frames are decoded as UTF-8), then the socket's end to `end`, once.
   */
  readonly listen: (frame: (text: string) => void, end: (error: Socket.SocketError) => void) => void
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

const closeError = (code: number, closeReason?: string) =>
  new Socket.SocketError({ reason: new Socket.SocketCloseError({ code, closeReason }) })

const openTimedOut = () =>
  new Socket.SocketError({
    reason: new Socket.SocketOpenError({ kind: "Timeout", cause: new Error("timeout waiting for \"open\"") })
  })

const ignore = () => {}

/**
 * A WebSocket being dialled: the socket, its handshake, its release.
 *
 * @category models
 */
export interface Wire {
  readonly dialled: Dialled
  /** Waits for the handshake (at most `openTimeout`, on the Clock). */
  readonly opened: (openTimeout?: Duration.Input) => Effect.Effect<void, Socket.SocketError>
  /** Detaches the listeners and closes the WebSocket (code 1000): nothing more is delivered. */
  readonly release: () => void
}

/**
 * Makes the WebSocket of `target` over the application's `RealtimeWebSocket`, its listeners
 * attached at once (no frame that comes with the handshake is missed). Whoever makes it releases
 * it: run this where nothing can interrupt between the making and the keeping.
 *
 * @category transport
 */
export const make = (webSocket: RealtimeWebSocketService, target: Target): Effect.Effect<Wire, Socket.SocketError> =>
  Effect.try({
    try: () => wire(construct(webSocket, target)),
    catch: (cause) =>
      new Socket.SocketError({ reason: new Socket.SocketOpenError({ kind: "Unknown", cause: errorOf(cause) }) })
  })

/**
 * The listeners of a WebSocket just made, and what they feed: its cells are fields and its methods
 * live on the prototype (a call keeps one object for its socket, and a closure per listener the
 * WebSocket holds). It is its own `Dialled` and its own `Flow`.
 */
class WireImpl implements Wire, Dialled, Flow {
  isOpen: boolean
  paused = false
  /** How the socket ended, once it did (the first of its error and its close). */
  ended: Socket.SocketError | undefined = undefined
  /** The frames that came before the connection listened. */
  early: Array<string> | undefined = []
  onFrame: ((text: string) => void) | undefined = undefined
  onEnd: ((error: Socket.SocketError) => void) | undefined = undefined
  opening: ((result: Effect.Effect<void, Socket.SocketError>) => void) | undefined = undefined

  // the WebSocket's listeners, and the writer handed to the protocol, are functions of their own
  readonly onMessage = (event: Socket.WebSocketEvent): void => {
    const text = textOf(event.data)
    if (text === undefined) return
    if (this.onFrame !== undefined) this.onFrame(text)
    else this.early?.push(text)
  }
  readonly onOpen = (): void => {
    this.isOpen = true
    const waiting = this.opening
    this.opening = undefined
    waiting?.(Effect.void)
  }
  readonly onError = (event: Socket.WebSocketEvent): void =>
    this.end(
      new Socket.SocketError({
        reason: this.isOpen
          ? new Socket.SocketReadError({ cause: event })
          : new Socket.SocketOpenError({ kind: "Unknown", cause: event })
      })
    )
  readonly onClose = (event: Socket.WebSocketEvent): void =>
    this.end(closeError(typeof event.code === "number" ? event.code : 1006, event.reason))
  readonly write = (text: string): Effect.Effect<void, Socket.SocketError> =>
    Effect.suspend(() => {
      try {
        this.webSocket.send(text)
        return Effect.void
      } catch (cause) {
        return Effect.fail(new Socket.SocketError({ reason: new Socket.SocketWriteError({ cause }) }))
      }
    })

  constructor(readonly webSocket: Socket.WebSocketLike) {
    if ("binaryType" in webSocket) (webSocket as { binaryType: string }).binaryType = "arraybuffer"
    this.isOpen = webSocket.readyState === 1
    webSocket.addEventListener("message", this.onMessage)
    webSocket.addEventListener("open", this.onOpen, { once: true })
    webSocket.addEventListener("error", this.onError, { once: true })
    webSocket.addEventListener("close", this.onClose, { once: true })
  }

  get dialled(): Dialled {
    return this
  }

  get flow(): Flow {
    return this
  }

  end(error: Socket.SocketError): void {
    if (this.ended !== undefined) return
    this.ended = error
    const waiting = this.opening
    this.opening = undefined
    waiting?.(Effect.fail(error))
    this.onEnd?.(error)
  }

  pause(): void {
    const ws = this.webSocket
    if (this.paused || !isPausable(ws) || ws.readyState !== 1) return
    ws.pause()
    this.paused = true
  }

  resume(): void {
    const ws = this.webSocket
    if (!this.paused || !isPausable(ws)) return
    this.paused = false
    // the socket underneath may be gone already: then there is nothing to resume
    try {
      ws.resume()
    } catch {
      return
    }
  }

  listen(frame: (text: string) => void, whenEnded: (error: Socket.SocketError) => void): void {
    const before = this.early ?? []
    this.early = undefined
    for (const text of before) frame(text)
    this.onFrame = frame
    if (this.ended !== undefined) whenEnded(this.ended)
    else this.onEnd = whenEnded
  }

  opened(openTimeout: Duration.Input = Duration.seconds(10)): Effect.Effect<void, Socket.SocketError> {
    return Effect.callback<void, Socket.SocketError>((resume) => {
      if (this.ended !== undefined) return resume(Effect.fail(this.ended))
      if (this.webSocket.readyState >= 2) return resume(Effect.fail(closeError(1006)))
      if (this.isOpen) return resume(Effect.void)
      this.opening = resume
      return Effect.sync(() => {
        if (this.opening === resume) this.opening = undefined
      })
    }).pipe(Effect.timeoutOrElse({ duration: openTimeout, orElse: () => Effect.fail(openTimedOut()) }))
  }

  release(): void {
    const ws = this.webSocket
    this.opening = undefined
    this.onFrame = undefined
    this.onEnd = undefined
    this.early = undefined
    ws.removeEventListener("message", this.onMessage)
    ws.removeEventListener("open", this.onOpen)
    ws.removeEventListener("close", this.onClose)
    ws.removeEventListener("error", this.onError)
    // a late error of a handshake given up stays handled
    ws.addEventListener("error", ignore)
    // a paused socket could not complete its closing handshake
    this.resume()
    ws.close(1000)
  }
}

const wire = (ws: Socket.WebSocketLike): Wire => new WireImpl(ws)
