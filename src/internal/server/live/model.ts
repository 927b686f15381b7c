/**
 * The Live model of one embedded-server session, once started: it listens while it speaks. The
 * user's audio runs through the shared voice activity detection; when the user's speech ends its
 * transcript goes out as `session.input_transcript.delta` and the model answers (the shared rules
 * and answers); speech over a reply makes the model stop after its current word (`turn.ts`). A
 * typed text (`session.instructions.append` as the client writes a user's typed words) is a user
 * turn too. A tool rule makes the model delegate: to the client (`session.delegation.created`,
 * answered by commentary, which the model speaks, or thinking, which it keeps silent), or to the
 * Responses backend (`backend.ts`), whose function call waits for the client's
 * `function_call_output` and `response.create`, after which the model speaks the backend's answer.
 *
 * The state is owned by the session's fibers (the one reading client frames, the one speaking).
 * JavaScript runs one at a time and each change is a synchronous step between two effects.
 */
import { Effect, Fiber } from "effect"
import type { Scope } from "effect"
import * as AudioFormats from "../../../AudioFormat.js"
import * as Resample from "../../audio/Resample.js"
import { type Conversation, entry, type ReplyRule } from "../conversation.js"
import type { CoreSettings } from "../core.js"
import * as Input from "../inputAudio.js"
import { vadDefaults } from "../objects.js"
import * as Speech from "../speech.js"
import type * as Vad from "../vad.js"
import * as Backend from "./backend.js"
import * as Turn from "./turn.js"
import type * as Wire from "./wire.js"

/** Who the model delegates tasks to. */
export type Delegation = { readonly _tag: "Client" } | { readonly _tag: "Responses"; readonly model: string }

/** What the model needs from its session. */
export interface ModelOptions extends CoreSettings {
  readonly emit: (frame: Wire.ServerFrame) => Effect.Effect<void>
  readonly conversation: Conversation
  readonly format: Turn.TurnContext["format"]
  readonly timeline: Effect.Effect<number>
  readonly delegation: () => Delegation
  /** Characters of the instructions the model was given. */
  readonly instructionChars: () => number
  /** Called after each change of the conversation (a stored session keeps it). */
  readonly changed: Effect.Effect<void>
}

/** A refusal, as the `error` event's fields. */
export interface Refusal {
  readonly code: string
  readonly message: string
  readonly param?: string
}

/** The model of one session. */
export interface Model {
  /** Hears a chunk of the user's audio (already decoded to samples). */
  readonly hear: (samples: Int16Array) => Effect.Effect<void>
  /** The user typed `text`: their turn, answered. */
  readonly typed: (text: string) => Effect.Effect<void>
  /** Speaks `text` now (commentary with no delegation). */
  readonly say: (text: string) => Effect.Effect<void>
  /**
   * A client delegation's answer: spoken (commentary) or silent (thinking), after `accepted` (its
   * acknowledgement); a refusal for an id no delegation waits with.
   */
  readonly answerDelegation: (
    id: string,
    output: string,
    spoken: boolean,
    accepted: Effect.Effect<void>
  ) => Effect.Effect<Refusal | undefined>
  /** A backend call's output (`response.item.create`); a refusal for a call not waiting. */
  readonly callOutput: (callId: string, output: string) => Effect.Effect<Refusal | undefined>
  /** `response.create`: the backend goes on; a refusal while a call still waits for its output. */
  readonly continueBackend: Effect.Effect<Refusal | undefined>
  /**
   * Plays an audio fixture (24 kHz PCM16) through the output: the model stops speaking, `accepted`,
   * the audio (input is dropped meanwhile), then `played`; a refusal while another one plays.
   */
  readonly fixture: (
    samples: Int16Array,
    accepted: Effect.Effect<void>,
    played: Effect.Effect<void>
  ) => Effect.Effect<Refusal | undefined>
  /** Whether an audio fixture is playing. */
  readonly playing: () => boolean
  /** Milliseconds of audio heard and spoken so far. */
  readonly audioMs: () => number
}

const userEntry = (id: string, content: Record<string, unknown>) =>
  entry({ id, type: "message", role: "user", status: "completed", content: [content] })

