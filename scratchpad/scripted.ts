/**
 * A voice-agent loop against the scripted model: no network, no API key.
 * Run with `npm run scratchpad`.
 */
import { Console, Effect, Fiber, Stream } from "effect"
import { RealtimeModel, RealtimeModelEvent, RealtimeModelSendEvent } from "../src/index.js"
import { RealtimeTesting } from "../src/testing.js"

const reply = (responseId: string, text: string): ReadonlyArray<RealtimeModelEvent.RealtimeModelEvent> => [
  RealtimeModelEvent.TurnStarted.make({ responseId }),
  ...text.split(" ").map((word) =>
    RealtimeModelEvent.TranscriptDelta.make({ itemId: "item_reply", delta: `${word} `, responseId })
  ),
  RealtimeModelEvent.TurnEnded.make({ responseId })
]

const program = Effect.gen(function*() {
  const model = yield* RealtimeModel.RealtimeModel
  const events = yield* model.subscribe
  const printer = yield* Effect.forkChild(
    Stream.runForEach(
      events,
      (event) => Console.log(event._tag === "TranscriptDelta" ? `  transcript: ${event.delta}` : `event: ${event._tag}`)
    )
  )
  yield* model.connect()
  yield* model.sendEvent(RealtimeModelSendEvent.UserInput.make({ userInput: "What's the weather in Oslo?" }))
  yield* model.close
  yield* Fiber.join(printer)
})

const scripted = RealtimeTesting.layerScripted({
  strict: true,
  steps: [{ expect: "UserInput", emit: reply("resp_1", "Cold and clear, about minus four.") }]
})

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(scripted)))
