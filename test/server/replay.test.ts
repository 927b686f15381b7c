/**
 * What a client replaying a conversation's history on a new connection relies on: items created
 * with the client's ids and in the client's order, of every kind a history holds, and replies that
 * still follow what the user said last.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RealtimeServer from "../../src/RealtimeServer.js"
import { clientFrameErrors, serverFrameErrors } from "../support/protocolCorpus.js"
import { connect, type Frame, type RawClient } from "./wsClient.js"

const user = (id: string, text: string) => ({
  id,
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }]
})
const assistant = (id: string, text: string) => ({
  id,
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text }]
})
const call = (id: string) => ({
  id,
  type: "function_call",
  call_id: "call_replayed",
  name: "get_weather",
  arguments: "{\"city\":\"Oslo\"}"
})
const output = (id: string) => ({ id, type: "function_call_output", call_id: "call_replayed", output: "-3 C, snow" })

/** A text-only session with rules, and a raw client that has seen `session.updated`. */
const setup = Effect.gen(function*() {
  const server = yield* RealtimeServer.make({
    speed: 50,
    rules: [{ match: "weather", reply: "It is snowing." }, { match: "joke", reply: "Why did the owl hoot?" }]
  })
  const client = yield* connect(server.url, "sk-test")
  yield* client.until("session.created")
  yield* client.send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } })
  yield* client.until("session.updated")
  return client
})

/** Creates an item (after `previous`, when given) and returns the frames up to its `conversation.item.done`. */
const create = (client: RawClient, item: Frame, previous?: string) =>
  Effect.gen(function*() {
    const frame = {
      type: "conversation.item.create",
      item,
      ...(previous === undefined ? {} : { previous_item_id: previous })
    }
    expect(clientFrameErrors(frame)).toEqual([])
    yield* client.send(frame)
    const frames = yield* client.until("conversation.item.done")
    expectValid(frames)
    return frames
  })

/** Sends a frame the server refuses; returns its `error` event. */
const refused = (client: RawClient, frame: Frame) =>
  Effect.gen(function*() {
    yield* client.send(frame)
    const frames = yield* client.until("error")
    expect(frames.map((taken) => taken["type"])).toEqual(["error"])
    expectValid(frames)
    return frames[0] ?? {}
  })

/** Asks for a response and returns the text of its reply; the frames after it are taken too. */
const reply = (client: RawClient) =>
  Effect.gen(function*() {
    yield* client.send({ type: "response.create" })
    const frames = yield* client.until("response.done")
    expectValid(frames)
    // a response ends with its usage in rate_limits.updated
    expectValid(yield* client.until("rate_limits.updated"))
    const done = frames.at(-1) as { response: { output: Array<{ content?: Array<{ text?: string }> }> } }
    return done.response.output[0]?.content?.[0]?.text
  })

const retrieve = (client: RawClient, itemId: string) =>
  Effect.gen(function*() {
    yield* client.send({ type: "conversation.item.retrieve", item_id: itemId })
    return ((yield* client.until("conversation.item.retrieved")).at(-1) ?? {})["item"]
  })

const expectValid = (frames: ReadonlyArray<Frame>) => {
  for (const frame of frames) {
    expect({ type: frame["type"], errors: serverFrameErrors(frame) }).toEqual({ type: frame["type"], errors: [] })
  }
}

