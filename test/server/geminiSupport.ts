/**
 * What the Gemini front-end's tests share: a raw Live client of the embedded server (frames as
 * Google's JSON), the setup message, predicates on server frames, and 16 kHz speech and silence.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type * as RealtimeServer from "../../src/RealtimeServer.js"
import type { Frame, RawClient, UpgradeRefused } from "./wsClient.js"
import { open } from "./wsClient.js"

export const key = "gemini-test-key"
export const model = "models/gemini-3.8-live"

/** A setup message for the default model, with `extra` fields. */
export const setup = (extra: Record<string, unknown> = {}): Frame => ({ setup: { model, ...extra } })

/** A frame with this top-level key. */
export const has = (name: string) => (frame: Frame): boolean => frame[name] !== undefined

/** A `serverContent` frame with this field. */
export const content = (name: string) => (frame: Frame): boolean =>
  typeof frame["serverContent"] === "object" && frame["serverContent"] !== null &&
  (frame["serverContent"] as Record<string, unknown>)[name] !== undefined

/** The `serverContent` of a frame. */
export const serverContent = (frame: Frame): Record<string, unknown> =>
  (frame["serverContent"] ?? {}) as Record<string, unknown>

/** The output transcription a list of frames carries, joined. */
export const transcriptOf = (frames: ReadonlyArray<Frame>): string =>
  frames.map((frame) =>
    String((serverContent(frame)["outputTranscription"] as { text?: string } | undefined)?.text ?? "")
  )
    .join("")

/** The bytes of reply audio a list of frames carries, and their MIME types. */
export const audioOf = (frames: ReadonlyArray<Frame>): { readonly bytes: number; readonly mimeTypes: Set<string> } => {
  let bytes = 0
  const mimeTypes = new Set<string>()
  for (const frame of frames) {
    const turn = serverContent(frame)["modelTurn"] as
      | { parts: ReadonlyArray<{ inlineData?: { data: string; mimeType: string } }> }
      | undefined
    for (const part of turn?.parts ?? []) {
      if (part.inlineData !== undefined) {
        bytes += Buffer.from(part.inlineData.data, "base64").byteLength
        mimeTypes.add(part.inlineData.mimeType)
      }
    }
  }
  return { bytes, mimeTypes }
}

/** A raw Live client with the key in `x-goog-api-key` (none when it is empty). */
export const liveClient = (
  server: Pick<RealtimeServer.RealtimeServer, "geminiUrl">,
  apiKey = key
): Effect.Effect<RawClient, UpgradeRefused, Scope.Scope> =>
  open(server.geminiUrl, apiKey === "" ? {} : { "x-goog-api-key": apiKey })

/** A raw client, set up with `extra`; returns it once `setupComplete` arrived. */
export const setUp = (server: RealtimeServer.RealtimeServer, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const client = yield* liveClient(server)
    yield* client.send(setup(extra))
    yield* client.until(has("setupComplete"))
    return client
  })

/** `ms` of 16 kHz PCM16 as base64: a loud tone (speech to voice activity detection) or silence. */
export const pcm16k = (ms: number, loud: boolean): string => {
  const samples = new Int16Array(Math.round(ms * 16))
  if (loud) { for (let index = 0; index < samples.length; index++) samples[index] = index % 16 < 8 ? 12000 : -12000 }
  return Buffer.from(samples.buffer).toString("base64")
}

/** A `realtimeInput` audio message. */
export const audio = (ms: number, loud: boolean): Frame => ({
  realtimeInput: { audio: { data: pcm16k(ms, loud), mimeType: "audio/pcm;rate=16000" } }
})

/** A user text turn. */
export const userTurn = (text: string): Frame => ({
  clientContent: { turns: [{ role: "user", parts: [{ text }] }], turnComplete: true }
})

/** The function calls of the last `toolCall` frame among `frames`. */
export const functionCallsOf = (
  frames: ReadonlyArray<Frame>
): ReadonlyArray<{ readonly id: string; readonly name: string; readonly args: unknown }> => {
  const call = [...frames].reverse().find((frame) => frame["toolCall"] !== undefined)?.["toolCall"] as
    | { functionCalls: ReadonlyArray<{ id: string; name: string; args: unknown }> }
    | undefined
  return call?.functionCalls ?? []
}
