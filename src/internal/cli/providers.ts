/**
 * What each `--provider` of the command means, in one place: the key `--live` needs and where it
 * is read from, which of the embedded server's front-ends the offline run talks to, the model
 * instance, and the moves of a voice session that the `RealtimeModel` contract leaves to the
 * provider (asking for a reply to audio alone, what a barge-in sends, where the transcript as
 * heard comes from).
 */
import { Effect, Option } from "effect"
import type { Redacted, Scope } from "effect"
import * as GeminiLive from "../../GeminiLive.js"
import * as NodeRealtimeWebSocket from "../../NodeRealtimeWebSocket.js"
import * as OpenAILive from "../../OpenAILive.js"
import * as OpenAIRealtime from "../../OpenAIRealtime.js"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeModelService } from "../../RealtimeModel.js"
import { Interrupt, SendAudio } from "../../RealtimeModelSendEvent.js"
import type { RealtimeServer } from "../../RealtimeServer.js"
import * as GeminiProvider from "../gemini/provider.js"
import { environmentApiKey as openAIEnvironmentKey } from "../realtime/handshake.js"
import { openAIMoves } from "./VoiceSession.js"
import type { SessionMoves } from "./VoiceSession.js"

/** The values `--provider` takes; the first is the default. */
export const names = ["openai", "gemini", "openai-live"] as const

/** A value of `--provider`. */
export type ProviderName = (typeof names)[number]

/** One provider as the command line uses it. */
export interface CliProvider {
  /** What `--live` talks to, for its messages. */
  readonly service: string
  /** The environment variables `--live` reads its key from, in order. */
  readonly keyVariables: ReadonlyArray<string>
  /** The key from the environment (through `Config`), if any. */
  readonly environmentKey: Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError>
  /** The embedded server's URL for this provider's protocol. */
  readonly embeddedUrl: (server: RealtimeServer) => string
  /** A model instance for the session, living in the Scope. */
  readonly model: Effect.Effect<RealtimeModelService, never, Scope.Scope>
  /** The session's moves that the contract leaves to the provider. */
  readonly moves: SessionMoves
}

/** OpenAI Realtime, on the embedded server's OpenAI front-end offline. */
const openAI: CliProvider = {
  service: "OpenAI's Realtime API",
  keyVariables: ["OPENAI_API_KEY"],
  environmentKey: openAIEnvironmentKey,
  embeddedUrl: (server) => server.url,
  model: OpenAIRealtime.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer)),
  moves: openAIMoves
}

/** 20 ms of silence at 24 kHz PCM16: the first sound of the user speaking over the reply. */
const bargeInSound = new Uint8Array(960)

/**
 * Gemini Live: committing the user's audio (`activityEnd`, turn detection being off) asks for the
 * reply. Gemini cannot be stopped on the client's word (an `Interrupt` only stops playback), so a
 * barge-in is what it is on Gemini: the user starts speaking (`activityStart` and audio), and the
 * server interrupts its turn (`interrupted`, read as `AudioInterrupted`, which ends the turn).
 * Gemini keeps no truncated transcript: the one as heard is the library's cut of the reply's
 * transcript in proportion to the audio heard.
 */
const gemini: CliProvider = {
  service: "Google's Gemini Live API",
  keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
  environmentKey: GeminiProvider.environmentApiKey,
  embeddedUrl: (server) => server.geminiUrl,
  model: GeminiLive.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer)),
  moves: {
    requestReply: Option.none(),
    bargeIn: () => [SendAudio.make({ audio: bargeInSound, commit: false })],
    bargeInEndsOn: "AudioInterrupted",
    heard: "estimate"
  }
}

/**
 * OpenAI Live: the model runs its own turns, so nothing asks for a reply (it answers the user's
 * audio, and decides whether to answer typed text, which it gets as context). It cannot be stopped
 * or truncated: a barge-in is an `Interrupt` (playback stops, the rest of the turn is dropped, the
 * model is told what was heard), whose `AudioInterrupted` ends the reply; the transcript as heard
 * is the client's estimate, as on Gemini.
 * Offline: the embedded server's Live front-end.
 */
const openAILive: CliProvider = {
  service: "OpenAI's Live API",
  keyVariables: ["OPENAI_API_KEY"],
  environmentKey: openAIEnvironmentKey,
  embeddedUrl: (server) => server.liveUrl,
  model: OpenAILive.make().pipe(Effect.provide(NodeRealtimeWebSocket.layer)),
  moves: {
    requestReply: Option.none(),
    bargeIn: () => [Interrupt.make({})],
    bargeInEndsOn: "AudioInterrupted",
    heard: "estimate"
  }
}

/** The provider `--provider` names. */
export const resolve = (name: ProviderName): CliProvider => {
  switch (name) {
    case "openai":
      return openAI
    case "gemini":
      return gemini
    case "openai-live":
      return openAILive
  }
}
