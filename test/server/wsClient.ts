/**
 * A raw WebSocket client of the embedded server for frame-level tests: every server frame parsed
 * into a Queue, so a test waits for the frame it expects instead of sleeping.
 */
import { Data, Effect, Queue } from "effect"
import type { Scope } from "effect"
import { WebSocket } from "ws"
import { takeUntil } from "../support/queues.js"

export type Frame = Record<string, unknown>

export interface RawClient {
  readonly send: (frame: Frame) => Effect.Effect<void>
  /** Takes frames until one of `type` arrives; returns every frame taken, that one last. */
  readonly until: (type: string) => Effect.Effect<Array<Frame>>
  /** Every frame taken so far, in order. */
  readonly seen: ReadonlyArray<Frame>
  /** Resolves with the close code once the server closes the connection. */
  readonly closed: Effect.Effect<number>
}

/** The server refused the WebSocket upgrade. */
export class UpgradeRefused extends Data.TaggedError("UpgradeRefused")<{ readonly status: number | undefined }> {
  override get message(): string {
    return `HTTP ${this.status}`
  }
}

/** Opens a client with a Bearer key; it is terminated when the scope closes. */
export const connect = (url: string, key: string): Effect.Effect<RawClient, UpgradeRefused, Scope.Scope> =>
  Effect.gen(function*() {
    const frames = yield* Queue.unbounded<Frame>()
    const closes = yield* Queue.unbounded<number>()
    const ws = yield* Effect.acquireRelease(
      Effect.callback<WebSocket, UpgradeRefused>((resume) => {
        const socket = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } })
        socket.on("message", (data) => {
          Queue.offerUnsafe(frames, JSON.parse(String(data)) as Frame)
        })
        socket.on("close", (code) => {
          Queue.offerUnsafe(closes, code)
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
      until: (type) =>
        Effect.tap(
          takeUntil(frames, (frame) => frame["type"] === type),
          (taken) => Effect.sync(() => seen.push(...taken))
        ),
      seen,
      closed: Queue.take(closes)
    }
  })
