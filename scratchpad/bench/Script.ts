/**
 * The event streams the loopback server replays: GA Realtime server frames shaped like a recorded
 * session (100 ms PCM16 audio deltas, transcript deltas, item events, response lifecycle). A script
 * is a list of turns; frames are rendered lazily, when the server sends them, so a two-hour session
 * never sits in memory.
 */

/** Bytes of one 100 ms audio delta: PCM16 mono at 24 kHz. */
export const AUDIO_DELTA_BYTES = 4800
/** Realtime duration of one audio delta. */
export const AUDIO_DELTA_MS = 100

/** One model response: how many audio deltas it streams, and where the listener cuts it off. */
export interface ResponseSpec {
  readonly audioDeltas: number
  /** The consumer interrupts after this many deltas and the response ends as cancelled. */
  readonly interruptAfter: number | null
}

/** One exchange: the user speaks (optional), then the model answers. */
export interface Turn {
  readonly userSpeechMs: number | null
  readonly response: ResponseSpec
}

/** A frame of the script: when it is due (realtime offset) and how to render it. */
export interface ScriptFrame {
  readonly atMs: number
  readonly isAudio: boolean
  readonly render: () => string
}

/**
 * How a connection opens: the server's first frame at once (OpenAI's `session.created`), or in
 * answer to the client's first frame (Gemini's `setupComplete`, after the client's `setup`).
 */
export interface Opening {
  readonly frame: () => string
  readonly answersClient: boolean
}

/** A replayable stream with the counts the harness needs to check what consumers received. */
export interface Script {
  readonly name: string
  readonly opening: Opening
  readonly turns: ReadonlyArray<Turn>
  readonly frameCount: number
  readonly audioCount: number
  /** Audio ordinals (1-based) after which the consumer sends an interrupt, ascending. */
  readonly interruptAfterAudio: ReadonlyArray<number>
  readonly frames: () => Iterable<ScriptFrame>
}

/** 100 ms of a 220 Hz tone at half scale, PCM16 little-endian, as base64. */
export const audioDeltaBase64 = (): string => {
  const samples = AUDIO_DELTA_BYTES / 2
  const pcm = Buffer.alloc(AUDIO_DELTA_BYTES)
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(16_000 * Math.sin((2 * Math.PI * 220 * i) / 24_000)), i * 2)
  }
  return pcm.toString("base64")
}

const WORDS = ["Sure", "let", "me", "check", "that", "for", "you", "the", "order", "ships", "on", "Tuesday", "and"]

/** The transcript of a response of `deltas` audio deltas: one word every other delta. */
export const transcriptOf = (deltas: number): ReadonlyArray<string> =>
  Array.from({ length: Math.ceil(deltas / 2) }, (_, i) => `${WORDS[i % WORDS.length]} `)

const usage = {
  total_tokens: 253,
  input_tokens: 132,
  output_tokens: 121,
  input_token_details: {
    text_tokens: 119,
    audio_tokens: 13,
    image_tokens: 0,
    cached_tokens: 64,
    cached_tokens_details: { text_tokens: 64, audio_tokens: 0, image_tokens: 0 }
  },
  output_token_details: { text_tokens: 30, audio_tokens: 91 }
}

const pcmFormat = { type: "audio/pcm", rate: 24000 }

const responseObject = (id: string, status: string, output: ReadonlyArray<unknown>, done: boolean) => ({
  object: "realtime.response",
  id,
  status,
  status_details: status === "cancelled" ? { type: "cancelled", reason: "client_cancelled" } : null,
  output,
  conversation_id: "conv_bench",
  output_modalities: ["audio"],
  max_output_tokens: "inf",
  audio: { output: { format: pcmFormat, voice: "marin" } },
  usage: done ? usage : null,
  metadata: null
})

/** The `session.created` frame a server sends when a connection opens. */
export const sessionCreated = (): string =>
  JSON.stringify({
    type: "session.created",
    event_id: "event_session",
    session: {
      type: "realtime",
      object: "realtime.session",
      id: "sess_bench",
      model: "gpt-realtime",
      output_modalities: ["audio"],
      instructions: "You are a helpful voice agent.",
      tools: [],
      tool_choice: "auto",
      max_output_tokens: "inf",
      tracing: null,
      prompt: null,
      expires_at: 1756324625,
      audio: {
        input: {
          format: pcmFormat,
          transcription: null,
          noise_reduction: null,
          turn_detection: {
            type: "server_vad",
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 200,
            idle_timeout_ms: null,
            create_response: true,
            interrupt_response: true
          }
        },
        output: { format: pcmFormat, voice: "marin", speed: 1 }
      },
      include: null
    }
  })

