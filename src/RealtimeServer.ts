/**
 * An embedded server that speaks OpenAI's Realtime GA protocol on loopback: see the library work
 * without an API key, and test voice agents without the network. Replies are deterministic
 * (rules, else an answer that follows the question; tones whose length follows the text) and the
 * usage of each response counts what it sent, a cancelled one included.
 *
 * It also plays the SIP side of the Realtime Calls API: `incomingCall` rings a call, the REST
 * operations `OpenAICalls` uses (accept, reject, refer, hang up) answer at `apiUrl`, and a model
 * connected to `url` with `callId` (which it adds to the URL as `call_id`) attaches to the accepted
 * call's session.
 *
 * For browser apps it mints ephemeral client secrets (`POST /v1/realtime/client_secrets` at
 * `apiUrl`, as `OpenAIClientSecrets` asks): an `ek_…` secret opens connections, with the session
 * configuration it was minted with, until it expires (time from the Clock).
 *
 * Faults for tests of error handling and long calls: a session duration limit (the session ends as
 * the service ends one at its maximum duration: a `session_expired` error, then close 1001), frame
 * faults (`faults.closeAfterEvents`, a non-JSON or unknown frame, a delay), upgrade refusals
 * (always, on every reconnect, or at run time for the next K attempts or from now on), abrupt drops
 * (every open connection now, or the next connections after N events) and unanswered pings. Options
 * set them from the start; `server.faults` injects them at the moment a test chooses, and
 * `connectionAttempts`/`connectionsAccepted` count what the server saw.
 *
 * It speaks Gemini Live too, on the same port, routed by path (`geminiUrl`, Google's
 * `BidiGenerateContent` WebSocket, the key in `x-goog-api-key` or `?key=`; and the constrained
 * endpoint with an ephemeral token minted at `POST /v1alpha/auth_tokens`, as `GeminiAuthTokens`
 * asks): the same replies, tool rules, tones, voice activity and faults, in Gemini's messages, with
 * session resumption by handle; `server.gemini` sends `goAway` or forgets every handle on request.
 *
 * And OpenAI Live (`liveUrl`, `/v1/live/sessions`, the key as for Realtime): `session.start`, a
 * model that listens while it speaks and interrupts itself when the user speaks over it, the two
 * transcripts on the session's timeline, delegation to the client or to a Responses backend,
 * `session.closed` with its reason, and stored sessions a fork continues; `server.live` ends every
 * Live session with a reason a test chooses.
 *
 * Connect the real `OpenAIRealtime` to its `url` with either WebSocket layer:
 * `NodeRealtimeWebSocket.layer` (the key in a header) or, from a page, `BrowserRealtimeWebSocket.layer()`
 * (the key or client secret in a sub-protocol); it accepts both.
 *
 * Node only: it listens with `node:http` and upgrades with `ws`.
 *
 * @since 0.1.0
 */
import { Chunk, Clock, Context, Duration, Effect, FiberSet, Layer, Option, Ref, Schema } from "effect"
import type { Redacted, Scope } from "effect"
import { HttpServerRequest } from "effect/http"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import type { WebSocket } from "ws"
import * as Answers from "./internal/server/answers.js"
import * as Calls from "./internal/server/calls.js"
import * as ClientSecrets from "./internal/server/clientSecrets.js"
import * as Connection from "./internal/server/connection.js"
import type { ReplyRule as ReplyRuleShape } from "./internal/server/conversation.js"
import * as Core from "./internal/server/core.js"
import * as ConnectionFaults from "./internal/server/faults.js"
import * as Gemini from "./internal/server/gemini/front.js"
import type { Controls as GeminiControlsShape } from "./internal/server/gemini/registry.js"
import * as GeminiTokens from "./internal/server/gemini/tokens.js"
import * as Listener from "./internal/server/listener.js"
import * as Live from "./internal/server/live/front.js"
import type { Controls as LiveControlsShape } from "./internal/server/live/registry.js"
import * as NodeHttp from "./internal/server/nodeHttp.js"
import { refuse } from "./internal/server/upgrade.js"
import { defaultModelName } from "./RealtimeSessionSettings.js"

/**
 * A reply rule: when the last user text (or transcript) contains `match` (case-insensitive) or
 * matches the RegExp, the model answers with `reply`, or calls the function.
 *
 * @since 0.1.0
 * @category models
 */
export type ReplyRule = ReplyRuleShape

