/**
 * One client connection of the embedded server: the GA protocol's session, input audio buffer with
 * energy-based voice activity detection, conversation and responses, as the real service behaves
 * for this subset. Its state is a plain object owned by this connection and only touched by its
 * own fibers inside `Effect.sync`/generator steps, which do not interleave.
 */
import { Effect, Either, Fiber, Option, Queue } from "effect"
import * as AudioFormat from "../../AudioFormat.js"
import * as Codec from "../audio/Codec.js"
import * as Energy from "../audio/Energy.js"
import * as Tone from "../audio/Tone.js"
import { decodeClientFrame } from "../protocol/clientEvents.js"
import * as Base64 from "../realtime/base64.js"

/** A reply rule: when the last user text matches, answer with `reply` or call a function. */
export interface ReplyRule {
  readonly match: string | RegExp
  readonly reply?: string
  readonly functionCall?: { readonly name: string; readonly arguments: string }
}

/** Fault injection: what the server does wrong on purpose. */
export interface Faults {
  /** Drop the connection abruptly once this many events were sent. */
  readonly closeAfterEvents?: number
  /** Send a frame that is not JSON once this many events were sent. */
  readonly nonJsonAfterEvents?: number
  /** Send an event of an unknown type once this many events were sent. */
  readonly unknownEventAfterEvents?: number
  /** Delay every frame by this many milliseconds. */
  readonly delayMs?: number
}

/** What one server connection needs: its server's configuration, an id counter, and its socket. */
export interface SessionOptions {
  readonly model: string
  readonly ids: () => number
  readonly speed: number
  readonly chunkMs: number
  readonly msPerChar: number
  readonly rules: ReadonlyArray<ReplyRule>
  readonly defaultReply: string
  readonly transcribe: (samples: Int16Array, ms: number) => string
  readonly faults: Faults
  readonly send: (text: string) => Effect.Effect<void>
  readonly terminate: Effect.Effect<void>
}

type Json = Record<string, unknown>

interface ConversationItem {
  readonly id: string
  readonly item: Json
  /** For assistant audio: the full reply text, and how much audio went out. */
  text: string
  audioSentMs: number
  /** The transcript the client heard, once it truncated the item. */
  heard?: string
}

interface ActiveResponse {
  readonly id: string
  readonly fiber: Fiber.RuntimeFiber<void>
  readonly output: Array<Json>
}

const vadDefaults = { threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true }

const defaultSession = (id: string, model: string): Json => ({
  type: "realtime",
  object: "realtime.session",
  id,
  model,
  output_modalities: ["audio"],
  instructions: "You are a helpful assistant.",
  tools: [],
  tool_choice: "auto",
  max_output_tokens: "inf",
  expires_at: 0,
  audio: {
    input: {
      format: { type: "audio/pcm", rate: 24000 },
      turn_detection: { type: "server_vad", idle_timeout_ms: null, ...vadDefaults }
    },
    output: { format: { type: "audio/pcm", rate: 24000 }, voice: "marin", speed: 1 }
  },
})

const record = (value: unknown): Json => (typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : {})

/** Drops the keys set to null: the session reports a disabled feature by leaving it out. */
const withoutNulls = (value: Json): Json =>
  Object.fromEntries(Object.entries(value).filter(([name, field]) => field !== null || name === "turn_detection"))

const mergeSession = (current: Json, update: Json): Json => {
  const audio = record(current["audio"])
  const updateAudio = record(update["audio"])
  return withoutNulls({
    ...current,
    ...update,
    type: "realtime",
    audio: {
      input: withoutNulls({ ...record(audio["input"]), ...record(updateAudio["input"]) }),
      output: withoutNulls({ ...record(audio["output"]), ...record(updateAudio["output"]) })
    }
  })
}

const formatOf = (session: Json, side: "input" | "output"): AudioFormat.AudioFormat =>
  Option.getOrElse(AudioFormat.normalize(record(record(record(session["audio"])[side])["format"])), () => "pcm16" as const)

const turnDetectionOf = (session: Json): Json | null => {
  const turn = record(record(session["audio"])["input"])["turn_detection"]
  return turn === null || turn === undefined ? null : record(turn)
}

