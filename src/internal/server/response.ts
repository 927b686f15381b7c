/**
 * One response of the embedded server, streamed as the GA service streams it: a function call, or
 * an assistant message whose audio (tones as long as the text) is paced at `speed` times real time
 * with the transcript keeping up, or text deltas when the session replies in text only. It runs in
 * its own fiber so that a cancel or a barge-in can interrupt it wherever it is.
 */
import { Effect } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as Codec from "../audio/Codec.js"
import * as Base64 from "../realtime/base64.js"
import { type Conversation, entry, type ReplyRule } from "./conversation.js"
import { formatOf, type Json, repliesWithAudio, usage } from "./objects.js"
import * as Speech from "./speech.js"

/** What a response needs from its connection. */
export interface ResponseContext {
  readonly emit: (event: Json) => Effect.Effect<void>
  readonly nextId: (prefix: string) => Effect.Effect<string>
  readonly conversation: Conversation
  /** The session as it was when the response was created. */
  readonly session: Json
  readonly pacing: Speech.Pacing
  readonly rules: ReadonlyArray<ReplyRule>
  readonly defaultReply: (question: string) => string
  /** What the response has sent so far, for its usage (also when it is cancelled). */
  readonly sent: Sent
}

/** What a response has sent so far. */
export interface Sent {
  /** Characters of text (transcript, text or function arguments). */
  textChars: number
  /** Milliseconds of audio. */
  audioMs: number
}

/** A response's usage: its input (what the user said last) and what it has sent so far. */
export const usageOf = (context: ResponseContext): Json =>
  usage(context.conversation.lastUserText().length, context.sent.textChars, context.sent.audioMs)

/** Streams the function call a rule asks for; returns the response's usage. */
const functionCall = (
  context: ResponseContext,
  responseId: string,
  output: Array<Json>,
  call: NonNullable<ReplyRule["functionCall"]>
) =>
  Effect.gen(function*() {
    const { conversation, emit } = context
    const callId = yield* context.nextId("call")
    const itemId = yield* context.nextId("item")
    const base = { id: itemId, object: "realtime.item", type: "function_call", call_id: callId, name: call.name }
    const started = { ...base, status: "in_progress", arguments: "" }
    const at = { response_id: responseId, item_id: itemId, output_index: 0, call_id: callId }
    yield* emit({ type: "response.output_item.added", response_id: responseId, output_index: 0, item: started })
    const previous = conversation.insert(entry(started), null)
    yield* emit({ type: "conversation.item.added", previous_item_id: previous, item: started })
    yield* emit({ type: "response.function_call_arguments.delta", ...at, delta: call.arguments })
    context.sent.textChars += call.arguments.length
    yield* emit({ type: "response.function_call_arguments.done", ...at, name: call.name, arguments: call.arguments })
    const completed = { ...base, status: "completed", arguments: call.arguments }
    conversation.update(itemId, completed)
    output.push(completed)
    yield* emit({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: completed })
    yield* emit({ type: "conversation.item.done", previous_item_id: previous, item: completed })
    return usageOf(context)
  })

/** Streams an assistant message saying `text`; returns the response's usage. */
const message = (context: ResponseContext, responseId: string, output: Array<Json>, text: string) =>
  Effect.gen(function*() {
    const { conversation, emit, pacing } = context
    const withAudio = repliesWithAudio(context.session)
    const itemId = yield* context.nextId("item")
    const reply = entry(
      { id: itemId, object: "realtime.item", type: "message", status: "in_progress", role: "assistant", content: [] },
      text
    )
    const previous = conversation.insert(reply, null)
    yield* emit({ type: "response.output_item.added", response_id: responseId, output_index: 0, item: reply.item })
    yield* emit({ type: "conversation.item.added", previous_item_id: previous, item: reply.item })
    const where = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 }
    yield* emit({
      type: "response.content_part.added",
      ...where,
      part: withAudio ? { type: "audio", transcript: "" } : { type: "text", text: "" }
    })
    if (withAudio) {
      const format = formatOf(context.session, "output")
      yield* Speech.speak(
        text,
        AudioFormat.sampleRate(format),
        pacing,
        ({ ms, samples, words }) =>
          Effect.gen(function*() {
            yield* emit({
              type: "response.output_audio.delta",
              ...where,
              delta: Base64.encode(Codec.encode(format, samples))
            })
            reply.audioSentMs += ms
            context.sent.audioMs += ms
            for (const word of words) {
              yield* emit({ type: "response.output_audio_transcript.delta", ...where, delta: word })
              context.sent.textChars += word.length
            }
          })
      )
      yield* emit({ type: "response.output_audio.done", ...where })
      yield* emit({ type: "response.output_audio_transcript.done", ...where, transcript: text })
    } else {
      for (const word of Speech.wordsOf(text)) {
        yield* emit({ type: "response.output_text.delta", ...where, delta: word })
        context.sent.textChars += word.length
      }
      yield* emit({ type: "response.output_text.done", ...where, text })
    }
    // a truncated reply keeps only what the client heard
    const heard = reply.heard ?? text
    yield* emit({
      type: "response.content_part.done",
      ...where,
      part: withAudio ? { type: "audio", transcript: heard } : { type: "text", text }
    })
    const completed = {
      ...reply.item,
      status: "completed",
      content: [withAudio ? { type: "output_audio", transcript: heard } : { type: "output_text", text }]
    }
    conversation.update(itemId, completed)
    output.push(completed)
    yield* emit({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: completed })
    yield* emit({ type: "conversation.item.done", previous_item_id: previous, item: completed })
    return usageOf(context)
  })

/**
 * Streams the reply the conversation calls for, pushing each finished output item onto `output`;
 * returns the response's usage.
 */
export const stream = (context: ResponseContext, responseId: string, output: Array<Json>): Effect.Effect<Json> =>
  Effect.suspend(() => {
    const rule = context.conversation.chooseReply(context.rules, context.defaultReply)
    return rule.functionCall !== undefined
      ? functionCall(context, responseId, output, rule.functionCall)
      : message(context, responseId, output, rule.reply ?? context.defaultReply(context.conversation.lastUserText()))
  })
