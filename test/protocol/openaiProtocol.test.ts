/**
 * The OpenAI Realtime protocol as the engine sees it, without a socket: the frames a connection
 * opens with, what the next connection is given, and the verdict on each kind of failure.
 */
import { describe, expect, it } from "@effect/vitest"
import * as History from "../../src/internal/openai/history.js"
import * as OpenAI from "../../src/internal/openai/protocol.js"
import { RealtimeConnectError, RealtimeConnectionLost } from "../../src/RealtimeError.js"
import * as RealtimeItem from "../../src/RealtimeItem.js"
import * as Send from "../../src/RealtimeModelSendEvent.js"
import { clientFrameErrors } from "../support/protocolCorpus.js"

const { protocol } = OpenAI

/** A call's memory: its settings, a question and the model's answer. */
const memory = () => {
  const history = History.make({ instructions: "Be brief.", voice: "cedar" })
  History.sent(history, Send.UserInput.make({ userInput: "Hello" }))
  History.observe(history, {
    _tag: "ItemUpdated",
    item: RealtimeItem.AssistantMessage.make({
      itemId: "item_b",
      previousItemId: null,
      status: "completed",
      content: [RealtimeItem.OutputAudio.make({ audio: null, transcript: "Hi there." })]
    })
  })
  return history
}

const parsed = (frames: ReadonlyArray<Parameters<typeof protocol.encode>[0]>) =>
  frames.map((frame) => JSON.parse(protocol.encode(frame)) as Record<string, unknown>)

describe("the OpenAI Realtime protocol", () => {
  it("opens a connection with one session.update of the call's settings, as they are now", () => {
    const history = memory()
    History.sent(history, Send.SessionUpdate.make({ sessionSettings: { voice: "marin" } }))
    const opened = protocol.resume(history, "first")
    const frames = parsed(opened.frames)
    expect([opened.items, opened.lost, opened.hush]).toEqual([0, 0, false])
    expect(frames).toMatchObject([
      {
        type: "session.update",
        session: { type: "realtime", instructions: "Be brief.", audio: { output: { voice: "marin" } } }
      }
    ])
    expect(frames.flatMap(clientFrameErrors)).toEqual([])
  })

  it("resumes a call by its settings and its items again, with their ids; only the settings for a call attached by id", () => {
    const history = memory()
    const resumed = protocol.resume(history, "again")
    const frames = parsed(resumed.frames)
    expect(frames.map((frame) => [frame["type"], (frame["item"] as { role?: string } | undefined)?.role])).toEqual([
      ["session.update", undefined],
      ["conversation.item.create", "user"],
      ["conversation.item.create", "assistant"]
    ])
    expect(frames.flatMap(clientFrameErrors)).toEqual([])
    expect([...resumed.ids]).toEqual(frames.slice(1).map((frame) => (frame["item"] as { id: string }).id))
    expect([resumed.items, resumed.hush]).toEqual([2, true])
    expect(resumed.ids.has("item_b")).toBe(true)
    const attached = protocol.resume(history, "attached")
    expect(parsed(attached.frames).map((frame) => frame["type"])).toEqual(["session.update"])
    expect([attached.items, attached.ids.size, attached.lost, attached.hush]).toEqual([0, 0, 0, true])
  })

  it("classifies failures: the network and the service going away are retried, the request's faults are not", () => {
    const lost = (fields: Omit<ConstructorParameters<typeof RealtimeConnectionLost>[0], "message">) =>
      protocol.classify(memory(), new RealtimeConnectionLost({ message: "lost", ...fields }))
    const dial = (reason: RealtimeConnectError["reason"], status?: number) =>
      protocol.classify(
        memory(),
        new RealtimeConnectError({ reason, message: "dial", ...(status !== undefined ? { status } : {}) })
      )
    expect([
      lost({ reason: "Dropped", code: 1006 }),
      lost({ reason: "ServerClosed", code: 1001 }),
      lost({ reason: "KeepaliveTimeout" }),
      dial("Timeout"),
      dial("Handshake", 503)
    ]).toEqual(["Retryable", "Retryable", "Retryable", "Retryable", "Retryable"])
    expect([
      lost({ reason: "ServerClosed", code: 1000 }),
      lost({ reason: "FrameTooLarge", code: 1009 }),
      lost({ reason: "ServerClosed", code: 1011, serverError: { type: "insufficient_quota" } }),
      dial("Unauthorized", 401),
      dial("Handshake", 404)
    ]).toEqual(["Fatal", "Fatal", "Fatal", "Fatal", "Fatal"])
  })
})
