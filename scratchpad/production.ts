/**
 * The README's production example, complete: a voice agent on OpenAI's Realtime API that streams
 * microphone audio and answers function calls. Needs OPENAI_API_KEY; type-checked with the rest.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Match, Schedule, Stream } from "effect"
import { OpenAIRealtime, RealtimeModel, RealtimeModelSendEvent as Send } from "../src/index.js"
import { NodeRealtimeWebSocket } from "../src/node.js"

/** Stands in for a microphone: 100 ms of silence at 24 kHz PCM16. */
const microphoneChunk = new Uint8Array(4_800)

const agent = Effect.gen(function*() {
  const model = yield* RealtimeModel.RealtimeModel
  const events = yield* model.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
    Match.value(event).pipe(
      Match.tag("Audio", (audio) => Console.log(`play ${audio.data.byteLength} bytes`)),
      Match.tag("TranscriptDelta", (delta) => Console.log(delta.delta)),
      Match.tag("FunctionCall", (call) =>
        model.sendEvent(Send.ToolOutput.make({ toolCall: call, output: JSON.stringify({ temperature: 21 }) }))),
      Match.orElse(() =>
        Effect.void
      )
    ).pipe(Effect.orDie)))
  yield* model.connect({
    initialSettings: {
      instructions: "Be brief.",
      tools: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]
    }
  })
  yield* model.sendEvent(Send.SendAudio.make({ audio: microphoneChunk })).pipe(
    Effect.repeat(Schedule.spaced("100 millis")),
    Effect.timeout("10 seconds"),
    Effect.ignore
  )
})

// the model dials with the `ws` WebSocket (a browser app provides BrowserRealtimeWebSocket.layer() instead)
const RealtimeLive = OpenAIRealtime.layer().pipe(Layer.provide(NodeRealtimeWebSocket.layer))

// runMain reports a failure (no OPENAI_API_KEY, say) as one logged error and exit code 1
NodeRuntime.runMain(agent.pipe(Effect.scoped, Effect.provide(RealtimeLive)))
