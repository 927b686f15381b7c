/**
 * Ephemeral tokens for browser apps on Gemini Live. A browser page must never hold the real API
 * key: your server mints a short-lived token (`auth_tokens/…`, `POST /v1alpha/auth_tokens`) with
 * the key, hands the token to the page, and the page connects with it (the constrained
 * `BidiGenerateContentConstrained` endpoint, the token as `access_token`). The token opens new
 * sessions `uses` times (1 by default) until `newSessionExpiresAt`, and no session it opened goes on
 * past `expiresAt`; resuming a session it opened uses none.
 *
 * Requests go through Effect's `HttpClient`, which the application provides (e.g.
 * `FetchHttpClient.layer`); the API key and the minted token are `Redacted`.
 *
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { GeminiAuthTokens } from "effect-realtime"
 *
 * const mint = Effect.gen(function*() {
 *   const tokens = yield* GeminiAuthTokens.GeminiAuthTokens
 *   const token = yield* tokens.create({ newSessionsFor: "1 minute", expiresAfter: "30 minutes" })
 *   // answer the page with these two
 *   return { token: Redacted.value(token.name), expiresAt: token.expiresAt }
 * }).pipe(Effect.provide(GeminiAuthTokens.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
 * ```
 *
 * @since 0.4.0
 */
import { Clock, Config, Context, DateTime, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Headers, HttpBody, HttpClient, HttpClientRequest } from "effect/http"
import type { HttpClientResponse } from "effect/http"
import * as Api from "./internal/openaiApi.js"

/**
 * Why minting failed: options that are not valid (nothing was sent), the HTTP status class the
 * API answered with (a key Google calls not valid is `Unauthorized`, whatever its status),
 * `Transport` when no answer came, or `InvalidResponse` when the answer was not a token.
 *
 * @since 0.4.0
 * @category models
 */
export const AuthTokenFailure = Schema.Literals([...Api.requestFailures, "InvalidResponse"])
/**
 * @since 0.4.0
 * @category models
 */
export type AuthTokenFailure = typeof AuthTokenFailure.Type

/**
 * Minting a token failed. `status` and `googleStatus` (e.g. `INVALID_ARGUMENT`) and the message
 * come from the API's answer when there was one; `cause` keeps the transport failure or the
 * answer's decoding issue otherwise.
 *
 * @since 0.4.0
 * @category errors
 */
export class AuthTokenError extends Schema.TaggedError<AuthTokenError>()("AuthTokenError", {
  reason: AuthTokenFailure,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  googleStatus: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * What to mint.
 *
 * @since 0.4.0
 * @category models
 */
export interface CreateOptions {
  /** How many new sessions the token opens; 0 for no limit. Default 1 (the API's). */
  readonly uses?: number | undefined
  /** How long the token opens new sessions. Default 1 minute (the API's). */
  readonly newSessionsFor?: Duration.Input | undefined
  /** How long the sessions it opens may last. Default 30 minutes (the API's); less than 20 hours. */
  readonly expiresAfter?: Duration.Input | undefined
}

/**
 * A minted token.
 *
 * @since 0.4.0
 * @category models
 */
export interface AuthToken {
  /** The token (`auth_tokens/…`): the page's `access_token`. */
  readonly name: Redacted.Redacted<string>
  /** When it stops opening new sessions. */
  readonly newSessionExpiresAt: DateTime.Utc
  /** When the sessions it opened end. */
  readonly expiresAt: DateTime.Utc
  /** How many sessions it opens (0: no limit). */
  readonly uses: number
}

/**
 * The service's operations.
 *
 * @since 0.4.0
 * @category models
 */
export interface GeminiAuthTokensService {
  /** Mints a token. */
  readonly create: (options?: CreateOptions) => Effect.Effect<AuthToken, AuthTokenError>
}

/**
 * The auth tokens client.
 *
 * @since 0.4.0
 * @category services
 */
export class GeminiAuthTokens extends Context.Service<GeminiAuthTokens, GeminiAuthTokensService>()(
  "effect-realtime/GeminiAuthTokens"
) {}

/**
 * How to reach the API: the real key stays on your server.
 *
 * @since 0.4.0
 * @category models
 */
export interface GeminiAuthTokensOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** Defaults to `https://generativelanguage.googleapis.com` (the path `/v1alpha/auth_tokens` is added). */
  readonly apiUrl?: string | undefined
}

/**
 * Google's API endpoint.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultApiUrl = "https://generativelanguage.googleapis.com"

const CreateResponse = Schema.fromJsonString(Schema.Struct({
  name: Schema.String.check(Schema.isStartingWith("auth_tokens/"))
}))
const decodeResponse = Schema.decodeUnknownEffect(CreateResponse)

const GoogleErrorBody = Schema.fromJsonString(Schema.Struct({
  error: Schema.Struct({ message: Schema.optional(Schema.String), status: Schema.optional(Schema.String) })
}))
const decodeGoogleError = Schema.decodeUnknownOption(GoogleErrorBody)

const transport = (error: Parameters<typeof Api.transportDetails>[0]) => {
  const { cause, detail } = Api.transportDetails(error)
  return new AuthTokenError({ reason: "Transport", message: `minting a token failed: ${detail}`, cause })
}

/** A non-2xx answer, read in Google's error shape (`{ error: { code, message, status } }`). */
const statusError = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) => {
    const body = Option.getOrUndefined(Option.map(decodeGoogleError(text), (decoded) => decoded.error))
    const detail = body?.message ?? (text.trim() === "" ? undefined : text.trim().slice(0, 500))
    const keyRefused = /api key not valid/i.test(detail ?? "")
    return Effect.fail(
      new AuthTokenError({
        reason: keyRefused ? "Unauthorized" : Api.failureOf(response.status),
        status: response.status,
        message: `minting a token failed with HTTP ${response.status}${detail === undefined ? "" : `: ${detail}`}`,
        ...(body?.status !== undefined ? { googleStatus: body.status } : {})
      })
    )
  })

