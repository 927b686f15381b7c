/**
 * The Realtime Calls REST operations a SIP application needs: accept an incoming call (with the
 * session's settings), reject it, transfer it (SIP REFER) and hang it up. Requests go through
 * Effect's `HttpClient`, which the application provides (e.g. `FetchHttpClient.layer`); the API key
 * is `Redacted` and appears in no log, span or error.
 *
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OpenAICalls } from "effect-realtime"
 *
 * // the call id of the incoming call's `realtime.call.incoming` webhook
 * declare const callId: string
 *
 * const program = Effect.gen(function*() {
 *   const calls = yield* OpenAICalls.OpenAICalls
 *   yield* calls.accept(callId, { instructions: "Greet the caller." })
 * }).pipe(Effect.provide(OpenAICalls.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
 * ```
 *
 * @since 0.2.0
 */
import { type Config, Context, Effect, Layer, type Redacted, Schema } from "effect"
import { HttpBody, HttpClient, HttpClientRequest } from "effect/http"
import type { HttpClientError, HttpClientResponse } from "effect/http"
import * as Api from "./internal/openaiApi.js"
import { sessionToWire } from "./internal/protocol/session.js"
import type { RealtimeSessionSettingsInput } from "./RealtimeSessionSettings.js"
import { defaultModelName, RealtimeSessionSettings } from "./RealtimeSessionSettings.js"

/**
 * The Calls operations.
 *
 * @since 0.2.0
 * @category models
 */
export const CallOperation = Schema.Literals(["accept", "reject", "refer", "hangup"])
/**
 * @since 0.2.0
 * @category models
 */
export type CallOperation = typeof CallOperation.Type

/**
 * Why a Calls operation failed: settings that do not decode (nothing was sent), the HTTP status
 * class the API answered with, or `Transport` when no answer came.
 *
 * @since 0.2.0
 * @category models
 */
export const CallFailure = Schema.Literals(Api.requestFailures)
/**
 * @since 0.2.0
 * @category models
 */
export type CallFailure = typeof CallFailure.Type

/**
 * A Calls operation failed. `status`, `errorType`, `code` and the message come from the API's
 * answer when there was one; `cause` keeps the transport failure otherwise.
 *
 * @since 0.2.0
 * @category errors
 */
export class RealtimeCallError extends Schema.TaggedError<RealtimeCallError>()("RealtimeCallError", {
  operation: CallOperation,
  callId: Schema.String,
  reason: CallFailure,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  errorType: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * How a rejected call is answered: the SIP status code (the API's default is 603 Decline).
 *
 * @since 0.2.0
 * @category models
 */
export interface RejectOptions {
  readonly statusCode?: number | undefined
}

/**
 * The service's operations. Each succeeds with `void` when the API answers 2xx.
 *
 * @since 0.2.0
 * @category models
 */
export interface OpenAICallsService {
  /**
   * Accepts an incoming call and configures its session. The settings are decoded (every audio
   * format spelling accepted) and only those given are sent, with the model (`defaultModelName`
   * when none is named); a model attached by `callId` sends the library's defaults in its first
   * `session.update`.
   */
  readonly accept: (callId: string, settings?: RealtimeSessionSettingsInput) => Effect.Effect<void, RealtimeCallError>
  /** Declines an incoming call. */
  readonly reject: (callId: string, options?: RejectOptions) => Effect.Effect<void, RealtimeCallError>
  /** Transfers an active call to `targetUri` (`tel:+14155550123`, `sip:agent@example.com`). */
  readonly refer: (callId: string, targetUri: string) => Effect.Effect<void, RealtimeCallError>
  /** Ends an active call. */
  readonly hangup: (callId: string) => Effect.Effect<void, RealtimeCallError>
}

/**
 * The Realtime Calls client.
 *
 * @since 0.2.0
 * @category services
 */
export class OpenAICalls extends Context.Service<OpenAICalls, OpenAICallsService>()("effect-realtime/OpenAICalls") {}

/**
 * How to reach the API.
 *
 * @since 0.2.0
 * @category models
 */
export interface OpenAICallsOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** Defaults to `https://api.openai.com/v1`. */
  readonly apiUrl?: string | undefined
  readonly organizationId?: Redacted.Redacted<string> | undefined
  readonly projectId?: Redacted.Redacted<string> | undefined
}

/**
 * The API's endpoint when the options name none.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultApiUrl: string = Api.defaultApiUrl

const decodeSettings = Schema.decodeUnknownEffect(RealtimeSessionSettings)

const statusError = (operation: CallOperation, callId: string, response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(Api.statusDetails(response), (details) =>
    Effect.fail(
      new RealtimeCallError({
        operation,
        callId,
        reason: details.reason,
        status: details.status,
        message: `${operation} of call ${callId} failed with HTTP ${details.status}${
          details.detail === undefined ? "" : `: ${details.detail}`
        }`,
        ...(details.errorType !== undefined ? { errorType: details.errorType } : {}),
        ...(details.code !== undefined ? { code: details.code } : {})
      })
    ))

/** A transport failure keeps its own cause, never the request (whose headers hold the key). */
const transportError = (operation: CallOperation, callId: string, error: HttpClientError.HttpClientError) => {
  const { cause, detail } = Api.transportDetails(error)
  return new RealtimeCallError({
    operation,
    callId,
    reason: "Transport",
    message: `${operation} of call ${callId} failed: ${detail}`,
    cause
  })
}

/**
 * Builds the service over the `HttpClient` in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: OpenAICallsOptions): Effect.Effect<OpenAICallsService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = Api.authorized(yield* HttpClient.HttpClient, options)

    const post = (operation: CallOperation, callId: string, body: Record<string, unknown> | undefined) =>
      client.execute(
        HttpClientRequest.post(
          `/realtime/calls/${encodeURIComponent(callId)}/${operation}`,
          body !== undefined ? { body: HttpBody.jsonUnsafe(body) } : {}
        )
      ).pipe(
        Effect.mapError((error) => transportError(operation, callId, error)),
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300 ? Effect.void : statusError(operation, callId, response)
        ),
        Effect.withSpan(`OpenAICalls.${operation}`, { attributes: { "realtime.call_id": callId } }),
        Api.redactingHeaders
      )

    return OpenAICalls.of({
      accept: (callId, input = {}) =>
        Effect.flatMap(
          Effect.mapError(decodeSettings(input), (issue) =>
            new RealtimeCallError({
              operation: "accept",
              callId,
              reason: "InvalidSettings",
              message: `accept of call ${callId} was not sent: invalid settings: ${issue.message}`,
              cause: issue
            })),
          (settings) =>
            post("accept", callId, { ...sessionToWire(settings, false), model: settings.modelName ?? defaultModelName })
        ),
      reject: (callId, rejectOptions = {}) =>
        post("reject", callId, rejectOptions.statusCode === undefined ? {} : { status_code: rejectOptions.statusCode }),
      refer: (callId, targetUri) => post("refer", callId, { target_uri: targetUri }),
      hangup: (callId) => post("hangup", callId, undefined)
    })
  })

/**
 * The service as a Layer; it needs an `HttpClient` layer (e.g. `FetchHttpClient.layer`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: OpenAICallsOptions): Layer.Layer<OpenAICalls, never, HttpClient.HttpClient> =>
  Layer.effect(OpenAICalls, make(options))

/**
 * The service as a Layer whose key comes from `OPENAI_API_KEY` (through `Config`) unless given.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Partial<OpenAICallsOptions> = {}
): Layer.Layer<OpenAICalls, Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(OpenAICalls, Effect.flatMap(Api.withConfiguredKey<OpenAICallsOptions>(options), make))
