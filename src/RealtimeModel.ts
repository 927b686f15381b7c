/**
 * The realtime model contract: a live, bidirectional connection to a speech model. Listeners are
 * Streams, the connection lives as long as its Scope.
 *
 * @since 0.1.0
 */
import { Cause, Context, Effect, Option, Redacted, Stream } from "effect"
import type { Fiber, Scope } from "effect"
import type { PlaybackState, PlaybackTrackerService } from "./PlaybackTracker.js"
import { RealtimeConnectError } from "./RealtimeError.js"
import type { RealtimeSendError } from "./RealtimeError.js"
import type { ConnectionStatus, RealtimeModelEvent } from "./RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "./RealtimeModelSendEvent.js"
import type { RealtimeSessionSettingsInput } from "./RealtimeSessionSettings.js"

/**
 * Where the API key comes from: a plain string, a `Redacted` string, or an Effect producing either
 * (read from a vault, minted as an ephemeral client secret, …). When a connection gives none, the
 * model's own layer decides (`OpenAIRealtime` falls back to `OPENAI_API_KEY`, through `Config`).
 *
 * @since 0.1.0
 * @category models
 */
export type ApiKeySource =
  | string
  | Redacted.Redacted<string>
  | Effect.Effect<string | Redacted.Redacted<string>, unknown>

/**
 * How events are buffered for each listener.
 * - `"unbounded"` (default): a listener never loses an event and never slows the others; a listener
 *   that stops draining holds memory until it is removed (its scope closes).
 * - `{ capacity }`: about `capacity` undelivered events per listener (one frame's events may run
 *   over); while one is full the connection stops processing server frames (backpressure) and logs
 *   one warning per stall, so nothing is lost silently. Sends and `close` are not held up.
 *
 * Either way a listener's stream ends after `EndOfStream`, and the listener then holds nothing.
 *
 * @since 0.1.0
 * @category models
 */
export type ListenerBuffer = "unbounded" | { readonly capacity: number }

/**
 * Options for one connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface RealtimeModelConfig {
  /** This connection's API key; without one, the model's layer supplies its default (if any). */
  readonly apiKey?: ApiKeySource
  /** The WebSocket URL; defaults to the provider's endpoint for the configured model. */
  readonly url?: string
  /** Extra (or replacement) handshake headers; values may be `Redacted`. */
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted<string>>>
  /** The settings sent when the connection opens. */
  readonly initialSettings?: RealtimeSessionSettingsInput
  /**
   * Your own playback tracker, when audio is not played as it arrives at realtime speed. Without
   * one the model assumes playback starts with the first audio chunk of an item.
   */
  readonly playbackTracker?: PlaybackTrackerService
  /**
   * Attach to a call the provider already holds (a phone call over SIP, say) instead of starting a
   * new session; with OpenAI, a call accepted through `OpenAICalls`. A model whose provider has no
   * calls fails the connect with `InvalidConfig`.
   */
  readonly callId?: string
}

/**
 * What a conditional send's predicate sees: a read-only snapshot of the model's state, taken at the
 * moment the event would be sent (see {@link RealtimeModelService.sendEventIf}).
 *
 * @since 0.1.0
 * @category models
 */
export interface RealtimeModelState {
  /** `connected`, or `disconnected` once the connection has ended (a send then fails). */
  readonly status: ConnectionStatus
  /** Whether a response is in flight: asked for and not yet done, or started by the server. */
  readonly responseInFlight: boolean
  /** The id of the response in flight, once the server has said which one it is. */
  readonly responseId: string | null
  /**
   * How many `response.create` wait for the response in flight to end. User inputs stacked while
   * a response is in flight share one, so this counts turns, not inputs.
   */
  readonly queuedResponses: number
  /** What is playing, as the playback tracker sees it. */
  readonly playback: PlaybackState
}

/**
 * The operations of a realtime model.
 *
 * @since 0.1.0
 * @category models
 */