/**
 * Renders the frames of a list of turns in GA order. `atMs` advances at realtime: user speech
 * takes its duration, audio deltas are 100 ms apart, a 500 ms pause follows each response.
 */
function* renderTurns(turns: ReadonlyArray<Turn>, audio: string): Generator<ScriptFrame> {
  let eventSeq = 0
  let clock = 0
  let previousItem: string | null = null
  const at = (atMs: number, render: () => Record<string, unknown>): ScriptFrame => ({
    atMs,
    isAudio: false,
    render: () => JSON.stringify({ event_id: `event_${++eventSeq}`, ...render() })
  })
  for (let t = 0; t < turns.length; t++) {
    const turn = turns[t]!
    const responseId = `resp_${t}`
    const itemId = `item_a${t}`
    if (turn.userSpeechMs !== null) {
      const userItem = `item_u${t}`
      const started = clock
      const previous = previousItem
      const userMessage = (status: string) => ({
        id: userItem,
        type: "message",
        status,
        role: "user",
        content: [{ type: "input_audio", transcript: null }]
      })
      yield at(clock, () => ({ type: "input_audio_buffer.speech_started", audio_start_ms: started, item_id: userItem }))
      clock += turn.userSpeechMs
      const stopped = clock
      yield at(clock, () => ({ type: "input_audio_buffer.speech_stopped", audio_end_ms: stopped, item_id: userItem }))
      yield at(clock, () => ({ type: "input_audio_buffer.committed", previous_item_id: previous, item_id: userItem }))
      yield at(
        clock,
        () => ({ type: "conversation.item.added", previous_item_id: previous, item: userMessage("completed") })
      )
      yield at(
        clock,
        () => ({ type: "conversation.item.done", previous_item_id: previous, item: userMessage("completed") })
      )
      yield at(clock, () => ({
        type: "conversation.item.input_audio_transcription.completed",
        item_id: userItem,
        content_index: 0,
        transcript: "Where is my order?",
        usage: {
          type: "tokens",
          total_tokens: 22,
          input_tokens: 13,
          input_token_details: { text_tokens: 0, audio_tokens: 13 },
          output_tokens: 9
        }
      }))
      previousItem = userItem
    }
    const { audioDeltas, interruptAfter } = turn.response
    const sent = interruptAfter === null ? audioDeltas : Math.min(interruptAfter, audioDeltas)
    const words = transcriptOf(sent)
    const transcript = words.join("")
    const previous = previousItem
    const assistant = (status: string, content: ReadonlyArray<unknown>) => ({
      id: itemId,
      type: "message",
      status,
      role: "assistant",
      content
    })
    const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 }
    yield at(
      clock,
      () => ({ type: "response.created", response: responseObject(responseId, "in_progress", [], false) })
    )
    yield at(
      clock,
      () => ({
        type: "response.output_item.added",
        response_id: responseId,
        output_index: 0,
        item: assistant("in_progress", [])
      })
    )
    yield at(
      clock,
      () => ({ type: "conversation.item.added", previous_item_id: previous, item: assistant("in_progress", []) })
    )
    yield at(clock, () => ({ type: "response.content_part.added", ...ids, part: { type: "audio", transcript: "" } }))
    const audioPrefix =
      `{"type":"response.output_audio.delta","response_id":"${responseId}","item_id":"${itemId}","output_index":0,"content_index":0,"delta":"${audio}","event_id":"event_`
    for (let i = 0; i < sent; i++) {
      if (i % 2 === 0) {
        const delta = words[i / 2]!
        yield at(clock, () => ({ type: "response.output_audio_transcript.delta", ...ids, delta }))
      }
      yield { atMs: clock, isAudio: true, render: () => `${audioPrefix}${++eventSeq}"}` }
      clock += AUDIO_DELTA_MS
    }
    const cancelled = interruptAfter !== null
    const finalStatus = cancelled ? "incomplete" : "completed"
    const done = assistant(finalStatus, [{ type: "output_audio", transcript }])
    yield at(clock, () => ({ type: "response.output_audio.done", ...ids }))
    yield at(clock, () => ({ type: "response.output_audio_transcript.done", ...ids, transcript }))
    yield at(clock, () => ({ type: "response.content_part.done", ...ids, part: { type: "audio", transcript } }))
    yield at(clock, () => ({ type: "response.output_item.done", response_id: responseId, output_index: 0, item: done }))
    yield at(clock, () => ({ type: "conversation.item.done", previous_item_id: previous, item: done }))
    yield at(clock, () => ({
      type: "response.done",
      response: responseObject(responseId, cancelled ? "cancelled" : "completed", [done], true)
    }))
    if (cancelled) {
      const heardMs = sent * AUDIO_DELTA_MS
      yield at(
        clock,
        () => ({ type: "conversation.item.truncated", item_id: itemId, content_index: 0, audio_end_ms: heardMs })
      )
    }
    yield at(clock, () => ({
      type: "rate_limits.updated",
      rate_limits: [
        { name: "requests", limit: 1000, remaining: 999, reset_seconds: 60 },
        { name: "tokens", limit: 50000, remaining: 49950, reset_seconds: 60 }
      ]
    }))
    previousItem = itemId
    clock += 500
  }
}

