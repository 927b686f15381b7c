/**
 * What the REST clients of OpenAI's API (`OpenAICalls`, `OpenAIClientSecrets`) share: the
 * authorized `HttpClient` (base URL, Bearer key, organization and project headers, all kept out of
 * logs and spans), how an HTTP status maps to a failure, what an `{ error }` answer says, and the
 * cause of a transport failure (never the request, whose headers hold the key).
 */
import { Config, Effect, Option, Redacted, Schema } from "effect"
import { Headers, HttpClient, HttpClientRequest } from "effect/http"
import type { HttpClientError, HttpClientResponse } from "effect/http"

/**
 * The API's endpoint when the options name none.
 *
 * @category constants
 */
export const defaultApiUrl = "https://api.openai.com/v1"

/**
 * How to reach the API.
 *
 * @category models
 */
export interface ApiOptions {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiUrl?: string | undefined
  readonly organizationId?: Redacted.Redacted<string> | undefined
  readonly projectId?: Redacted.Redacted<string> | undefined
}

/**
 * The options with their key: the one given, else `OPENAI_API_KEY` through `Config` (for the
 * `layerConfig` of the REST helpers).
 *
 * @category constructors
 */
export const withConfiguredKey = <O extends ApiOptions>(
  options: Omit<O, "apiKey"> & { readonly apiKey?: Redacted.Redacted<string> | undefined }
): Effect.Effect<O, Config.ConfigError> =>
  Effect.gen(function*() {
    const apiKey = options.apiKey ?? (yield* Config.Redacted("OPENAI_API_KEY"))
    return { ...options, apiKey } as O
  })

/**
 * The client's requests take paths under the API's URL and carry the key (and the organization
 * and project, when given).
 *
 * @category constructors
 */
export const authorized = (base: HttpClient.HttpClient, options: ApiOptions): HttpClient.HttpClient =>
  HttpClient.mapRequest(base, (request) => {
    const withKey = HttpClientRequest.bearerToken(
      HttpClientRequest.prependUrl(request, (options.apiUrl ?? defaultApiUrl).replace(/\/+$/, "")),
      Redacted.value(options.apiKey)
    )
    const withOrganization = options.organizationId === undefined
      ? withKey
      : HttpClientRequest.setHeader(withKey, "OpenAI-Organization", Redacted.value(options.organizationId))
    return options.projectId === undefined
      ? withOrganization
      : HttpClientRequest.setHeader(withOrganization, "OpenAI-Project", Redacted.value(options.projectId))
  })

/**
 * Runs a request with the organization and project headers redacted wherever headers are shown.
 *
 * @category combinators
 */
export const redactingHeaders = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.updateService(
    effect,
    Headers.CurrentRedactedNames,
    (names) => [...names, "openai-organization", "openai-project"]
  )

/**
 * The failures an HTTP status tells apart.
 *
 * @category models
 */
export type StatusFailure = "Unauthorized" | "NotFound" | "InvalidRequest" | "RateLimited" | "ServerError"

/**
 * Why a REST operation failed, whichever it is: settings that do not decode (nothing was sent),
 * the HTTP status class the API answered with, or `Transport` when no answer came.
 *
 * @category errors
 */
export const requestFailures = [
  "InvalidSettings",
  "Unauthorized",
  "NotFound",
  "InvalidRequest",
  "RateLimited",
  "ServerError",
  "Transport"
] as const satisfies ReadonlyArray<StatusFailure | "InvalidSettings" | "Transport">

/**
 * The failure an HTTP status (not 2xx) stands for.
 *
 * @category errors
 */
export const failureOf = (status: number): StatusFailure =>
  status === 401 || status === 403
    ? "Unauthorized"
    : status === 404
    ? "NotFound"
    : status === 429
    ? "RateLimited"
    : status >= 500
    ? "ServerError"
    : "InvalidRequest"

/**
 * What a non-2xx answer says: its status, the API's message (else the start of the body), error
 * type and code.
 *
 * @category models
 */
export interface StatusDetails {
  readonly status: number
  readonly reason: StatusFailure
  readonly detail: string | undefined
  readonly errorType: string | undefined
  readonly code: string | undefined
}

const ApiErrorBody = Schema.fromJsonString(Schema.Struct({
  error: Schema.Struct({
    message: Schema.optional(Schema.NullOr(Schema.String)),
    type: Schema.optional(Schema.NullOr(Schema.String)),
    code: Schema.optional(Schema.NullOr(Schema.String))
  })
}))
const decodeApiError = Schema.decodeUnknownOption(ApiErrorBody)

/**
 * Reads a non-2xx answer.
 *
 * @category errors
 */
export const statusDetails = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<StatusDetails> =>
  Effect.map(Effect.orElseSucceed(response.text, () => ""), (text) => {
    const body = Option.map(decodeApiError(text), (decoded) => decoded.error)
    const field = (get: (error: typeof ApiErrorBody.Type["error"]) => string | null | undefined) =>
      Option.getOrUndefined(Option.flatMap(body, (error) => Option.fromNullishOr(get(error))))
    return {
      status: response.status,
      reason: failureOf(response.status),
      detail: field((error) => error.message) ?? (text.trim() === "" ? undefined : text.trim().slice(0, 500)),
      errorType: field((error) => error.type),
      code: field((error) => error.code)
    }
  })

const describe = (cause: unknown): string | undefined =>
  cause instanceof Error
    ? cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message
    : undefined

/**
 * A transport failure's own cause and a readable detail of it; never the request.
 *
 * @category errors
 */
export const transportDetails = (
  error: HttpClientError.HttpClientError
): { readonly detail: string; readonly cause: unknown } => {
  const cause = "cause" in error.reason ? error.reason.cause : undefined
  return { detail: describe(cause) ?? error.reason._tag, cause: cause ?? error.reason._tag }
}
