/**
 * The client frames the model builds are typed: each is a value of the encoded client event types
 * derived from the protocol's Schemas, so what the corpus rejects at run time (a missing or
 * misspelt field, a value outside an enum, a wrong type) is already a compile error. Every
 * `@ts-expect-error` below is checked by `npm run typecheck`: were the types to let the frame
 * through, the directive would be unused and the type-check would fail.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Convert from "../../src/internal/openai/convert.js"
import type { ClientEvent } from "../../src/internal/protocol/clientEvents.js"
import { sessionUpdate } from "../../src/internal/protocol/session.js"
import * as Event from "../../src/RealtimeModelEvent.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { clientFrameErrors } from "../support/protocolCorpus.js"

// ---- frames the compiler refuses, each also refused by the corpus ----

// @ts-expect-error `audio_end` is misspelt, so `audio_end_ms` is missing
const truncate: ClientEvent = { type: "conversation.item.truncate", item_id: "it", content_index: 0, audio_end: 120 }

// @ts-expect-error `audo` is misspelt, so `audio` is missing
const append: ClientEvent = { type: "input_audio_buffer.append", audo: "AAAA" }

// @ts-expect-error a response id is a string
const cancel: ClientEvent = { type: "response.cancel", response_id: 42 }

const customer: ClientEvent = {
  type: "conversation.item.create",
  // @ts-expect-error a message's role is system, user or assistant
  item: { type: "message", role: "customer", content: [{ type: "input_text", text: "hi" }] }
}

const toolOutput: ClientEvent = {
  type: "conversation.item.create",
  // @ts-expect-error `callId` is the domain's spelling; the wire's `call_id` is missing
  item: { type: "function_call_output", callId: "call_1", output: "{}" }
}

const modalities: ClientEvent = {
  type: "session.update",
  // @ts-expect-error an output modality is text or audio
  session: { type: "realtime", output_modalities: ["video"] }
}

const vad: ClientEvent = {
  type: "session.update",
  // @ts-expect-error the turn detection type is misspelt
  session: { type: "realtime", audio: { input: { turn_detection: { type: "server_vda" } } } }
}

// @ts-expect-error the event type is misspelt
const unknownType: ClientEvent = { type: "response.craete" }

const refusedByBoth: ReadonlyArray<readonly [string, ClientEvent]> = [
  ["truncate", truncate],
  ["append", append],
  ["cancel", cancel],
  ["customer", customer],
  ["toolOutput", toolOutput],
  ["modalities", modalities],
  ["vad", vad]
]

// ---- a misspelt optional field: the corpus lets it through (its objects stay open), the compiler does not ----

// @ts-expect-error `responseId` is the domain's spelling; the wire says `response_id`
const cancelCamel: ClientEvent = { type: "response.cancel", responseId: "resp_1" }

const instructions: ClientEvent = {
  type: "session.update",
  // @ts-expect-error `instrucions` is misspelt
  session: { type: "realtime", instrucions: "be brief" }
}

describe("typed client frames", () => {
  it("the frames the compiler refuses are the frames the corpus refuses", () => {
    expect(refusedByBoth.filter(([, frame]) => clientFrameErrors(frame).length === 0).map(([name]) => name))
      .toEqual([])
    expect(() => clientFrameErrors(unknownType)).toThrow("the corpus has no client event response.craete")
  })

  it("the compiler also refuses a misspelt optional field the corpus's open objects let through", () => {
    expect(clientFrameErrors(cancelCamel)).toEqual([])
    expect(clientFrameErrors(instructions)).toEqual([])
  })

  it("the frames the send events become validate against the corpus", () => {
    const events: ReadonlyArray<Convert.FramedSendEvent> = [
      Send.UserInput.make({ userInput: "hello" }),
      Send.SendAudio.make({ audio: new Uint8Array([1, 2, 3, 4]), commit: true }),
      Send.ToolOutput.make({
        toolCall: Event.FunctionCall.make({
          callId: "call_1",
          name: "lookup",
          arguments: "{}",
          itemId: "item_1",
          previousItemId: null
        }),
        output: "{\"ok\":true}",
        startResponse: true
      }),
      Send.SessionUpdate.make({ sessionSettings: { instructions: "be brief", outputAudioFormat: "g711_ulaw" } })
    ]
    const frames = events.flatMap((event) => Convert.framesOf(event).frames)
    expect(frames.map((frame) => frame.type)).toEqual([
      "conversation.item.create",
      "input_audio_buffer.append",
      "input_audio_buffer.commit",
      "conversation.item.create",
      "session.update"
    ])
    expect(frames.flatMap((frame) => clientFrameErrors(frame).map((error) => `${frame.type}: ${error}`))).toEqual([])
    expect(events.map((event) => Convert.framesOf(event).respond)).toEqual([true, false, true, false])
  })

  it("one function writes session.update, the initial one with the library's defaults", () => {
    const initial = sessionUpdate({}, true)
    expect(initial.type).toBe("session.update")
    expect(initial.session.audio?.output?.format).toEqual({ type: "audio/pcm", rate: 24000 })
    expect(clientFrameErrors(initial)).toEqual([])
    expect(sessionUpdate({ voice: "cedar" }, false)).toEqual({
      type: "session.update",
      session: { type: "realtime", audio: { output: { voice: "cedar" } } }
    })
  })
})
