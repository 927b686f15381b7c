/**
 * One Gemini Live connection of the embedded server, as Google's `BidiGenerateContent` behaves for
 * this subset: `setup` first (anything else, an unknown model, a refused key or token, an unknown
 * resumption handle: the connection is closed with Google's code and reason), then the user's
 * turns (`clientContent`, `realtimeInput` text, or audio through voice activity detection, automatic
 * or marked by `activityStart`/`activityEnd`), each answered by a model turn (`turn.ts`); a barge-in
 * interrupts the turn (`interrupted`), a function call waits for its `toolResponse`, a user turn
 * cancels the calls it supersedes (`toolCallCancellation`). With `sessionResumption` in the setup,
 * every completed turn sends a new handle that a later `setup` resumes the conversation with.
 *
 * The session's state is owned by its fibers (the one reading client frames and the one streaming
 * the current turn). JavaScript runs one of them at a time and each state change is a synchronous
 * step between two effects, so no change is ever seen half made.
 */
import { Duration, Effect, Fiber, Option, Schema } from "effect"
import type { Scope } from "effect"
import type * as Socket from "effect/socket/Socket"
import * as Codec from "../../audio/Codec.js"
import * as Base64 from "../../realtime/base64.js"
import type { Io } from "../connection.js"
import { Conversation, entry } from "../conversation.js"
import type { CoreSettings } from "../core.js"
import * as ConnectionFaults from "../faults.js"
import * as Input from "../inputAudio.js"
import { vadDefaults } from "../objects.js"
import * as Outbox from "../outbox.js"
import type * as Vad from "../vad.js"
import type { Registry } from "./registry.js"
import type { Tokens } from "./tokens.js"
import * as Turn from "./turn.js"
import * as Wire from "./wire.js"

/** How the connection was let in: with the server's key (right or wrong), or with an ephemeral token. */
export type Access =
  | { readonly _tag: "Key"; readonly valid: boolean }
  | { readonly _tag: "Token"; readonly name: string | undefined }

/** What one Gemini connection needs. */
export interface GeminiOptions extends CoreSettings {
  readonly io: Io
  readonly registry: Registry
  readonly tokens: Tokens
  readonly access: Access
  /** The models a setup may name (without `models/`). */
  readonly models: ReadonlyArray<string>
  /** The connection's lifetime on the Clock: `goAway` before its end, then close 1011. */
  readonly durationLimit?: Duration.Duration | undefined
  /** When the connection started, in Clock milliseconds. */
  readonly startedAt: number
}

/** How long before the end of its lifetime a connection is told `goAway`, at most. */
const goAwayLeadMs = 10_000

/** Closes as Google closes a connection whose lifetime ended. */
const deadline = { code: 1011, reason: "Deadline expired before operation could complete." }

/** A protobuf `Duration` in its JSON form: `"10s"`, `"1.5s"`. */
const durationJson = (duration: Duration.Duration): string => `${Duration.toMillis(duration) / 1000}s`

const decodeSetup = Schema.decodeUnknownOption(Wire.Setup)

interface ActiveTurn {
  readonly id: number
  readonly fiber: Fiber.Fiber<void>
}

