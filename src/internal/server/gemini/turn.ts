/**
 * One model turn of the embedded Gemini server, streamed as Google streams it: the reply the
 * conversation calls for (the shared rules and answers) as `serverContent.modelTurn` parts (24 kHz
 * PCM16 audio as long as the text, paced like the OpenAI front-end's, with the words in
 * `outputTranscription`; or text parts when the session answers in text), then
 * `generationComplete`, `turnComplete` and the turn's `usageMetadata`. A tool rule makes the turn a
 * `toolCall` instead, and the turn then waits for the client's `toolResponse`. It runs in its own
 * fiber so that a barge-in can interrupt it between two chunks.
 */
import { Effect } from "effect"
import * as Codec from "../../audio/Codec.js"
import { parseJsonObject } from "../../jsonFrame.js"
import * as Base64 from "../../realtime/base64.js"
import { type Conversation, entry, type ReplyRule, startReply } from "../conversation.js"
import { tokens } from "../objects.js"
import * as Speech from "../speech.js"
import * as Wire from "./wire.js"

/** What a turn needs from its connection. */
export interface TurnContext {
  readonly emit: (frame: Wire.ServerFrame) => Effect.Effect<void>
  readonly nextId: (prefix: string) => Effect.Effect<string>
  readonly conversation: Conversation
  readonly pacing: Speech.Pacing
  readonly rules: ReadonlyArray<ReplyRule>
  readonly defaultReply: (question: string) => string
  /** Whether the model speaks (`AUDIO`), else it writes (`TEXT`). */
  readonly audio: boolean
  /** Whether the words of spoken replies go out as `outputTranscription`. */
  readonly outputTranscription: boolean
  /** Characters of the context the model was given: the instructions and the conversation so far. */
  readonly promptChars: number
}

/** How a turn ended: it spoke its reply, or it called functions and waits for their answers. */
export type Outcome =
  | { readonly _tag: "Spoken" }
  | { readonly _tag: "Called"; readonly calls: ReadonlyArray<{ readonly id: string; readonly name: string }> }

/** The usage of a turn: the context as prompt tokens, what it sent as response tokens of its modality. */
const usageMetadata = (context: TurnContext, textChars: number, audioMs: number): Wire.ServerFrame => {
  const counted = tokens(context.promptChars, textChars, audioMs)
  const response = context.audio ? counted.audio : counted.text
  return {
    usageMetadata: {
      promptTokenCount: counted.input,
      responseTokenCount: response,
      totalTokenCount: counted.input + response,
      promptTokensDetails: [{ modality: Wire.modality("TEXT"), tokenCount: counted.input }],
      responseTokensDetails: [{ modality: Wire.modality(context.audio ? "AUDIO" : "TEXT"), tokenCount: response }]
    }
  }
}

/** Sends the function call a rule asks for; the call joins the conversation. */
const functionCall = (context: TurnContext, call: NonNullable<ReplyRule["functionCall"]>) =>
  Effect.gen(function*() {
    const id = yield* context.nextId("function-call")
    const parsed = parseJsonObject(call.arguments)
    const args = parsed._tag === "Object" ? parsed.json : {}
    context.conversation.insert(
      entry({
        id,
        type: "function_call",
        call_id: id,
        name: call.name,
        arguments: call.arguments,
        status: "completed"
      }),
      null
    )
    yield* context.emit({ toolCall: { functionCalls: [{ id, name: call.name, args }] } })
    return { _tag: "Called", calls: [{ id, name: call.name }] } satisfies Outcome
  })

/** Speaks (or writes) `text`; the reply joins the conversation, word by word as it goes out. */
const reply = (context: TurnContext, text: string) =>
  Effect.gen(function*() {
    const { emit } = context
    const heard = startReply(context.conversation, yield* context.nextId("item"), text)
    let textChars = 0
    let audioMs = 0
    if (context.audio) {
      yield* Speech.speak(text, Wire.outputRate, context.pacing, (chunk) =>
        Effect.gen(function*() {
          const data = Base64.encode(Codec.encode("pcm16", chunk.samples))
          yield* emit({
            serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: Wire.outputMimeType, data } }] } }
          })
          audioMs += chunk.ms
          const spoken = chunk.words.join("")
          heard(spoken, chunk.ms)
          if (context.outputTranscription && spoken.length > 0) {
            yield* emit({ serverContent: { outputTranscription: { text: spoken } } })
          }
        }))
    } else {
      for (const word of Speech.wordsOf(text)) {
        yield* emit({ serverContent: { modelTurn: { role: "model", parts: [{ text: word }] } } })
        textChars += word.length
        heard(word, 0)
      }
    }
    yield* emit({ serverContent: { generationComplete: true } })
    yield* emit({ serverContent: { turnComplete: true } })
    yield* emit(usageMetadata(context, textChars, audioMs))
    return { _tag: "Spoken" } satisfies Outcome
  })

/** Streams the turn the conversation calls for. */
export const stream = (context: TurnContext): Effect.Effect<Outcome> =>
  Effect.suspend((): Effect.Effect<Outcome> => {
    const rule = context.conversation.chooseReply(context.rules, context.defaultReply)
    return rule.functionCall !== undefined
      ? functionCall(context, rule.functionCall)
      : reply(context, rule.reply ?? context.defaultReply(context.conversation.lastUserText()))
  })
