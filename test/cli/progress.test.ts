import { describe, expect, it } from "@effect/vitest"
import { progressBar } from "../../src/internal/cli/render.js"
import * as Tally from "../../src/internal/cli/tally.js"
import * as Event from "../../src/RealtimeModelEvent.js"

describe("the progress bar", () => {
  it("shows audio played against how much will be played", () => {
    expect(progressBar(600, 1500, 10)).toBe("[####......] 0.6 s / 1.5 s")
    expect(progressBar(1500, 1500, 10)).toBe("[##########] 1.5 s / 1.5 s")
  })

  it("shows no total while it is not known", () => {
    expect(progressBar(600, null, 4)).toBe("[~~~~] 0.6 s")
  })
})

describe("the command line's tally", () => {
  const usage = Event.UsageUpdated.make({
    usage: { inputTokens: 3, outputTokens: 40, totalTokens: 43, inputTokenDetails: null, outputTokenDetails: null }
  })
  const streaming = [Event.TurnStarted.make({ responseId: "r1" }), Event.Other.make({ data: "x" })].reduce(Tally.step, {
    ...Tally.initial,
    receivedMs: 2000,
    playedMs: 500
  })
  const arrived = Tally.step(streaming, Event.RawServerEvent.make({ data: { type: "response.output_audio.done" } }))

  it("the total is the barge-in point, or the reply's length once it has all arrived", () => {
    expect([Tally.totalOf(streaming, 1500), Tally.totalOf(arrived, 1500)]).toEqual([1500, 1500])
    // a reply shorter than the barge-in point plays to its end
    expect(Tally.totalOf(arrived, 5000)).toBe(2000)
    expect([Tally.totalOf(streaming, undefined), Tally.totalOf(arrived, undefined)]).toEqual([null, 2000])
    expect(Tally.totalOf(Tally.step(streaming, Event.TurnEnded.make({ responseId: "r1" })), undefined)).toBe(2000)
  })

  it("keeps the summary so far: turns, tokens, audio, transcript and errors", () => {
    const state = [usage, Event.ErrorEvent.make({ error: { type: "server_error", message: "boom" } })].reduce(
      Tally.step,
      {
        ...arrived,
        transcript: "Hello "
      }
    )
    expect(Tally.summaryOf(state)).toEqual({
      turns: 1,
      audioReceivedMs: 2000,
      audioPlayedMs: 500,
      inputTokens: 3,
      outputTokens: 40,
      totalTokens: 43,
      firstAudioLatencyMs: null,
      transcript: "Hello ",
      bargeIn: null,
      errors: [{ type: "server_error", message: "boom" }]
    })
  })
})
