/**
 * What the OpenAI Live front-end's tests share: a raw Live client of the embedded server (frames
 * as the `openai` package types them), `session.start`, the typed-text append the library sends,
 * what a list of server frames carries (audio, transcripts), and 24 kHz speech and silence.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type * as Live from "openai/resources/live/live"
import { typedByUser } from "../../src/internal/openaiLive/send.js"
import type * as RealtimeServer from "../../src/RealtimeServer.js"
import type { Frame, RawClient, UpgradeRefused } from "./wsClient.js"
import { connect } from "./wsClient.js"

export const key = "live-test-key"

/** A `session.start` for `gpt-live-1`, with `extra` configuration. */
export const start = (extra: Partial<Live.SessionConfig> = {}): Live.SessionStartEvent => ({
  type: "session.start",
  session: { model: "gpt-live-1", ...extra }
})

/** The append the library sends for a user's typed words. */
export const typed = (text: string): Live.InstructionsAppendEvent => ({
  type: "session.instructions.append",
  content: typedByUser(text),
  delegation_id: null
})

/** A raw client at `url` (default: a new session) with the key as a Bearer header. */
export const liveClient = (
  server: Pick<RealtimeServer.RealtimeServer, "liveUrl">,
  url = server.liveUrl
): Effect.Effect<RawClient, UpgradeRefused, Scope.Scope> => connect(url, key)

/** A raw client whose session started with `extra`; returns it and `session.started`'s session. */
export const started = (server: RealtimeServer.RealtimeServer, extra: Partial<Live.SessionConfig> = {}) =>
  Effect.gen(function*() {
    const client = yield* liveClient(server)
    yield* client.send(start(extra) as unknown as Frame)
    const frames = yield* client.until("session.started")
    const session = frames.at(-1)?.["session"] as Live.SessionResource
    return { client, session }
  })

/** The frames of a type among `frames`. */
export const ofType = <T extends Live.ServerEvent["type"]>(
  frames: ReadonlyArray<Frame>,
  type: T
): Array<Extract<Live.ServerEvent, { readonly type: T }>> =>
  frames.filter((frame) => frame["type"] === type) as unknown as Array<Extract<Live.ServerEvent, { readonly type: T }>>

/** The model's transcript in `frames`, joined. */
export const saidIn = (frames: ReadonlyArray<Frame>): string =>
  ofType(frames, "session.output_transcript.delta").map((event) => event.delta).join("")

/** The user's transcript in `frames`, joined. */
export const heardIn = (frames: ReadonlyArray<Frame>): string =>
  ofType(frames, "session.input_transcript.delta").map((event) => event.delta).join("")

/** The 16-bit samples of the model's audio in `frames` (24 kHz PCM16). */
export const audioIn = (frames: ReadonlyArray<Frame>): Int16Array => {
  const buffers = ofType(frames, "session.output_audio.delta").map((event) => Buffer.from(event.delta, "base64"))
  const bytes = Buffer.concat(buffers)
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)
}

/** `ms` of 24 kHz PCM16 as base64: a loud tone (speech to voice activity detection) or silence. */
export const pcm24k = (ms: number, loud: boolean): string => {
  const samples = new Int16Array(Math.round(ms * 24))
  if (loud) { for (let index = 0; index < samples.length; index++) samples[index] = index % 24 < 12 ? 12000 : -12000 }
  return Buffer.from(samples.buffer).toString("base64")
}

/** A `session.input_audio.append` of `ms` of speech or silence. */
export const audio = (ms: number, loud: boolean): Frame => ({
  type: "session.input_audio.append",
  audio: pcm24k(ms, loud)
})

/** The frame is the last quiet chunk of a reply's tail is not knowable: a reply's usage marks its end. */
export const replyEnd = "session.usage.updated"