/**
 * Fault injection for tests of error handling, set when the server is made: frame faults
 * (`closeAfterEvents`, `nonJsonAfterEvents`, `unknownEventAfterEvents`, `delayMs`) and connection
 * faults (`refuseUpgrade`, `refuseReconnects`, `closeAfterEventsConnections`, `ignorePings`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults extends ConnectionFaults.FrameFaults, ConnectionFaults.ConnectionFaults {}

/**
 * Faults injected into a running server at the moment a test chooses: drop every connection now,
 * drop the next connections after N events, refuse the next K upgrade attempts or every one from
 * now on, leave pings unanswered; `clear` lifts them.
 *
 * @since 0.3.0
 * @category models
 */
export type RealtimeServerFaults = ConnectionFaults.RuntimeFaults

/**
 * Gemini-only events injected into a running server: `goAway` to every open Gemini connection
 * (each is then closed with 1011 once its time left has passed), forgetting every resumption
 * handle (a later resume is refused, as an expired handle is), and the count of open Gemini
 * connections.
 *
 * @since 0.4.0
 * @category models
 */
export type GeminiControls = GeminiControlsShape

/**
 * OpenAI Live-only operations on a running server: end every open Live session now with the
 * `session.closed` reason a test chooses (`connection_lost` by default; `expired`, `content`,
 * `remote_hangup`, `close_requested`), forget every stored session (a later fork of one gets
 * HTTP 404), and the count of open Live sessions.
 *
 * @since 0.4.0
 * @category models
 */
export type LiveControls = LiveControlsShape

/**
 * How the server behaves.
 *
 * @since 0.1.0
 * @category models
 */
export interface RealtimeServerOptions {
  /** The port; default: one the OS picks. The server always listens on 127.0.0.1. */
  readonly port?: number
  /**
   * When set, upgrades without this key (Bearer header or `openai-insecure-api-key.` sub-protocol)
   * or a live client secret get HTTP 401, and so do REST requests without it as a Bearer token.
   * With or without it, an `ek_…` client secret this server did not mint, or one that expired,
   * gets HTTP 401 (OpenAI Live connections alike). Gemini connections take it in `x-goog-api-key` or `?key=`: a wrong or missing
   * one is accepted, then closed with 1007 "API key not valid", as Google does; minting a Gemini
   * token needs it too. A constrained Gemini connection needs a live token this server minted.
   */
  readonly apiKey?: string | Redacted.Redacted<string>
  /** How many times faster than real time reply audio is sent. Default 1. */
  readonly speed?: number
  /** Milliseconds of audio per `response.output_audio.delta` (Gemini: per audio part). Default 100. */
  readonly chunkMs?: number
  /** Milliseconds of reply audio per character of reply text. Default 65. */
  readonly msPerChar?: number
  /** Reply rules, tried in order. */
  readonly rules?: ReadonlyArray<ReplyRule>
  /** The reply when no rule matches. Default: an answer that follows the question (see `answer`). */
  readonly defaultReply?: string
  /** The transcript of a committed user audio buffer (Gemini: of a user's audio turn). Default: a description of its length. */
  readonly transcribe?: (samples: Int16Array, ms: number) => string
  /**
   * The maximum duration of a session, on the Clock from the connection's start: then the server
   * sends the service's `error` (`session_expired`, "Your session hit the maximum duration of 60
   * minutes.") and closes with 1001 and that message. `session.created` reports it in `expires_at`
   * (epoch seconds); without a limit sessions never expire and `expires_at` is 0. A Gemini
   * connection is told `goAway` 10 seconds before the limit (or at once, for a shorter one), then
   * closed with 1011 "Deadline expired", as Google ends a connection's lifetime. A Live session
   * always has a limit (60 minutes without this option), given in `session.started`'s
   * `expires_at`, and ends there with `session.closed` (`expired`).
   */
  readonly sessionDurationLimit?: Duration.Input
  /** Faults to inject. */
  readonly faults?: Faults
}

/**
 * Where a SIP call stands: `ringing` until accepted or rejected; an accepted call is active until
 * it is referred elsewhere or hung up.
 *
 * @since 0.2.0
 * @category models
 */
export type CallStatus = Calls.CallStatus

/**
 * What the server knows of a call: its status, the session configuration it was accepted with
 * (as sent), the SIP status it was rejected with, where it was referred.
 *
 * @since 0.2.0
 * @category models
 */
export type CallInfo = Calls.CallInfo