/** The Live model of a session; its speech runs in fibers of `scope`. */
export const make = (options: ModelOptions, scope: Scope.Scope): Model => {
  const { conversation, emit, nextId } = options
  const input = new Input.InputAudio()
  const vad: Vad.Settings = {
    threshold: vadDefaults.threshold,
    prefixPaddingMs: vadDefaults.prefix_padding_ms,
    silenceDurationMs: vadDefaults.silence_duration_ms,
    createResponse: true,
    interruptResponse: true
  }
  let speaking: { readonly id: number; readonly fiber: Fiber.Fiber<void> } | null = null
  let playing = false
  let turns = 0
  // quiet the model owes the client after a reply it cut short, before it speaks again
  let owedQuietMs = 0
  // where on the timeline the user's current speech started, while they speak
  let userStartMs: number | null = null
  // the user spoke over the reply in progress: it stops after the word it is saying
  let yielding = false
  // client delegations waiting for an answer; backend calls waiting for their output, by call id
  const delegations = new Set<string>()
  const calls = new Map<string, { readonly delegationId: string; answered: boolean }>()

  const spokenMs = () => conversation.snapshot().reduce((sum, each) => sum + each.audioSentMs, 0)
  const audioMs = () => input.vad.heardMs + spokenMs()

  const context: Turn.TurnContext = {
    emit,
    nextId,
    conversation,
    pacing: options.pacing,
    format: options.format,
    timeline: options.timeline,
    userSpeaking: () => yielding,
    usage: Effect.suspend(() => emit({ type: "session.usage.updated", usage: { seconds: audioMs() / 1000 } }))
  }

  const stop = Effect.suspend(() => {
    const current = speaking
    if (current === null) return Effect.void
    speaking = null
    yielding = false
    owedQuietMs = Turn.quietTailMs
    return Fiber.interrupt(current.fiber)
  })

  /**
   * Runs the model's output in its own fiber, made with the quiet a reply cut short still owes.
   * What is in progress stops first; a reply yielding to the user is let finish its word (the
   * new output waits for it), so that a client sees it end after the user started.
   */
  const output = (make: (owedMs: number) => Effect.Effect<Turn.Outcome>) =>
    Effect.gen(function*() {
      const previous = speaking
      const finishing = yielding && previous !== null ? previous.fiber : null
      if (finishing === null) yield* stop
      const id = ++turns
      const fiber = yield* Effect.gen(function*() {
        if (finishing !== null) yield* Fiber.await(finishing)
        yielding = false
        const owed = owedQuietMs
        owedQuietMs = 0
        return yield* make(owed)
      }).pipe(
        Effect.flatMap((outcome) =>
          Effect.suspend(() => {
            if (speaking?.id === id) speaking = null
            if (outcome === "Yielded") owedQuietMs = Turn.quietTailMs
            return options.changed
          })
        ),
        Effect.withSpan("RealtimeServer.liveTurn"),
        Effect.forkIn(scope)
      )
      speaking = { id, fiber }
    })

  /** Speaks `text`, after the quiet owed. */
  const say = (text: string) => output((owedMs) => Turn.speak(context, text, owedMs))

  const promptChars = () => options.instructionChars() + conversation.textChars()

  const addCall = (call: NonNullable<ReplyRule["functionCall"]>, callId: string) =>
    Effect.flatMap(nextId("item"), (id) =>
      Effect.sync(() =>
        conversation.insert(
          entry({ id, type: "function_call", call_id: callId, name: call.name, arguments: call.arguments }),
          null
        )
      ))

  /** The model hands the task a rule names to its backend, or to the client. */
  const delegate = (call: NonNullable<ReplyRule["functionCall"]>) =>
    Effect.gen(function*() {
      const delegation = options.delegation()
      const id = yield* nextId("deleg")
      const offsetMs = yield* options.timeline
      if (delegation._tag === "Client") {
        delegations.add(id)
        yield* addCall(call, id)
        return yield* emit({
          type: "session.delegation.created",
          delegation: { id, target: "client", type: "delegation" },
          offset_ms: offsetMs
        })
      }
      const response = { id: yield* nextId("resp"), delegationId: id, model: delegation.model }
      const callId = yield* nextId("call")
      const counted = { promptChars: promptChars(), outputChars: call.arguments.length }
      calls.set(callId, { delegationId: id, answered: false })
      yield* addCall(call, callId)
      yield* emit({
        type: "session.delegation.created",
        delegation: { id, target: "responses", type: "delegation", response_id: response.id },
        offset_ms: offsetMs
      })
      const itemId = yield* nextId("fc")
      yield* Effect.forEach(
        Backend.functionCall(response, { itemId, callId, ...call }, counted),
        emit,
        { discard: true }
      )
    })

  /** The model answers what was said last: a reply it speaks, or a task it delegates. */
  const answer = Effect.suspend(() => {
    const rule = conversation.chooseReply(options.rules, options.defaultReply)
    return rule.functionCall !== undefined
      ? delegate(rule.functionCall)
      : say(rule.reply ?? options.defaultReply(conversation.lastUserText()))
  })

  const addOutput = (callId: string, output: string) =>
    Effect.flatMap(
      nextId("item"),
      (id) =>
        Effect.sync(() =>
          conversation.insert(entry({ id, type: "function_call_output", call_id: callId, output }), null)
        )
    )

  /** The user's speech ended: its transcript, word by word over the time it took, then the answer. */
  const userSpoke = Effect.gen(function*() {
    const startMs = userStartMs ?? (yield* options.timeline)
    userStartMs = null
    const { ms, samples } = input.take()
    if (ms === 0) return
    const transcript = options.transcribe(samples, ms)
    conversation.insert(userEntry(yield* nextId("item"), { type: "input_audio", transcript }), null)
    const endMs = yield* options.timeline
    const words = Speech.wordsOf(transcript)
    yield* Effect.forEach(words, (delta, index) =>
      emit({
        type: "session.input_transcript.delta",
        delta,
        start_ms: Math.round(startMs + ((endMs - startMs) * index) / words.length),
        end_ms: Math.round(startMs + ((endMs - startMs) * (index + 1)) / words.length)
      }), { discard: true })
    yield* options.changed
    yield* answer
  })

  return {
    // input arriving while a fixture plays is dropped
    hear: (samples) =>
      playing ? Effect.void : Input.feed(input, samples, AudioFormats.sampleRate(options.format), vad, {
        started: () =>
          Effect.map(options.timeline, (now) => {
            input.clear()
            userStartMs = now
            if (speaking !== null) yielding = true
          }),
        stopped: () => userSpoke
      }),
    typed: (text) =>
      Effect.gen(function*() {
        conversation.insert(userEntry(yield* nextId("item"), { type: "input_text", text }), null)
        yield* options.changed
        yield* answer
      }),
    say,
    answerDelegation: (id, output, spoken, accepted) =>
      Effect.gen(function*() {
        if (!delegations.delete(id)) {
          return { code: "invalid_value", message: `No client delegation ${id} is waiting.`, param: "delegation_id" }
        }
        yield* accepted
        yield* addOutput(id, output)
        yield* options.changed
        if (spoken) yield* answer
        return undefined
      }),
    callOutput: (callId, output) =>
      Effect.gen(function*() {
        const call = calls.get(callId)
        if (call === undefined || call.answered) {
          return {
            code: "invalid_value",
            message: `No function call with call_id ${callId} is waiting for its output.`,
            param: "item.call_id"
          }
        }
        call.answered = true
        yield* addOutput(callId, output)
        yield* options.changed
        return undefined
      }),
    continueBackend: Effect.gen(function*() {
      const delegation = options.delegation()
      if (delegation._tag === "Client") {
        return { code: "invalid_value", message: "response.create requires Responses delegation." }
      }
      const waiting = [...calls].find(([, call]) => !call.answered)
      if (waiting !== undefined) {
        return { code: "invalid_value", message: `No tool output found for function call ${waiting[0]}.` }
      }
      const delegationId = [...calls.values()].at(-1)?.delegationId ?? (yield* nextId("deleg"))
      calls.clear()
      const rule = conversation.chooseReply(options.rules, options.defaultReply)
      if (rule.functionCall !== undefined) {
        yield* delegate(rule.functionCall)
        return undefined
      }
      const text = rule.reply ?? options.defaultReply(conversation.lastUserText())
      const response = { id: yield* nextId("resp"), delegationId, model: delegation.model }
      const counted = { promptChars: promptChars(), outputChars: text.length }
      yield* Effect.forEach(
        Backend.text(response, yield* nextId("msg"), Speech.wordsOf(text), counted),
        emit,
        { discard: true }
      )
      yield* say(text)
      return undefined
    }),
    fixture: (samples, accepted, played) =>
      Effect.gen(function*() {
        if (playing) return { code: "invalid_value", message: "Only one audio fixture can be active." }
        yield* stop
        yield* accepted
        playing = true
        const rate = AudioFormats.sampleRate(options.format)
        const audio = rate === 24_000 ? samples : Resample.resample(samples, 24_000, rate)
        yield* output((owedMs) =>
          Turn.quiet(context, owedMs).pipe(
            Effect.andThen(Turn.play(context, audio)),
            Effect.ensuring(Effect.sync(() => {
              playing = false
            })),
            Effect.andThen(played),
            Effect.andThen(Turn.quiet(context, Turn.quietTailMs)),
            Effect.as("Spoken" as const)
          )
        )
        return undefined
      }),
    playing: () => playing,
    audioMs
  }
}
