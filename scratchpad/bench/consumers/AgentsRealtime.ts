/**
 * `@openai/agents-realtime`'s `OpenAIRealtimeWebSocket` transport (the layer under a
 * `RealtimeSession`), pointed at the loopback URL, counting its `audio` events. On Node it uses
 * `ws` on its own. Its interrupt is the transport's `interrupt()` (truncate at the elapsed playback
 * time, cancel the response).
 */
import { OpenAIRealtimeWebSocket } from "@openai/agents-realtime"
import { Effect } from "effect"
import { BenchError } from "../BenchError.js"
import { callbackLogger, endpointUrl } from "../Consumer.js"
import type { Consumer } from "../Consumer.js"

/** The agents-realtime consumer. */
export const agentsRealtime: Consumer = {
  name: "@openai/agents-realtime",
  listeners: 1,
  connect: (endpoint, receivers) =>
    Effect.flatMap(callbackLogger, (logError) =>
      Effect.acquireRelease(
        Effect.suspend(() => {
          const transport = new OpenAIRealtimeWebSocket()
          transport.on("audio", (event) => {
            let interrupt = false
            for (const receiver of receivers) interrupt = receiver.onAudio(event.data.byteLength) || interrupt
            if (interrupt) transport.interrupt()
          })
          transport.on("error", (event) => logError("@openai/agents-realtime reported an error", event.error))
          // The SDK's connect is Promise-based; this is the one place the harness must await it.
          return Effect.tryPromise({
            try: () => transport.connect({ apiKey: "bench", url: endpointUrl(endpoint), model: "gpt-realtime" }),
            catch: (cause) =>
              new BenchError({
                message: `@openai/agents-realtime could not connect to ${endpointUrl(endpoint)}`,
                cause
              })
          }).pipe(Effect.as(transport))
        }),
        (transport) => Effect.sync(() => transport.close())
      ))
}