export interface RealtimeModelService {
  /**
   * Opens the connection; it stays open until the surrounding Scope closes or `close` is called.
   * Fails with `AlreadyConnected` while a connection is open.
   */
  readonly connect: (config?: RealtimeModelConfig) => Effect.Effect<void, RealtimeConnectError, Scope.Scope>
  /**
   * Adds a listener: subscribes now (for as long as the Scope lives) and yields every later event
   * in order. The stream ends after `EndOfStream`, when the connection closes.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<RealtimeModelEvent>, never, Scope.Scope>
  /** Sends an event; fails (never hangs) when not connected, closed, or the event is invalid. */
  readonly sendEvent: (event: RealtimeModelSendEvent) => Effect.Effect<void, RealtimeSendError>
  /**
   * Sends an event only if `predicate` holds at the moment of sending, atomically: the predicate
   * sees the model's state as the event would find it, with no other send, frame or response
   * change in between. Succeeds with whether the event was sent; fails like `sendEvent` when not
   * connected, closed, or the event is invalid. The predicate must be quick and must not throw (a
   * throw is a defect of this call, not of the connection).
   */
  readonly sendEventIf: (
    event: RealtimeModelSendEvent,
    predicate: (state: RealtimeModelState) => boolean
  ) => Effect.Effect<boolean, RealtimeSendError>
  /** Closes the connection; listeners get `disconnected` then `EndOfStream`. Idempotent. */
  readonly close: Effect.Effect<void>
  /** The connection's current state. */
  readonly status: Effect.Effect<ConnectionStatus>
}

/**
 * The realtime model service.
 *
 * @since 0.1.0
 * @category services
 */
export class RealtimeModel extends Context.Service<RealtimeModel, RealtimeModelService>()(
  "effect-realtime/RealtimeModel"
) {}

/**
 * Runs `handler` for every event from now on, in a fiber that lives as long as the Scope (the
 * `add_listener` of other SDKs; closing the scope removes it). A failing handler is logged and the
 * listener goes on with the next event.
 *
 * @since 0.1.0
 * @category listeners
 */
export const listen = <E, R>(
  model: RealtimeModelService,
  handler: (event: RealtimeModelEvent) => Effect.Effect<void, E, R>
): Effect.Effect<Fiber.Fiber<void>, never, Scope.Scope | R> =>
  Effect.flatMap(model.subscribe, (events) =>
    Effect.forkScoped(
      Stream.runForEach(events, (event) =>
        Effect.catchCause(handler(event), (cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.interrupt
            : Effect.logError(`listener failed on ${event._tag}`, cause)))
    ))

/** A key that is empty (or only blanks) is no key. */
const nonEmpty = (key: string | Redacted.Redacted<string>): Option.Option<Redacted.Redacted<string>> => {
  const redacted = typeof key === "string" ? Redacted.make(key) : key
  return Redacted.value(redacted).trim().length === 0 ? Option.none() : Option.some(redacted)
}

/**
 * The API key of a source as a `Redacted`, or `None` when there is none (no source, or an empty
 * key: `apiKey: ""` is no key). Reads nothing from the environment: a model's layer supplies its
 * own default. Fails with `MissingApiKey` when a given effect fails, keeping its failure as the
 * cause.
 *
 * @since 0.1.0
 * @category credentials
 */
export const resolveApiKey = (
  source: ApiKeySource | undefined
): Effect.Effect<Option.Option<Redacted.Redacted<string>>, RealtimeConnectError> => {
  if (source === undefined) return Effect.succeed(Option.none())
  if (typeof source === "string" || Redacted.isRedacted(source)) return Effect.succeed(nonEmpty(source))
  return Effect.matchEffect(source, {
    onFailure: (cause) =>
      new RealtimeConnectError({
        reason: "MissingApiKey",
        message: "the effect given as apiKey failed, so there is no API key to connect with",
        cause
      }),
    onSuccess: (key) => Effect.succeed(nonEmpty(key))
  })
}
