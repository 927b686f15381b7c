/**
 * A raw WebSocket client of the embedded server for frame-level tests: every server frame parsed
 * into a Queue, so a test waits for the frame it expects instead of sleeping.
 */
import { Data, Deferred, Effect, Queue } from "effect"
import type { Scope } from "effect"
import { WebSocket } from "ws"
import { takeUntil } from "../support/queues.js"

export type Frame = Record<string, unknown>

export interface RawClient {
  readonly send: (frame: Frame) => Effect.Effect<void>
  /** Sends a text frame as it is (JSON or not). */
  readonly sendText: (text: string) => Effect.Effect<void>
  /**
   * Takes frames until one of `type` (an OpenAI event's `type`) arrives, or one that satisfies the
   * predicate; returns every frame taken, that one last.
   */
  readonly until: (type: string | ((frame: Frame) => boolean)) => Effect.Effect<Array<Frame>>
  /** Every frame taken so far, in order. */
  readonly seen: ReadonlyArray<Frame>
  /** The frames received and not taken yet. */
  readonly rest: Effect.Effect<Array<Frame>>
  /** The close code and reason, once the connection is closed. */
  readonly closed: Effect.Effect<{ readonly code: number; readonly reason: string }>
  /** Sends a WebSocket ping. */
  readonly ping: Effect.Effect<void>
  /** Pongs received so far. */
  readonly pongs: () => number
  /** Waits for the next pong. */
  readonly pong: Effect.Effect<void>
}

/** A frame's JSON, or `{ notJson: text }` for a frame that is not JSON (a fault the server injects). */
const parse = (text: string): Frame => {
  try {
    return JSON.parse(text) as Frame
  } catch {
    return { notJson: text }
  }
}

/** The server refused the WebSocket upgrade. */
export class UpgradeRefused extends Data.TaggedError("UpgradeRefused")<{ readonly status: number | undefined }> {
  override get message(): string {
    return `HTTP ${this.status}`
  }
}

/** Opens a client with a Bearer key; it is terminated when the scope closes. */
export const connect = (url: string, key: string): Effect.Effect<RawClient, UpgradeRefused, Scope.Scope> =>
  open(url, { authorization: `Bearer ${key}` })

/** Opens a client with these upgrade headers; it is terminated when the scope closes. */
export const open = (
  url: string,
  headers: Readonly<Record<string, string>>
): Effect.Effect<RawClient, UpgradeRefused, Scope.Scope> =>
  Effect.gen(function*() {
    const frames = yield* Queue.unbounded<Frame>()
    const closed = Deferred.makeUnsafe<{ readonly code: number; readonly reason: string }>()
    const pongs = yield* Queue.unbounded<void>()
    let pongCount = 0
    const ws = yield* Effect.acquireRelease(
      Effect.callback<WebSocket, UpgradeRefused>((resume) => {
        const socket = new WebSocket(url, { headers })
        socket.on("message", (data) => {
          Queue.offerUnsafe(frames, parse(String(data)))
        })
        socket.on("pong", () => {
          pongCount++
          Queue.offerUnsafe(pongs, undefined)
        })
        socket.on("close", (code, reason) => {
          Deferred.doneUnsafe(closed, Effect.succeed({ code, reason: String(reason) }))
        })
        socket.once("open", () => resume(Effect.succeed(socket)))
        socket.once(
          "unexpected-response",
          (_, response) => resume(Effect.fail(new UpgradeRefused({ status: response.statusCode })))
        )
        socket.on("error", () => {})
      }),
      (socket) => Effect.sync(() => socket.terminate())
    )
    const seen: Array<Frame> = []
    return {
      send: (frame) => Effect.sync(() => ws.send(JSON.stringify(frame))),
      sendText: (text) => Effect.sync(() => ws.send(text)),
      until: (type) =>
        Effect.tap(
          takeUntil(frames, typeof type === "string" ? (frame) => frame["type"] === type : type),
          (taken) => Effect.sync(() => seen.push(...taken))
        ),
      seen,
      rest: Queue.clear(frames),
      closed: Deferred.await(closed),
      ping: Effect.sync(() => ws.ping()),
      pongs: () => pongCount,
      pong: Queue.take(pongs)
    }
  })