/** Runs one connection: reads client frames from `inbound` until it ends. */
export const run = (inbound: Queue.Dequeue<string | null>, options: SessionOptions) =>
  Effect.gen(function*() {
    const nextId = (prefix: string) => `${prefix}_${String(options.ids()).padStart(4, "0")}`
    let sentEvents = 0
    let dropped = false
    const emit = (event: Json): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (dropped) return
        if (options.faults.delayMs !== undefined && options.faults.delayMs > 0) yield* Effect.sleep(options.faults.delayMs)
        yield* options.send(JSON.stringify({ event_id: nextId("event"), ...event }))
        sentEvents++
        const faults = options.faults
        if (faults.nonJsonAfterEvents === sentEvents) yield* options.send("this frame is not JSON {")
        if (faults.unknownEventAfterEvents === sentEvents) {
          yield* options.send(JSON.stringify({ type: "server.future_feature", event_id: nextId("event"), detail: "unknown to clients" }))
        }
        if (faults.closeAfterEvents === sentEvents) {
          dropped = true
          yield* options.terminate
        }
      })

    const error = (message: string, code: string, eventId: string | undefined, param: string | null = null) =>
      emit({ type: "error", error: { type: "invalid_request_error", code, message, param, event_id: eventId ?? null } })

    let session = defaultSession(nextId("sess"), options.model)
    const items: Array<ConversationItem> = []
    const responses: { active: ActiveResponse | null } = { active: null }
    // input audio buffer, as 16-bit samples at the input format's rate
    let buffer: Array<Int16Array> = []
    let bufferMs = 0
    let totalInputMs = 0
    const vad = { speaking: false, silenceMs: 0, startMs: 0, itemId: nextId("item") }

    const lastItemId = () => items.at(-1)?.id ?? null
    const findItem = (id: string) => items.find((entry) => entry.id === id)

    const addItem = (item: Json, previous: string | null, text = "") =>
      Effect.gen(function*() {
        const id = typeof item["id"] === "string" ? item["id"] : nextId("item")
        const stored: Json = { ...item, id, object: "realtime.item", status: item["status"] ?? "completed" }
        const index = previous === null ? items.length : items.findIndex((entry) => entry.id === previous) + 1
        items.splice(index, 0, { id, item: stored, text, audioSentMs: 0 })
        yield* emit({ type: "conversation.item.added", previous_item_id: index === 0 ? null : items[index - 1]?.id ?? null, item: stored })
        yield* emit({ type: "conversation.item.done", previous_item_id: index === 0 ? null : items[index - 1]?.id ?? null, item: stored })
        return id
      })

    const lastUserText = (): string => {
      for (let index = items.length - 1; index >= 0; index--) {
        const item = items[index]!.item
        if (item["type"] === "function_call_output") return `tool output: ${String(item["output"])}`
        if (item["type"] === "message" && item["role"] === "user") {
          const content = Array.isArray(item["content"]) ? item["content"].map(record) : []
          return content.map((part) => String(part["text"] ?? part["transcript"] ?? "")).join(" ").trim()
        }
      }
      return ""
    }

    const chooseReply = (): ReplyRule => {
      const text = lastUserText()
      if (text.startsWith("tool output: ")) return { match: "", reply: `Here is what I found: ${text.slice(13)}.` }
      const rule = options.rules.find((candidate) =>
        typeof candidate.match === "string" ? text.toLowerCase().includes(candidate.match.toLowerCase()) : candidate.match.test(text)
      )
      return rule ?? { match: "", reply: options.defaultReply }
    }

    const usage = (inputChars: number, outputChars: number, audioMs: number) => {
      const input = Math.max(1, Math.ceil(inputChars / 4))
      const text = Math.ceil(outputChars / 4)
      const audio = Math.ceil(audioMs / 50)
      return {
        total_tokens: input + text + audio,
        input_tokens: input,
        output_tokens: text + audio,
        input_token_details: { text_tokens: input, audio_tokens: 0, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } },
        output_token_details: { text_tokens: text, audio_tokens: audio }
      }
    }

    const responseObject = (id: string, status: string, output: ReadonlyArray<Json>, usageValue: Json | null) => ({
      object: "realtime.response",
      id,
      status,
      ...(status === "cancelled" ? { status_details: { type: "cancelled", reason: "client_cancelled" } } : {}),
      output,
      conversation_id: "conv_0001",
      output_modalities: session["output_modalities"] ?? ["audio"],
      max_output_tokens: "inf",
      audio: { output: { format: record(record(session["audio"])["output"])["format"] ?? { type: "audio/pcm", rate: 24000 }, voice: "marin" } },
      ...(usageValue !== null ? { usage: usageValue } : {})
    })

    /** Streams one reply; it is a fiber so that a cancel or barge-in can interrupt it. */
    const generate = (responseId: string, output: Array<Json>) =>
      Effect.gen(function*() {
        const rule = chooseReply()
        const previous = lastItemId()
        if (rule.functionCall !== undefined) {
          const callId = nextId("call")
          const itemId = nextId("item")
          const base = { id: itemId, object: "realtime.item", type: "function_call", call_id: callId, name: rule.functionCall.name }
          yield* emit({ type: "response.output_item.added", response_id: responseId, output_index: 0, item: { ...base, status: "in_progress", arguments: "" } })
          items.push({ id: itemId, item: { ...base, status: "in_progress", arguments: "" }, text: "", audioSentMs: 0 })
          yield* emit({ type: "conversation.item.added", previous_item_id: previous, item: { ...base, status: "in_progress", arguments: "" } })
          yield* emit({ type: "response.function_call_arguments.delta", response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, delta: rule.functionCall.arguments })
          yield* emit({
            type: "response.function_call_arguments.done",
            response_id: responseId,
            item_id: itemId,
            output_index: 0,
            call_id: callId,
            name: rule.functionCall.name,
            arguments: rule.functionCall.arguments
          })
          const completed = { ...base, status: "completed", arguments: rule.functionCall.arguments }
          items[items.length - 1] = { id: itemId, item: completed, text: "", audioSentMs: 0 }
          output.push(completed)
          yield* emit({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: completed })
          yield* emit({ type: "conversation.item.done", previous_item_id: previous, item: completed })
          return usage(lastUserText().length, rule.functionCall.arguments.length, 0)
        }
        const text = rule.reply ?? options.defaultReply
        const withAudio = Array.isArray(session["output_modalities"]) ? session["output_modalities"].includes("audio") : true
        const itemId = nextId("item")
        const entry: ConversationItem = {
          id: itemId,
          item: { id: itemId, object: "realtime.item", type: "message", status: "in_progress", role: "assistant", content: [] },
          text,
          audioSentMs: 0
        }
        items.push(entry)
        yield* emit({ type: "response.output_item.added", response_id: responseId, output_index: 0, item: entry.item })
        yield* emit({ type: "conversation.item.added", previous_item_id: previous, item: entry.item })
        const part = withAudio ? { type: "audio", transcript: "" } : { type: "text", text: "" }
        yield* emit({ type: "response.content_part.added", response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, part })
        const where = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 }
        const words = text.split(/(?<= )/)
        if (withAudio) {
          const format = formatOf(session, "output")
          const samples = Tone.synthesize(text, { sampleRate: AudioFormat.sampleRate(format), msPerChar: options.msPerChar })
          const perChunk = Math.max(1, Math.round((options.chunkMs * AudioFormat.sampleRate(format)) / 1000))
          const chunks = Math.max(1, Math.ceil(samples.length / perChunk))
          for (let chunk = 0; chunk < chunks; chunk++) {
            const slice = samples.subarray(chunk * perChunk, (chunk + 1) * perChunk)
            const bytes = Codec.encode(format, slice)
            yield* emit({ type: "response.output_audio.delta", ...where, delta: Base64.encode(bytes) })
            entry.audioSentMs += AudioFormat.durationMs(format, bytes.byteLength)
            const from = Math.floor((chunk * words.length) / chunks)
            const to = Math.floor(((chunk + 1) * words.length) / chunks)
            for (const word of words.slice(from, to)) {
              yield* emit({ type: "response.output_audio_transcript.delta", ...where, delta: word })
            }
            yield* Effect.sleep(AudioFormat.durationMs(format, bytes.byteLength) / options.speed)
          }
          yield* emit({ type: "response.output_audio.done", ...where })
          yield* emit({ type: "response.output_audio_transcript.done", ...where, transcript: text })
        } else {
          for (const word of words) yield* emit({ type: "response.output_text.delta", ...where, delta: word })
          yield* emit({ type: "response.output_text.done", ...where, text })
        }
        const heard = entry.heard ?? text
        yield* emit({
          type: "response.content_part.done",
          ...where,
          part: withAudio ? { type: "audio", transcript: heard } : { type: "text", text }
        })
        const completed = {
          ...entry.item,
          status: "completed",
          content: [withAudio ? { type: "output_audio", transcript: heard } : { type: "output_text", text }]
        }
        entry.item["status"] = "completed"
        Object.assign(entry.item, completed)
        output.push(completed)
        yield* emit({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: completed })
        yield* emit({ type: "conversation.item.done", previous_item_id: previous, item: completed })
        return usage(lastUserText().length, text.length, entry.audioSentMs)
      })

    const startResponse = (eventId: string | undefined) =>
      Effect.gen(function*() {
        if (responses.active !== null) {
          return yield* error(
            `Conversation already has an active response in progress: ${responses.active.id}. Wait until the response is finished before creating a new one.`,
            "conversation_already_has_active_response",
            eventId
          )
        }
        const id = nextId("resp")
        const output: Array<Json> = []
        yield* emit({ type: "response.created", response: responseObject(id, "in_progress", [], null) })
        const fiber = yield* Effect.fork(
          Effect.flatMap(generate(id, output), (usageValue) =>
            Effect.suspend(() => {
              responses.active = null
              return emit({ type: "response.done", response: responseObject(id, "completed", output, usageValue) })
            }))
        )
        responses.active = { id, fiber, output }
      })

    const cancelResponse = (eventId: string | undefined, reportMissing: boolean) =>
      Effect.gen(function*() {
        const current = responses.active
        if (current === null) {
          if (reportMissing) yield* error("Cancellation failed: no active response found", "response_cancel_not_active", eventId)
          return
        }
        responses.active = null
        yield* Fiber.interrupt(current.fiber)
        yield* emit({ type: "response.done", response: responseObject(current.id, "cancelled", current.output, usage(lastUserText().length, 0, 0)) })
      })

    const commitBuffer = (eventId: string | undefined, viaVad: boolean) =>
      Effect.gen(function*() {
        if (bufferMs < 100) {
          if (!viaVad) {
            yield* error(
              `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${bufferMs.toFixed(2)}ms of audio.`,
              "input_audio_buffer_commit_empty",
              eventId
            )
          }
          return false
        }
        const samples = new Int16Array(buffer.reduce((sum, part) => sum + part.length, 0))
        buffer.reduce((offset, part) => (samples.set(part, offset), offset + part.length), 0)
        const ms = bufferMs
        buffer = []
        bufferMs = 0
        const itemId = viaVad ? vad.itemId : nextId("item")
        vad.itemId = nextId("item")
        yield* emit({ type: "input_audio_buffer.committed", previous_item_id: lastItemId(), item_id: itemId })
        yield* addItem({ id: itemId, type: "message", role: "user", content: [{ type: "input_audio" }] }, null)
        const transcription = record(record(session["audio"])["input"])["transcription"]
        if (transcription !== null && transcription !== undefined) {
          const transcript = options.transcribe(samples, ms)
          const item = findItem(itemId)
          if (item !== undefined) item.item["content"] = [{ type: "input_audio", transcript }]
          yield* emit({ type: "conversation.item.input_audio_transcription.completed", item_id: itemId, content_index: 0, transcript, usage: { type: "duration", seconds: Math.round(ms / 100) / 10 } })
        }
        return true
      })

    const onAudio = (samples: Int16Array, rate: number) =>
      Effect.gen(function*() {
        const startOfChunk = totalInputMs
        totalInputMs += (samples.length * 1000) / rate
        // samples [buffered, cut) go into the buffer before a VAD commit; the rest after it
        let buffered = 0
        const bufferUpTo = (cut: number) => {
          if (cut > buffered) {
            buffer.push(samples.subarray(buffered, cut))
            bufferMs += ((cut - buffered) * 1000) / rate
            buffered = cut
          }
        }
        const turn = turnDetectionOf(session)
        if (turn !== null && turn["type"] === "server_vad") {
          const settings = { ...vadDefaults, ...turn }
          const frame = Math.max(1, Math.round(rate / 50)) // 20 ms
          const energies = Energy.frameRms(samples, frame)
          for (let index = 0; index < energies.length; index++) {
            const frameMs = startOfChunk + (index * frame * 1000) / rate
            const speech = (energies[index] ?? 0) >= Number(settings.threshold) * 0.2
            if (speech && !vad.speaking) {
              vad.speaking = true
              vad.silenceMs = 0
              vad.startMs = Math.max(0, Math.round(frameMs - Number(settings.prefix_padding_ms)))
              yield* emit({ type: "input_audio_buffer.speech_started", audio_start_ms: vad.startMs, item_id: vad.itemId })
              if (responses.active !== null && settings.interrupt_response === true) yield* cancelResponse(undefined, false)
            } else if (vad.speaking) {
              vad.silenceMs = speech ? 0 : vad.silenceMs + 20
              if (vad.silenceMs >= Number(settings.silence_duration_ms)) {
                vad.speaking = false
                const itemId = vad.itemId
                const cut = Math.min(samples.length, (index + 1) * frame)
                yield* emit({
                  type: "input_audio_buffer.speech_stopped",
                  audio_end_ms: Math.round(startOfChunk + (cut * 1000) / rate),
                  item_id: itemId
                })
                bufferUpTo(cut)
                const committed = yield* commitBuffer(undefined, true)
                if (committed && settings.create_response === true) yield* startResponse(undefined)
              }
            }
          }
        }
        bufferUpTo(samples.length)
      })

    const truncate = (itemId: string, contentIndex: number, audioEndMs: number, eventId: string | undefined) =>
      Effect.gen(function*() {
        const entry = findItem(itemId)
        if (entry === undefined || entry.item["role"] !== "assistant") {
          return yield* error(`Item with item_id not found or not an assistant message: ${itemId}`, "item_truncate_invalid_item_id", eventId, "item_id")
        }
        if (contentIndex !== 0) return yield* error("Only content_index 0 holds audio", "invalid_value", eventId, "content_index")
        if (audioEndMs > Math.ceil(entry.audioSentMs)) {
          return yield* error(
            `Audio content of ${Math.round(entry.audioSentMs)}ms is shorter than ${audioEndMs}ms`,
            "invalid_value",
            eventId,
            "audio_end_ms"
          )
        }
        const heard = Array.from(entry.text).slice(0, Math.floor(audioEndMs / options.msPerChar)).join("")
        entry.heard = heard
        entry.item["content"] = [{ type: "output_audio", transcript: heard }]
        yield* emit({ type: "conversation.item.truncated", item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs })
      })

    const handle = (text: string) =>
      Effect.gen(function*() {
        const decoded = decodeClientFrame(text)
        if (Either.isLeft(decoded)) return yield* error(decoded.left.message, "invalid_value", decoded.left.eventId)
        const event = decoded.right
        const eventId = event.event_id
        switch (event.type) {
          case "session.update":
            session = mergeSession(session, record(event.session))
            return yield* emit({ type: "session.updated", session })
          case "input_audio_buffer.append": {
            const format = formatOf(session, "input")
            return yield* onAudio(Codec.decode(format, Base64.decode(event.audio)), AudioFormat.sampleRate(format))
          }
          case "input_audio_buffer.commit":
            yield* commitBuffer(eventId, false)
            return
          case "input_audio_buffer.clear":
            buffer = []
            bufferMs = 0
            return yield* emit({ type: "input_audio_buffer.cleared" })
          case "output_audio_buffer.clear":
            return yield* emit({ type: "output_audio_buffer.cleared", response_id: responses.active?.id ?? null })
          case "conversation.item.create": {
            const previous = event.previous_item_id ?? null
            if (previous !== null && findItem(previous) === undefined) {
              return yield* error(`Previous item with id ${previous} not found`, "invalid_value", eventId, "previous_item_id")
            }
            yield* addItem(record(event.item), previous)
            return
          }
          case "conversation.item.delete": {
            const index = items.findIndex((entry) => entry.id === event.item_id)
            if (index < 0) return yield* error(`Item with item_id not found: ${event.item_id}`, "item_delete_invalid_item_id", eventId, "item_id")
            items.splice(index, 1)
            return yield* emit({ type: "conversation.item.deleted", item_id: event.item_id })
          }
          case "conversation.item.retrieve": {
            const entry = findItem(event.item_id)
            if (entry === undefined) return yield* error(`Item with item_id not found: ${event.item_id}`, "item_retrieve_invalid_item_id", eventId, "item_id")
            return yield* emit({ type: "conversation.item.retrieved", item: entry.item })
          }
          case "conversation.item.truncate":
            return yield* truncate(event.item_id, event.content_index, event.audio_end_ms, eventId)
          case "response.create":
            return yield* startResponse(eventId)
          case "response.cancel":
            return yield* cancelResponse(eventId, true)
        }
      })

    yield* emit({ type: "session.created", session })
    for (;;) {
      const text = yield* Queue.take(inbound)
      if (text === null) break
      yield* handle(text)
    }
    if (responses.active !== null) yield* Fiber.interrupt(responses.active.fiber)
  })
