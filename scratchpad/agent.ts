/**
 * The README's example, complete: a voice agent that answers a question with the help of a tool,
 * then is interrupted (barge-in) part-way through its next reply. The tool is an `effect/ai` Tool
 * whose calls `RealtimeTools` answers. It talks to the embedded protocol server, so it runs without
 * a network or an API key: `npx tsx scratchpad/agent.ts`.
 * test/example.test.ts runs it and checks what it prints, and that the README shows this file.
 */
import { Console, Effect, Layer, Queue, Ref, Schema, Stream } from "effect"
import { Tool, Toolkit } from "effect/ai"
import { OpenAIRealtime, RealtimeModel, RealtimeModelSendEvent as Send, RealtimeTools } from "../src/index.js"
import { NodeRealtimeWebSocket } from "../src/node.js"
import { RealtimeServer } from "../src/testing.js"

// a tool the model may call: the session gets its JSON schema, derived from the parameters Schema
const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city, now",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ celsius: Schema.Number })
})
const AgentTools = Toolkit.make(GetWeather)

// its handler gets the decoded parameters; what it returns is encoded with the success Schema
const AgentToolsLive = AgentTools.toLayer({
  get_weather: ({ city }) => Effect.as(Console.log(`tool call: get_weather(${city})`), { celsius: -4 })
})

const agent = Effect.fn("agent")(function*(url: string) {
  const model = yield* RealtimeModel.RealtimeModel
  const replies = yield* Queue.unbounded<string>()
  const transcript = yield* Ref.make("")

  // a listener: it sees every event from now on, in order, until the connection closes
  const events = yield* model.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) => {
    switch (event._tag) {
      case "TranscriptDelta":
        return Ref.update(transcript, (text) => text + event.delta)
      case "AudioInterrupted":
        return Console.log(`barge-in: item ${event.itemId} truncated at what was heard`)
      case "TurnEnded":
        return Effect.flatMap(
          Ref.getAndSet(transcript, ""),
          (text) => text.length > 0 ? Queue.offer(replies, text) : Effect.void
        )
      default:
        return Effect.void
    }
  }))

  yield* model.connect({
    url, // leave it out (and set OPENAI_API_KEY) to talk to OpenAI itself
    initialSettings: {
      instructions: "Be brief.",
      turnDetection: null // the user types; no voice activity detection
    }
  })

  // a question the model answers with the tool's help
  yield* Console.log("user: What's the weather in Oslo?")
  yield* model.sendEvent(Send.UserInput.make({ userInput: "What's the weather in Oslo?" }))
  yield* Console.log(`assistant: ${yield* Queue.take(replies)}`)

  // a long answer, interrupted once its audio has played for a second
  yield* Console.log("user: Tell me about the northern lights.")
  yield* model.sendEvent(Send.UserInput.make({ userInput: "Tell me about the northern lights." }))
  yield* Effect.sleep("1 second")
  yield* model.sendEvent(Send.Interrupt.make({}))
  yield* Console.log(`assistant (interrupted): ${yield* Queue.take(replies)}`)
})

// the embedded server on 127.0.0.1, no key needed: a rule makes the weather question call the tool
const main = Effect.gen(function*() {
  const server = yield* RealtimeServer.make({
    rules: [{ match: "weather", functionCall: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }]
  })
  yield* agent(server.url)
})

// the model dials with the `ws` WebSocket (a browser app provides BrowserRealtimeWebSocket.layer() instead);
// RealtimeTools.layer gives it the toolkit's tools and answers their calls with the handlers
const RealtimeLive = RealtimeTools.layer(AgentTools).pipe(
  Layer.provide(OpenAIRealtime.layer().pipe(Layer.provide(NodeRealtimeWebSocket.layer))),
  Layer.provide(AgentToolsLive)
)

Effect.runPromise(main.pipe(Effect.scoped, Effect.provide(RealtimeLive)))
