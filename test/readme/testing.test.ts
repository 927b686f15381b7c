import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { RealtimeModel, RealtimeModelEvent as Event, RealtimeModelSendEvent as Send } from "../../src/index.js"
import { RealtimeTesting } from "../../src/testing.js"

// the agent under test: it asks about the weather and answers the model's tool calls
const weatherAgent = Effect.gen(function*() {
  const model = yield* RealtimeModel.RealtimeModel
  const events = yield* model.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
    event._tag === "FunctionCall"
      ? Effect.orDie(model.sendEvent(Send.ToolOutput.make({ toolCall: event, output: "{\"celsius\":-4}" })))
      : Effect.void))
  yield* model.connect()
  yield* model.sendEvent(Send.UserInput.make({ userInput: "Weather in Oslo?" }))
})

const toolCall = Event.FunctionCall.make({
  name: "get_weather",
  callId: "call_1",
  arguments: "{\"city\":\"Oslo\"}",
  itemId: "item_1",
  previousItemId: null
})

// strict: every send must match the next step, and steps left over fail the test
const script = RealtimeTesting.layerScripted({
  strict: true,
  steps: [
    { expect: "UserInput", emit: [Event.TurnStarted.make({ responseId: "r1" }), toolCall] },
    {
      expect: (sent) => sent._tag === "ToolOutput" && sent.output.includes("celsius"),
      emit: [Event.TurnEnded.make({ responseId: "r2" })]
    }
  ]
})

describe("weather agent", () => {
  it.effect("answers the model's tool call", () =>
    Effect.gen(function*() {
      const model = yield* RealtimeTesting.ScriptedRealtimeModel
      const events = yield* model.subscribe
      yield* weatherAgent
      // the script's last step emits TurnEnded: wait for it, no sleeping
      yield* Stream.runDrain(Stream.takeUntil(events, (event) => event._tag === "TurnEnded"))
      expect((yield* model.sent).map((sent) => sent._tag)).toEqual(["UserInput", "ToolOutput"])
    }).pipe(Effect.provide(script)))
})