/** A duration option in milliseconds, its default when absent; refused when it is not a duration. */
const millisOf = (name: string, input: Duration.Input | undefined, fallback: number) => {
  if (input === undefined) return Effect.succeed(fallback)
  const duration = Duration.fromInput(input)
  return Option.isSome(duration)
    ? Effect.succeed(Duration.toMillis(duration.value))
    : Effect.fail(
      new AuthTokenError({ reason: "InvalidSettings", message: `no token was asked for: ${name} is not a duration` })
    )
}

/**
 * Builds the service over the `HttpClient` in context.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (
  options: GeminiAuthTokensOptions
): Effect.Effect<GeminiAuthTokensService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const base = (options.apiUrl ?? defaultApiUrl).replace(/\/+$/, "")
    const client = HttpClient.mapRequest(
      yield* HttpClient.HttpClient,
      (request) =>
        HttpClientRequest.setHeader(
          HttpClientRequest.prependUrl(request, base),
          "x-goog-api-key",
          Redacted.value(options.apiKey)
        )
    )
    return GeminiAuthTokens.of({
      create: (createOptions = {}) =>
        Effect.gen(function*() {
          const uses = createOptions.uses ?? 1
          if (!Number.isInteger(uses) || uses < 0) {
            return yield* new AuthTokenError({
              reason: "InvalidSettings",
              message: `no token was asked for: uses must be a whole number, 0 or more (${uses})`
            })
          }
          const newSessionsMs = yield* millisOf("newSessionsFor", createOptions.newSessionsFor, 60_000)
          const expiresMs = yield* millisOf("expiresAfter", createOptions.expiresAfter, 30 * 60_000)
          const now = yield* Clock.currentTimeMillis
          const newSessionExpiresAt = DateTime.makeUnsafe(now + newSessionsMs)
          const expiresAt = DateTime.makeUnsafe(now + expiresMs)
          const body = {
            uses,
            expireTime: DateTime.formatIso(expiresAt),
            newSessionExpireTime: DateTime.formatIso(newSessionExpiresAt)
          }
          const response = yield* Effect.mapError(
            client.execute(HttpClientRequest.post("/v1alpha/auth_tokens", { body: HttpBody.jsonUnsafe(body) })),
            transport
          )
          if (response.status < 200 || response.status >= 300) return yield* statusError(response)
          const text = yield* Effect.mapError(response.text, transport)
          // a decoding issue never quotes the body: it may hold the token
          const decoded = yield* Effect.mapError(decodeResponse(text), () =>
            new AuthTokenError({
              reason: "InvalidResponse",
              status: response.status,
              message: `minting a token failed: the answer (HTTP ${response.status}) is not an auth token`
            }))
          const token: AuthToken = {
            name: Redacted.make(decoded.name, { label: "GeminiAuthToken" }),
            newSessionExpiresAt,
            expiresAt,
            uses
          }
          return token
        }).pipe(
          Effect.withSpan("GeminiAuthTokens.create"),
          Effect.updateService(Headers.CurrentRedactedNames, (names) => [...names, "x-goog-api-key"])
        )
    })
  })

/**
 * The service as a Layer; it needs an `HttpClient` layer (e.g. `FetchHttpClient.layer`).
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: GeminiAuthTokensOptions): Layer.Layer<GeminiAuthTokens, never, HttpClient.HttpClient> =>
  Layer.effect(GeminiAuthTokens, make(options))

/**
 * The API key from `GEMINI_API_KEY`, else `GOOGLE_API_KEY`, through `Config`.
 *
 * @since 0.4.0
 * @category constants
 */
export const apiKeyConfig: Config.Config<Redacted.Redacted<string>> = Config.Redacted("GEMINI_API_KEY").pipe(
  Config.orElse(() => Config.Redacted("GOOGLE_API_KEY"))
)

/**
 * The service as a Layer whose key comes from `GEMINI_API_KEY` (then `GOOGLE_API_KEY`) through
 * `Config` unless given.
 *
 * @since 0.4.0
 * @category layers
 */
export const layerConfig = (
  options: Partial<GeminiAuthTokensOptions> = {}
): Layer.Layer<GeminiAuthTokens, Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    GeminiAuthTokens,
    Effect.gen(function*() {
      const apiKey = options.apiKey ?? (yield* apiKeyConfig)
      return yield* make({ ...options, apiKey })
    })
  )
