/**
 * The `openai` package's own realtime client, `OpenAIRealtimeWS` from `openai/realtime/ws`, with
 * the audio decoded the way its users do (`Buffer.from(delta, "base64")`). The client always
 * builds a `wss:` URL from the client's base URL; to compare every consumer over the same plain
 * loopback socket (no TLS cost for one of them), its `ws` is handed a TCP connection to the
 * loopback port through the `createConnection` socket option.
 */
import { Effect } from "effect"
import * as Net from "node:net"
import OpenAI from "openai"
import { OpenAIRealtimeWS } from "openai/realtime/ws"
import { BenchError } from "../BenchError.js"
import { callbackLogger } from "../Consumer.js"
import type { Consumer } from "../Consumer.js"

/** The openai-SDK consumer. */
export const openaiSdk: Consumer = {
  name: "openai (OpenAIRealtimeWS)",
  listeners: 1,
  connect: (endpoint, receivers) =>
    Effect.flatMap(callbackLogger, (logError) =>
      Effect.acquireRelease(
        Effect.callback<OpenAIRealtimeWS, BenchError>((resume) => {
          const client = new OpenAI({ apiKey: "bench", baseURL: `http://127.0.0.1:${endpoint.port}${endpoint.path}` })
          const realtime = new OpenAIRealtimeWS(
            { model: "gpt-realtime", options: { createConnection: () => Net.connect(endpoint.port, "127.0.0.1") } },
            client
          )
          let lastItemId = ""
          realtime.on("response.output_audio.delta", (event) => {
            const pcm = Buffer.from(event.delta, "base64")
            lastItemId = event.item_id
            let interrupt = false
            for (const receiver of receivers) interrupt = receiver.onAudio(pcm.byteLength) || interrupt
            if (interrupt) {
              realtime.send({
                type: "conversation.item.truncate",
                item_id: lastItemId,
                content_index: 0,
                audio_end_ms: 0
              })
              realtime.send({ type: "response.cancel" })
            }
          })
          realtime.on("error", (error) => logError("openai OpenAIRealtimeWS reported an error", error))
          realtime.socket.once("open", () => resume(Effect.succeed(realtime)))
          realtime.socket.once("error", (cause) =>
            resume(
              Effect.fail(
                new BenchError({ message: `openai OpenAIRealtimeWS could not connect: ${cause.message}`, cause })
              )
            ))
          return Effect.sync(() => realtime.socket.terminate())
        }),
        (realtime) => Effect.sync(() => realtime.close())
      ))
}
