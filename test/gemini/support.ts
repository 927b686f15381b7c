/**
 * Helpers for the Gemini Live protocol tests: settings decoded as an application writes them, a
 * state after a list of server messages, and the frames of a step as plain JSON.
 */
import { Schema } from "effect"
import * as Protocol from "../../src/internal/gemini/protocol.js"
import * as Receive from "../../src/internal/gemini/receive.js"
import type { ProtocolOptions, Step } from "../../src/internal/gemini/state.js"
import { defaultOptions } from "../../src/internal/gemini/state.js"
import type { ClientFrame } from "../../src/internal/gemini/wire.js"
import { encodeClientFrame } from "../../src/internal/gemini/wire.js"
import { RealtimeConnectError } from "../../src/RealtimeError.js"
import type { FunctionCall, RealtimeModelEvent } from "../../src/RealtimeModelEvent.js"
import type { RealtimeSessionSettingsInput } from "../../src/RealtimeSessionSettings.js"
import { RealtimeSessionSettings } from "../../src/RealtimeSessionSettings.js"
import { base64, eventsOf, feeder } from "../support/steps.js"

/** Settings as an application writes them (any audio format spelling), decoded. */
export const settings = (input: RealtimeSessionSettingsInput = {}): RealtimeSessionSettings =>
  Schema.decodeUnknownSync(RealtimeSessionSettings)(input)

/** The first state for the settings; fails the test when Gemini refuses them. */
export const initial = (input: RealtimeSessionSettingsInput = {}, options: ProtocolOptions = defaultOptions) => {
  const state = Protocol.init(settings(input), options)
  if (state instanceof RealtimeConnectError) throw new Error(`settings refused: ${state.message}`)
  return state
}

/** A state whose connection is open and set up (its `setupComplete` received). */
export const ready = (input: RealtimeSessionSettingsInput = {}, options: ProtocolOptions = defaultOptions) =>
  Receive.receive(Protocol.open(initial(input, options)).state, JSON.stringify({ setupComplete: {} })).state

/** Every step of a list of server messages, fed in order from a state. */
export const feed = feeder(Receive.receive)

export { accepted, base64, eventsOf, last, refused } from "../support/steps.js"

/** A frame as it goes on the socket, parsed back to JSON. */
export const json = (frame: ClientFrame): unknown => JSON.parse(encodeClientFrame(frame))

/** The frames of a step as JSON. */
export const framesOf = (step: { readonly frames: ReadonlyArray<ClientFrame> }): Array<unknown> => step.frames.map(json)

/** The first function call the steps emitted, as the application receives it. */
export const functionCallOf = (steps: ReadonlyArray<Step>): FunctionCall => {
  const call = eventsOf(steps).find((event): event is FunctionCall & { readonly _tag: "FunctionCall" } =>
    event._tag === "FunctionCall"
  )
  if (call === undefined) throw new Error("no FunctionCall event")
  return call
}

/** The tags of the events, in order. */
export const tags = (events: ReadonlyArray<RealtimeModelEvent>): Array<string> => events.map((event) => event._tag)

/** 24 kHz PCM16 audio of `samples` samples, each `value`. */
export const pcm24 = (samples: number, value = 1000): Uint8Array => {
  const bytes = new Uint8Array(samples * 2)
  const view = new DataView(bytes.buffer)
  for (let index = 0; index < samples; index++) view.setInt16(index * 2, value, true)
  return bytes
}

/** A model audio chunk message of `samples` 24 kHz samples. */
export const modelAudio = (samples: number, value = 1000) => ({
  serverContent: {
    modelTurn: { parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: base64(pcm24(samples, value)) } }] }
  }
})
