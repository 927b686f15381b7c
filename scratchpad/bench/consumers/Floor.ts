/**
 * The floor: `ws` + `JSON.parse` + base64 decode, nothing else. No library can do less work per
 * frame, so every other consumer is reported as a multiple of it. Its interrupt is what a
 * hand-written client would send: truncate the last audio item and cancel the response.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { WebSocket } from "ws"
import { BenchError } from "../BenchError.js"
import { endpointUrl, textOf } from "../Consumer.js"
import type { Consumer } from "../Consumer.js"

interface AudioDeltaFrame {
  readonly type: string
  readonly item_id?: string
  readonly delta?: string
}

/** Opens a `ws` client socket, closed when the Scope closes. */
export const openSocket = (url: string): Effect.Effect<WebSocket, BenchError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<WebSocket, BenchError>((resume) => {
      const socket = new WebSocket(url, { headers: { Authorization: "Bearer bench" }, perMessageDeflate: false })
      socket.once("open", () => resume(Effect.succeed(socket)))
      socket.once("error", (cause) =>
        resume(Effect.fail(new BenchError({ message: `could not open ${url}: ${cause.message}`, cause }))))
      return Effect.sync(() =>
        socket.terminate()
      )
    }),
    (socket) => Effect.sync(() => socket.close())
  )

/** The floor consumer. */
export const floor: Consumer = {
  name: "floor (ws + JSON.parse + base64)",
  listeners: 1,
  connect: (endpoint, receivers) =>
    Effect.gen(function*() {
      const socket = yield* openSocket(endpointUrl(endpoint))
      let lastItemId = ""
      socket.on("message", (data) => {
        const frame = JSON.parse(textOf(data)) as AudioDeltaFrame
        if (frame.type !== "response.output_audio.delta" || frame.delta === undefined) return
        const pcm = Buffer.from(frame.delta, "base64")
        lastItemId = frame.item_id ?? lastItemId
        let interrupt = false
        for (const receiver of receivers) interrupt = receiver.onAudio(pcm.byteLength) || interrupt
        if (interrupt) {
          socket.send(
            JSON.stringify({
              type: "conversation.item.truncate",
              item_id: lastItemId,
              content_index: 0,
              audio_end_ms: 0
            })
          )
          socket.send(JSON.stringify({ type: "response.cancel" }))
        }
      })
    })
}