/** Runs one connection until its socket ends. */
export const run = (options: GeminiOptions): Effect.Effect<void, Socket.SocketError, Scope.Scope> =>
  Effect.gen(function*() {
    const { io, nextId, registry } = options
    const scope = yield* Effect.scope
    const outbox = yield* Outbox.make<Wire.ServerFrame>({
      ...io,
      faults: options.faults,
      encode: (frame) => Effect.succeed(JSON.stringify(frame)),
      unknownFrame: Effect.succeed(JSON.stringify({ futureFeature: { detail: "unknown to clients" } }))
    })
    const emit = outbox.emit
    // once closing, frames are not read and nothing more is sent
    let closing = false
    /** Closes the connection with a code and reason, after the frames sent before it. */
    const close = (code: number, reason: string) =>
      outbox.exclusive(Effect.suspend(() => {
        if (closing) return Effect.void
        closing = true
        return Effect.andThen(outbox.end, io.close(code, Wire.closeReason(reason)))
      }))

    let setup: Wire.Setup | undefined
    let instructions = ""
    let conversation = new Conversation()
    let vad: Vad.Settings | null = null
    const input = new Input.InputAudio()
    // with manual activity: whether the user's activity is marked as going on
    let marked = false
    let active: ActiveTurn | null = null
    let turns = 0
    let pending: ReadonlyArray<{ readonly id: string; readonly name: string }> = []

    const resumable = () => setup?.sessionResumption !== undefined
    const sendHandle = Effect.suspend(() =>
      resumable()
        ? Effect.flatMap(
          registry.save(conversation.snapshot()),
          (newHandle) => emit({ sessionResumptionUpdate: { newHandle, resumable: true } })
        )
        : Effect.void
    )

    /** The model stops its turn: the user spoke over it, or sent a new turn. */
    const interrupt = Effect.suspend(() => {
      const current = active
      if (current === null) return Effect.void
      active = null
      return Effect.andThen(Fiber.interrupt(current.fiber), emit({ serverContent: { interrupted: true } }))
    })

    /** Starts the model's turn, in its own fiber. */
    const startTurn = Effect.gen(function*() {
      yield* interrupt
      if (resumable()) yield* emit({ sessionResumptionUpdate: { resumable: false } })
      const id = ++turns
      const context: Turn.TurnContext = {
        emit,
        nextId,
        conversation,
        pacing: options.pacing,
        rules: options.rules,
        defaultReply: options.defaultReply,
        audio: setup?.generationConfig?.responseModalities?.includes("TEXT") !== true,
        outputTranscription: setup?.outputAudioTranscription !== undefined,
        promptChars: instructions.length + conversation.textChars()
      }
      const fiber = yield* Turn.stream(context).pipe(
        Effect.flatMap((outcome) =>
          Effect.suspend(() => {
            if (active?.id === id) active = null
            if (outcome._tag === "Called") {
              pending = [...pending, ...outcome.calls]
              return Effect.void
            }
            return sendHandle
          })
        ),
        Effect.withSpan("RealtimeServer.geminiTurn"),
        Effect.forkIn(scope)
      )
      active = { id, fiber }
    })

    /** A user turn is complete: the calls it supersedes are cancelled, and the model answers. */
    const answer = Effect.gen(function*() {
      if (pending.length > 0) {
        const ids = pending.map((call) => call.id)
        pending = []
        yield* emit({ toolCallCancellation: { ids } })
      }
      yield* startTurn
    })

    /** A message joins the conversation. */
    const said = (role: "user" | "assistant", content: ReadonlyArray<Record<string, unknown>>) =>
      Effect.flatMap(nextId("item"), (id) =>
        Effect.sync(() => {
          conversation.insert(entry({ id, type: "message", role, status: "completed", content }), null)
        }))

    /** The user's audio turn ended: its transcript (sent when the setup asks), then the answer. */
    const userSpoke = Effect.gen(function*() {
      const { ms, samples } = input.take()
      if (ms === 0) return
      const transcript = options.transcribe(samples, ms)
      yield* said("user", [{ type: "input_audio", transcript }])
      if (setup?.inputAudioTranscription !== undefined) {
        yield* emit({ serverContent: { inputTranscription: { text: transcript } } })
      }
      yield* answer
    })

    const onAudio = (data: string, mimeType: string | undefined) =>
      Input.feed(input, Codec.decode("pcm16", Base64.decode(data)), Wire.rateOf(mimeType), vad, {
        // the turn's audio starts with the chunk its speech starts in; the model stops unless told not to
        started: () =>
          Effect.andThen(
            Effect.sync(() => input.clear()),
            vad?.interruptResponse === true ? interrupt : Effect.void
          ),
        stopped: () => userSpoke
      })

    const realtimeInput = (message: Wire.RealtimeInput) =>
      Effect.gen(function*() {
        if (message.activityStart !== undefined || message.activityEnd !== undefined) {
          if (vad !== null) {
            return yield* close(
              1007,
              "Explicit activity control is not supported when automatic activity detection is enabled."
            )
          }
        }
        if (message.activityStart !== undefined) {
          yield* interrupt
          input.clear()
          marked = true
        }
        // audio only: video frames and images are not heard
        for (const blob of [...(message.mediaChunks ?? []), ...(message.audio === undefined ? [] : [message.audio])]) {
          if (blob.data !== undefined && (blob.mimeType ?? "audio/pcm").startsWith("audio/")) {
            yield* onAudio(blob.data, blob.mimeType)
          }
        }
        if (message.text !== undefined && message.text.length > 0) {
          yield* said("user", [{ type: "input_text", text: message.text }])
          yield* answer
        }
        if (message.activityEnd !== undefined && marked) {
          marked = false
          yield* userSpoke
        }
        if (message.audioStreamEnd === true && input.vad.speaking) {
          // the end of the stream ends the speech in it
          input.vad = { ...input.vad, speaking: false, silenceMs: 0 }
          yield* userSpoke
        }
      })

    const toolResponse = (responses: ReadonlyArray<Wire.FunctionResponse>) =>
      Effect.gen(function*() {
        const answered = responses.filter((response) => pending.some((call) => call.id === response.id))
        if (answered.length === 0) return yield* Effect.logDebug("a toolResponse for no pending call: ignored")
        pending = pending.filter((call) => !answered.some((response) => response.id === call.id))
        for (const response of answered) {
          const id = yield* nextId("item")
          const output = response.response?.["output"] ?? response.response ?? {}
          conversation.insert(
            entry({
              id,
              type: "function_call_output",
              call_id: response.id,
              output: typeof output === "string" ? output : JSON.stringify(output)
            }),
            null
          )
        }
        // the turn goes on once every call it made is answered
        if (pending.length === 0) yield* startTurn
      })

    /** A connection's lifetime ends: `goAway` now, the close once `left` has passed. */
    const goAway = (left: Duration.Duration) =>
      Effect.gen(function*() {
        yield* emit({ goAway: { timeLeft: durationJson(left) } })
        yield* Effect.forkIn(Effect.andThen(Effect.sleep(left), close(deadline.code, deadline.reason)), scope)
      })

    /** The first message: the setup, checked as Google checks it; true when the session starts. */
    const start = (frame: Wire.ClientFrame) =>
      Effect.gen(function*() {
        if (frame._tag === "Invalid") return yield* close(1007, frame.reason)
        const given = frame.message.setup
        if (given === undefined) {
          return yield* close(1007, "Invalid JSON payload received. The first message must be the setup.")
        }
        let checked = given
        if (options.access._tag === "Token") {
          const verdict = options.access.name === undefined
            ? { _tag: "Refused" as const, reason: "The access token is missing." }
            : yield* options.tokens.open(options.access.name, given.sessionResumption?.handle !== undefined)
          if (verdict._tag === "Refused") return yield* close(1008, verdict.reason)
          // the setup a token was minted with constrains the sessions it opens
          // (all but the resumption, which is the connection's own)
          const { sessionResumption: _, ...constraints } = verdict.setup ?? {}
          checked = Option.getOrElse(decodeSetup({ ...given, ...constraints }), () => given)
          const expiresAt = verdict.expiresAt
          // no session goes on past the token's expiry
          yield* Effect.forkIn(
            ConnectionFaults.expireAt(expiresAt, Duration.zero, close(1008, "The access token has expired.")),
            scope
          )
        }
        const model = checked.model.replace(/^models\//, "")
        if (!checked.model.startsWith("models/") || !options.models.includes(model)) {
          return yield* close(
            1008,
            `${checked.model} is not found for API version v1beta, or is not supported for bidiGenerateContent.`
          )
        }
        const handle = checked.sessionResumption?.handle
        if (handle !== undefined) {
          const restored = yield* registry.restore(handle)
          if (Option.isNone(restored)) {
            return yield* close(1008, "Session not found: the resumption handle is unknown or has expired.")
          }
          conversation = new Conversation(restored.value)
        }
        setup = checked
        instructions = (checked.systemInstruction?.parts ?? []).map((part) => part.text ?? "").join("")
        const automatic = checked.realtimeInputConfig?.automaticActivityDetection
        vad = automatic?.disabled === true ? null : {
          threshold: vadDefaults.threshold,
          prefixPaddingMs: automatic?.prefixPaddingMs ?? vadDefaults.prefix_padding_ms,
          silenceDurationMs: automatic?.silenceDurationMs ?? vadDefaults.silence_duration_ms,
          createResponse: true,
          interruptResponse: checked.realtimeInputConfig?.activityHandling !== "NO_INTERRUPTION"
        }
        yield* emit({ setupComplete: {} })
        yield* sendHandle
        yield* registry.register({ goAway })
        yield* Effect.logDebug("Gemini session set up").pipe(
          Effect.annotateLogs({ model, resumed: handle !== undefined })
        )
      })

    const handle = (text: string) =>
      Effect.gen(function*() {
        if (closing) return
        const frame = Wire.decodeClientFrame(text)
        if (setup === undefined) return yield* start(frame)
        if (frame._tag === "Invalid") return yield* close(1007, frame.reason)
        const message = frame.message
        if (message.setup !== undefined) {
          return yield* close(1007, "Invalid JSON payload received. Setup was already sent.")
        }
        if (message.clientContent !== undefined) {
          for (const turn of message.clientContent.turns ?? []) {
            const texts = (turn.parts ?? []).flatMap((part) => part.text === undefined ? [] : [part.text])
            yield* (turn.role === "model"
              ? said("assistant", texts.map((text) => ({ type: "output_text", text })))
              : said("user", texts.map((text) => ({ type: "input_text", text }))))
          }
          if (message.clientContent.turnComplete === true) yield* answer
        }
        if (message.realtimeInput !== undefined) yield* realtimeInput(message.realtimeInput)
        if (message.toolResponse !== undefined) yield* toolResponse(message.toolResponse.functionResponses ?? [])
        if (message.contextUpdate?.systemInstruction !== undefined) {
          instructions = (message.contextUpdate.systemInstruction.parts ?? []).map((part) => part.text ?? "").join("")
        }
      })

    if (options.access._tag === "Key" && !options.access.valid) {
      yield* close(1007, "API key not valid. Please pass a valid API key.")
    }
    const limit = options.durationLimit
    if (limit !== undefined) {
      const lead = Duration.millis(Math.min(goAwayLeadMs, Duration.toMillis(limit)))
      yield* Effect.forkIn(
        ConnectionFaults.expireAt(options.startedAt, Duration.subtract(limit, lead), goAway(lead)),
        scope
      )
    }
    return yield* Effect.forever(
      Effect.flatMap(io.receive, (frames) => Effect.forEach(frames, handle, { discard: true }))
    )
  }).pipe(Effect.annotateLogs({ service: "RealtimeServer", protocol: "gemini" }))