/**
 * A running embedded server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RealtimeServer {
  /** The WebSocket URL to connect to, e.g. `ws://127.0.0.1:PORT/v1/realtime`. */
  readonly url: string
  readonly port: number
  /** Every client frame received so far, across connections, as text. */
  readonly received: Effect.Effect<ReadonlyArray<string>>
  /** Connections open now. */
  readonly connections: Effect.Effect<number>
  /** WebSocket upgrade attempts seen so far, refused ones included. */
  readonly connectionAttempts: Effect.Effect<number>
  /** Connections accepted (upgraded) so far. */
  readonly connectionsAccepted: Effect.Effect<number>
  /** Faults to inject now (see `RealtimeServerFaults`); they apply to both protocols' connections. */
  readonly faults: RealtimeServerFaults
  /**
   * Gemini Live's WebSocket URL here, `ws://127.0.0.1:PORT/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent`.
   *
   * @since 0.4.0
   */
  readonly geminiUrl: string
  /**
   * The base URL of Gemini's API here, `http://127.0.0.1:PORT`: the `apiUrl` of `GeminiAuthTokens`,
   * and the `httpOptions.baseUrl` of Google's own client.
   *
   * @since 0.4.0
   */
  readonly geminiApiUrl: string
  /**
   * Gemini-only events to inject now (see `GeminiControls`).
   *
   * @since 0.4.0
   */
  readonly gemini: GeminiControls
  /**
   * OpenAI Live's WebSocket URL here, `ws://127.0.0.1:PORT/v1/live/sessions` (a stored session's
   * fork is at `…/v1/live/sessions/<id>/fork`).
   *
   * @since 0.4.0
   */
  readonly liveUrl: string
  /**
   * OpenAI Live-only operations (see `LiveControls`).
   *
   * @since 0.4.0
   */
  readonly live: LiveControls
  /** The REST API's base URL, e.g. `http://127.0.0.1:PORT/v1`, as the `apiUrl` of `OpenAICalls` and `OpenAIClientSecrets`. */
  readonly apiUrl: string
  /**
   * Rings an incoming SIP call (with this id, else a new `rtc_…` one) and returns its id; the
   * application then accepts or rejects it through the Calls operations.
   */
  readonly incomingCall: (callId?: string) => Effect.Effect<string>
  /** The WebSocket URL of an accepted call, to `connect({ url, callId })` to. */
  readonly callUrl: (callId: string) => string
  /** What the server knows of a call; none for a call it never rang. */
  readonly call: (callId: string) => Effect.Effect<Option.Option<CallInfo>>
  /**
   * Sends DTMF digits (`0`-`9`, `*`, `#`, `A`-`D`) on every connection attached to the call, one
   * `input_audio_buffer.dtmf_event_received` per digit; fails when the digits are not keypad keys
   * or no connection is attached.
   */
  readonly sendDtmf: (callId: string, digits: string) => Effect.Effect<void, RealtimeServerError>
}

/**
 * The server could not start (for example, the port is taken).
 *
 * @since 0.1.0
 * @category errors
 */