/** A script of `turns` rendered by `render`, with the counts the harness checks against. */
export const fromTurns = (
  name: string,
  turns: ReadonlyArray<Turn>,
  render: (turns: ReadonlyArray<Turn>, audio: string) => Iterable<ScriptFrame> = renderTurns,
  opening: Opening = { frame: sessionCreated, answersClient: false }
): Script => {
  const audio = audioDeltaBase64()
  const frames = () => render(turns, audio)
  let frameCount = 0
  let audioCount = 0
  const interruptAfterAudio: Array<number> = []
  for (const turn of turns) {
    const { audioDeltas, interruptAfter } = turn.response
    audioCount += interruptAfter === null ? audioDeltas : Math.min(interruptAfter, audioDeltas)
    if (interruptAfter !== null) interruptAfterAudio.push(audioCount)
  }
  for (const _ of frames()) frameCount++
  return { name, opening, turns, frameCount, audioCount, interruptAfterAudio, frames }
}

/** Workload (e): nothing after `session.created`; the call sits idle until it is closed. */
export const idle: Script = fromTurns("idle call", [])

/** Workload (a): one response streaming `deltas` audio deltas back to back. */
export const audioBurst = (deltas: number): Script =>
  fromTurns("audio burst", [{ userSpeechMs: null, response: { audioDeltas: deltas, interruptAfter: null } }])

/** A small deterministic generator (LCG) so every consumer replays the same "random" session. */
const lengths = (count: number, seed: number, min: number, max: number): ReadonlyArray<number> => {
  let state = seed
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return min + (state % (max - min + 1))
  })
}

/**
 * A conversation of `minutes` realtime minutes: the user speaks 1.5-4 s, the model answers with
 * 2-8 s of audio (transcript delta every other audio delta). Every `interruptEvery`-th response
 * (when given) is cut by the listener half-way, as a barge-in.
 */
export const conversation = (options: {
  readonly name: string
  readonly audioDeltas: number
  readonly interruptEvery: number | null
}): Script => {
  const turns: Array<Turn> = []
  const responseLengths = lengths(Math.ceil(options.audioDeltas / 20) + 1, 42, 20, 80)
  const speech = lengths(responseLengths.length, 7, 15, 40)
  let remaining = options.audioDeltas
  for (let i = 0; remaining > 0; i++) {
    const audioDeltas = Math.min(remaining, responseLengths[i % responseLengths.length]!)
    const cut = options.interruptEvery !== null && (i + 1) % options.interruptEvery === 0 && audioDeltas >= 2
    turns.push({
      userSpeechMs: speech[i % speech.length]! * 100,
      response: { audioDeltas, interruptAfter: cut ? Math.floor(audioDeltas / 2) : null }
    })
    remaining -= cut ? Math.floor(audioDeltas / 2) : audioDeltas
  }
  return fromTurns(options.name, turns)
}
