/**
 * The toolkit the tool tests give a model: a weather tool whose answer depends on the city (a
 * result, a typed failure, a defect), and a lookup that takes a second of the Clock, reporting
 * when it starts, ends or is interrupted; and a model that also puts what is sent through it on a
 * queue, so a test waits for an output instead of sleeping.
 */
import { Effect, Queue, Schema } from "effect"
import { Tool, Toolkit } from "effect/ai"
import type { RealtimeModelService } from "../../src/RealtimeModel.js"
import type { RealtimeModelSendEvent } from "../../src/RealtimeModelSendEvent.js"

export const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city, now",
  parameters: Schema.Struct({ city: Schema.String.annotate({ description: "The city's name" }) }),
  success: Schema.Struct({ celsius: Schema.Number }),
  failure: Schema.Struct({ unknownCity: Schema.String })
})

export const LookUp = Tool.make("look_up", {
  description: "A slow lookup in the archive",
  parameters: Schema.Struct({ key: Schema.String }),
  success: Schema.String
})

export const WeatherToolkit = Toolkit.make(GetWeather, LookUp)

/** What the lookup's handler reports, in order: `start <key>`, `end <key>`, `interrupted <key>`. */
export type Report = Queue.Queue<string>

export const handlers = (reports: Report) =>
  WeatherToolkit.toLayer({
    get_weather: ({ city }) =>
      city === "Oslo"
        ? Effect.succeed({ celsius: -4 })
        : city === "Atlantis"
        ? Effect.fail({ unknownCity: city })
        : Effect.die(new Error(`weather service exploded (secret internals) for ${city}`)),
    look_up: ({ key }) =>
      Queue.offer(reports, `start ${key}`).pipe(
        Effect.andThen(Effect.sleep("1 second")),
        Effect.andThen(Queue.offer(reports, `end ${key}`)),
        Effect.as(`the archive says ${key}`),
        Effect.onInterrupt(() => Queue.offer(reports, `interrupted ${key}`))
      )
  })

/** `model`, whose every successful `sendEvent` is also offered to `sent`. */
export const recordingSends = (
  model: RealtimeModelService,
  sent: Queue.Queue<RealtimeModelSendEvent>
): RealtimeModelService => ({
  ...model,
  sendEvent: (event) => Effect.tap(model.sendEvent(event), () => Queue.offer(sent, event))
})
