/**
 * A long call that survives its connection: the network drops mid-call and the model reconnects
 * with the conversation restored; later the session nears its time limit and the model moves to a
 * fresh session at a turn boundary. The listener's stream goes on through both. It talks to the
 * embedded server (sessions there last 6 seconds, so the rollover comes quickly), with no key:
 * `npx tsx scratchpad/longCall.ts`. test/scratchpad.test.ts runs it and checks what it prints.
 */
import { Console, Effect, Layer, Queue, Ref, Stream } from "effect"
import { OpenAIRealtime, RealtimeModel, RealtimeModelSendEvent as Send } from "../src/index.js"
import type { RealtimeModelEvent } from "../src/index.js"
import { NodeRealtimeWebSocket } from "../src/node.js"
import { RealtimeServer } from "../src/testing.js"

type Reconnected = Extract<RealtimeModelEvent.RealtimeModelEvent, { readonly _tag: "Reconnected" }>

const call = Effect.fn("call")(function*(server: RealtimeServer.RealtimeServer) {
  const model = yield* RealtimeModel.RealtimeModel
  const replies = yield* Queue.unbounded<string>()
  const reconnects = yield* Queue.unbounded<Reconnected>()
  const transcript = yield* Ref.make("")

  // one listener for the whole call: it is not ended by a drop or a rollover
  yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => {
    switch (event._tag) {
      case "TranscriptDelta":
        return Ref.update(transcript, (text) => text + event.delta)
      case "TurnEnded":
        return Effect.flatMap(Ref.getAndSet(transcript, ""), (text) => Queue.offer(replies, text))
      case "ConnectionStatusChanged":
        return event.status === "reconnecting" ? Console.log("status: reconnecting") : Effect.void
      case "Reconnected":
        return Queue.offer(reconnects, event)
      default:
        return Effect.void
    }
  }))

  const ask = (question: string) =>
    Effect.gen(function*() {
      yield* Console.log(`user: ${question}`)
      yield* model.sendEvent(Send.UserInput.make({ userInput: question }))
      yield* Console.log(`assistant: ${yield* Queue.take(replies)}`)
    })

  yield* model.connect({ url: server.url, initialSettings: { instructions: "Be brief.", turnDetection: null } })
  yield* ask("Hello, my name is Ada.")

  // the network drops: the call reconnects by its schedule, with the conversation restored
  yield* Console.log(`network: dropped ${yield* server.faults.dropAll} connection`)
  const dropped = yield* Queue.take(reconnects)
  yield* Console.log(
    `reconnected (${dropped.cause}) after ${dropped.attempts} attempt(s): ${dropped.restored.items} items restored`
  )
  yield* ask("How is the weather?")

  // the session nears its limit: the next one is prepared in the background and taken between turns
  const rolled = yield* Queue.take(reconnects)
  yield* Console.log(`new session (${rolled.cause}): ${rolled.restored.items} items carried over`)
  yield* ask("Do you still know my name?")
  yield* Console.log(`sessions opened: ${yield* server.connectionsAccepted}`)
})

const main = Effect.gen(function*() {
  const server = yield* RealtimeServer.make({
    speed: 20,
    sessionDurationLimit: "6 seconds",
    rules: [
      { match: "name is", reply: "Nice to meet you, Ada." },
      { match: "weather", reply: "Sunny and mild." },
      { match: "my name", reply: "Yes, you are Ada." }
    ]
  })
  yield* call(server)
})

// reconnect by the default schedule; roll over 2 seconds before the server's 6-second limit
const RealtimeLive = OpenAIRealtime.layer({
  reconnect: { rollover: { sessionLimit: "6 seconds", margin: "2 seconds" } }
}).pipe(Layer.provide(NodeRealtimeWebSocket.layer))

Effect.runPromise(main.pipe(Effect.scoped, Effect.provide(RealtimeLive)))