export class RealtimeServerError extends Schema.TaggedError<RealtimeServerError>()("RealtimeServerError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The running server as a service: the tag shares the interface's name, as Effect's own services do.
 *
 * @since 0.4.0
 * @category services
 */
export const RealtimeServer: Context.Service<RealtimeServer, RealtimeServer> = Context.Service<RealtimeServer>(
  "effect-realtime/RealtimeServer"
)

/**
 * The answer to the offline demo's question (about the northern lights).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultReply = Answers.northernLights

/**
 * The server's reply to a question when no rule matches and no `defaultReply` is configured:
 * deterministic, and different for different questions (it names the question's topic).
 *
 * @since 0.1.0
 * @category constants
 */
export const answer: (question: string) => string = Answers.answer

/**
 * Starts the server on 127.0.0.1; it stops when the Scope closes: connections dropped, their
 * fibers interrupted, the port released.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: RealtimeServerOptions
) => Effect.Effect<RealtimeServer, RealtimeServerError, Scope.Scope> = Effect.fn("RealtimeServer.make")(
  function*(options: RealtimeServerOptions = {}) {
    const durationLimit = options.sessionDurationLimit === undefined
      ? undefined
      : yield* Effect.fromOption(
        Duration.fromInput(options.sessionDurationLimit),
        () => new RealtimeServerError({ message: "sessionDurationLimit is not a duration" })
      )
    const received = yield* Ref.make(Chunk.empty<string>())
    const open = yield* Ref.make(0)
    const nextId = yield* Core.makeIds
    const key = Core.keyOf(options.apiKey)

    // released last: drops every client socket, then closes the listening socket
    const listener = yield* Listener.make

    // released first: interrupts every connection's fibers
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()

    const faults = yield* ConnectionFaults.make(options.faults ?? {}, listener.dropAll)
    const calls = yield* Calls.make(key)
    const secrets = yield* ClientSecrets.make({ key, model: defaultModelName, nextId })
    const shared: Connection.Shared = {
      received,
      open,
      calls,
      defaultModel: defaultModelName,
      session: { ...Core.settingsOf(options, nextId), durationLimit }
    }
    const gemini = yield* Gemini.make({ key, shared, settings: shared.session })
    const live = yield* Live.make({ key, verify: secrets.verify, shared, settings: shared.session })
    const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const path = new URL(request.url, "http://127.0.0.1").pathname
      return path === ClientSecrets.path
        ? secrets.app
        : GeminiTokens.paths.includes(path)
        ? gemini.tokens.app
        : calls.app
    })
    /** Takes over an upgrade, counted; its session starts now, before the client can know it is connected. */
    const accept = (
      request: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      serve: (ws: WebSocket, closeAfterEvents: number | undefined, startedAt: number) => Effect.Effect<void>
    ) =>
      Effect.map(
        Clock.currentTimeMillis,
        (startedAt) =>
          listener.accept(request, socket, head, faults.pingsIgnored, (ws) => {
            runFork(Effect.flatMap(faults.onAccept, (closeAfterEvents) => serve(ws, closeAfterEvents, startedAt)))
          })
      )

    /**
     * Upgrades a WebSocket request: Live's paths to the Live front-end, Gemini's to the Gemini
     * front-end, any other to the OpenAI Realtime one; each checks what it needs.
     */
    const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      Effect.gen(function*() {
        const refused = yield* faults.onAttempt
        if (Option.isSome(refused)) return refuse(socket, refused.value)
        const path = Gemini.requestUrl(request).pathname
        const routed = Option.getOrUndefined(yield* live.route(request, path)) ??
          Option.getOrUndefined(gemini.route(request, path)) ??
          (yield* Connection.route(shared, request, secrets.verify, key))
        return routed._tag === "Refused"
          ? refuse(socket, routed.status)
          : yield* accept(request, socket, head, routed.serve)
      })

    const port = yield* Effect.mapError(
      listener.listen(options.port ?? 0, {
        request: (request, response) => runFork(NodeHttp.serve(app, request, response)),
        upgrade: (request, socket, head) => runFork(upgrade(request, socket, head))
      }),
      (cause) => new RealtimeServerError({ message: `could not listen on 127.0.0.1: ${cause.message}`, cause })
    )
    yield* Effect.logDebug("embedded realtime server listening").pipe(Effect.annotateLogs({ port }))
    const url = `ws://127.0.0.1:${port}/v1/realtime`
    const server: RealtimeServer = {
      url,
      port,
      received: Effect.map(Ref.get(received), Chunk.toReadonlyArray),
      connections: Ref.get(open),
      connectionAttempts: faults.attempts,
      connectionsAccepted: faults.accepted,
      faults: faults.runtime,
      geminiUrl: `ws://127.0.0.1:${port}${Gemini.livePath}`,
      geminiApiUrl: `http://127.0.0.1:${port}`,
      gemini: gemini.registry.controls,
      liveUrl: `ws://127.0.0.1:${port}${Live.sessionsPath}`,
      live: live.registry.controls,
      apiUrl: `http://127.0.0.1:${port}/v1`,
      incomingCall: (callId) =>
        Effect.gen(function*() {
          const id = callId ?? (yield* nextId("rtc"))
          yield* calls.ring(id)
          return id
        }),
      callUrl: (callId) => `${url}?call_id=${encodeURIComponent(callId)}`,
      call: calls.info,
      sendDtmf: (callId, digits) =>
        Effect.mapError(calls.sendDtmf(callId, digits), (message) => new RealtimeServerError({ message }))
    }
    return server
  }
)

/**
 * A layer running the server for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RealtimeServerOptions = {}): Layer.Layer<RealtimeServer, RealtimeServerError> =>
  Layer.effect(RealtimeServer, make(options))