describe("embedded server: replaying a conversation", () => {
  it.live("every kind of history item keeps the client's id, in order; the reply follows the last user text", () =>
    Effect.gen(function*() {
      const client = yield* setup
      const history = [
        user("item_u1", "Tell me a joke"),
        call("item_c1"),
        output("item_o1"),
        // the assistant's words mention the weather, the user's last words do not
        assistant("item_a1", "Here is the weather report."),
        user("item_u2", "And now a joke, please"),
        assistant("item_a2", "What is the weather like where you are?")
      ]
      let previous: string | null = null
      for (const item of history) {
        const frames = yield* create(client, item)
        expect(frames.map((frame) => frame["type"])).toEqual(["conversation.item.added", "conversation.item.done"])
        for (const frame of frames) {
          expect(frame).toMatchObject({
            previous_item_id: previous,
            item: { ...item, object: "realtime.item", status: "completed" }
          })
        }
        previous = item.id
      }
      expect(yield* retrieve(client, "item_c1")).toEqual({
        ...call("item_c1"),
        object: "realtime.item",
        status: "completed"
      })
      expect(yield* retrieve(client, "item_o1")).toEqual({
        ...output("item_o1"),
        object: "realtime.item",
        status: "completed"
      })
      // the rule matches the last user text ("joke"), not the assistant's later "weather"
      expect(yield* reply(client)).toBe("Why did the owl hoot?")
    }))

  it.live("a replayed tool output the model has not answered yet is answered by the next response", () =>
    Effect.gen(function*() {
      const client = yield* setup
      for (const item of [user("item_u1", "What is the weather in Oslo?"), call("item_c1"), output("item_o1")]) {
        yield* create(client, item)
      }
      expect(yield* reply(client)).toBe("Here is what I found: -3 C, snow.")
    }))

  it.live("previous_item_id inserts after that item, `root` at the start; replies follow the order", () =>
    Effect.gen(function*() {
      const client = yield* setup
      yield* create(client, user("item_weather", "How is the weather?"))
      const first = yield* create(client, user("item_joke", "Tell me a joke"), "root")
      expect(first.at(-1)).toMatchObject({ previous_item_id: null, item: { id: "item_joke" } })
      // the conversation is now joke, weather: the last user text asks about the weather
      expect(yield* reply(client)).toBe("It is snowing.")
      const between = yield* create(client, assistant("item_between", "Sure."), "item_joke")
      expect(between.at(-1)).toMatchObject({ previous_item_id: "item_joke", item: { id: "item_between" } })
      // an item inserted mid-conversation is not the last: the weather question still is the last user text
      yield* create(client, user("item_joke_again", "A joke!"), "item_between")
      expect(yield* reply(client)).toBe("It is snowing.")
      // without previous_item_id it is appended
      yield* create(client, user("item_last", "One more joke"))
      expect(yield* reply(client)).toBe("Why did the owl hoot?")
    }))

  it.live("a duplicate item id is an error event and no second item; so is an unknown previous item", () =>
    Effect.gen(function*() {
      const client = yield* setup
      yield* create(client, user("item_once", "Tell me a joke"))
      const duplicate = yield* refused(client, {
        type: "conversation.item.create",
        event_id: "evt_dup",
        item: user("item_once", "How is the weather?")
      })
      expect(duplicate).toMatchObject({
        type: "error",
        error: {
          type: "invalid_request_error",
          code: "item_create_duplicate_item_id",
          param: "item.id",
          event_id: "evt_dup"
        }
      })
      expect(yield* retrieve(client, "item_once")).toMatchObject({ content: [{ text: "Tell me a joke" }] })
      expect(yield* reply(client)).toBe("Why did the owl hoot?")
      const unknown = yield* refused(client, {
        type: "conversation.item.create",
        previous_item_id: "item_missing",
        item: user("item_new", "x")
      })
      expect(unknown).toMatchObject({ error: { code: "invalid_value", param: "previous_item_id" } })
    }))

  it.live("a message's content must be of its role's types, as the service checks", () =>
    Effect.gen(function*() {
      const client = yield* setup
      const wrong = yield* refused(client, {
        type: "conversation.item.create",
        item: { type: "message", role: "assistant", content: [{ type: "input_text", text: "Hi" }] }
      })
      expect(wrong).toMatchObject({ error: { code: "invalid_value", param: "item.content[0].type" } })
      const userOutput = yield* refused(client, {
        type: "conversation.item.create",
        item: {
          type: "message",
          role: "user",
          content: [{ type: "input_text", text: "Hi" }, { type: "output_text", text: "Hi" }]
        }
      })
      expect(userOutput).toMatchObject({ error: { param: "item.content[1].type" } })
    }))
})
