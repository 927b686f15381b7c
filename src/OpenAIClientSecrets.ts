/**
 * Ephemeral client secrets for browser apps. A browser page must never hold the real API key:
 * your server mints a short-lived client secret (`ek_…`, `POST /v1/realtime/client_secrets`) with
 * the key, hands the secret's value to the page, and the page connects with it as its `apiKey`
 * (the browser WebSocket sends it as a sub-protocol). The secret opens new connections until it
 * expires; a session already open carries on.
 *
 * Requests go through Effect's `HttpClient`, which the application provides (e.g.
 * `FetchHttpClient.layer`); the API key and the minted secret are `Redacted`.
 *
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { OpenAIClientSecrets } from "effect-realtime"
 *
 * const mint = Effect.gen(function*() {
 *   const secrets = yield* OpenAIClientSecrets.OpenAIClientSecrets
 *   const secret = yield* secrets.create({ session: { instructions: "Be brief." }, expiresAfter: "1 minute" })
 *   // answer the page with these two
 *   return { clientSecret: Redacted.value(secret.value), expiresAt: secret.expiresAt }
 * }).pipe(Effect.provide(OpenAIClientSecrets.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
 * ```
 *
 * @since 0.2.0
 */
import { type Config, Context, DateTime, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { HttpBody, HttpClient, HttpClientRequest } from "effect/http"
import type { HttpClientResponse } from "effect/http"
import * as Api from "./internal/openaiApi.js"
import { sessionToWire } from "./internal/protocol/session.js"
import type { RealtimeSessionSettingsInput } from "./RealtimeSessionSettings.js"
import { defaultModelName, RealtimeSessionSettings } from "./RealtimeSessionSettings.js"

/**
 * Why minting failed: settings that do not decode (nothing was sent), the HTTP status class the
 * API answered with, `Transport` when no answer came, or `InvalidResponse` when the answer was
 * not a client secret.
 *
 * @since 0.2.0
 * @category models
 */
export const ClientSecretFailure = Schema.Literals([...Api.requestFailures, "InvalidResponse"])
/**
 * @since 0.2.0
 * @category models
 */
export type ClientSecretFailure = typeof ClientSecretFailure.Type

/**
 * Minting a client secret failed. `status`, `errorType`, `code` and the message come from the
 * API's answer when there was one; `cause` keeps the transport failure, the settings' or the
 * answer's decoding issue otherwise.
 *
 * @since 0.2.0
 * @category errors
 */
export class ClientSecretError extends Schema.TaggedError<ClientSecretError>()("ClientSecretError", {
  reason: ClientSecretFailure,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  errorType: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * What to mint.
 *
 * @since 0.2.0
 * @category models
 */
export interface CreateOptions {
  /**
   * The settings of the sessions the secret opens (a realtime session with `defaultModelName`
   * unless `modelName` says otherwise). The page may still change them with `session.update`.
   */
  readonly session?: RealtimeSessionSettingsInput | undefined
  /** How long the secret opens connections, in whole seconds: 10 seconds to 2 hours; the API's default is 10 minutes. */
  readonly expiresAfter?: Duration.Input | undefined
}

/**
 * A minted client secret.
 *
 * @since 0.2.0
 * @category models
 */
export interface ClientSecret {
  /** The secret (`ek_…`): the `apiKey` of the page's connection. */
  readonly value: Redacted.Redacted<string>
  /** When it stops opening connections. */
  readonly expiresAt: DateTime.Utc
  /** The id of the session the API created for the secret (`sess_…`), when it says. */
  readonly sessionId: string | undefined
  /** The model of that session, when it says. */
  readonly model: string | undefined
}

/**
 * The service's operations.
 *
 * @since 0.2.0
 * @category models
 */
export interface OpenAIClientSecretsService {
  /** Mints a client secret bound to the session settings given. */
  readonly create: (options?: CreateOptions) => Effect.Effect<ClientSecret, ClientSecretError>
}

/**
 * The client secrets client.
 *
 * @since 0.2.0
 * @category services
 */
export class OpenAIClientSecrets extends Context.Service<OpenAIClientSecrets, OpenAIClientSecretsService>()(
  "effect-realtime/OpenAIClientSecrets"
) {}

/**
 * How to reach the API: the real key stays on your server.
 *
 * @since 0.2.0
 * @category models
 */
export interface OpenAIClientSecretsOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** Defaults to `https://api.openai.com/v1`. */
  readonly apiUrl?: string | undefined
  readonly organizationId?: Redacted.Redacted<string> | undefined
  readonly projectId?: Redacted.Redacted<string> | undefined
}

/** The answer of `POST /v1/realtime/client_secrets`, as far as the library reads it. */
const CreateResponse = Schema.fromJsonString(Schema.Struct({
  value: Schema.String.check(Schema.isNonEmpty()),
  expires_at: Schema.Number.check(Schema.isFinite()),
  session: Schema.Struct({
    id: Schema.optional(Schema.NullOr(Schema.String)),
    model: Schema.optional(Schema.NullOr(Schema.String))
  })
}))
const decodeResponse = Schema.decodeUnknownEffect(CreateResponse)
const decodeSettings = Schema.decodeUnknownEffect(RealtimeSessionSettings)

const statusError = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(Api.statusDetails(response), (details) =>
    Effect.fail(
      new ClientSecretError({
        reason: details.reason,
        status: details.status,
        message: `minting a client secret failed with HTTP ${details.status}${
          details.detail === undefined ? "" : `: ${details.detail}`
        }`,
        ...(details.errorType !== undefined ? { errorType: details.errorType } : {}),
        ...(details.code !== undefined ? { code: details.code } : {})
      })
    ))

/** The answer's secret; a decoding issue never quotes the body (it may hold the secret). */
const secretOf = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function*() {
    const text = yield* Effect.mapError(response.text, (error) => {
      const { cause, detail } = Api.transportDetails(error)
      return new ClientSecretError({ reason: "Transport", message: `minting a client secret failed: ${detail}`, cause })
    })
    const decoded = yield* Effect.mapError(decodeResponse(text), () =>
      new ClientSecretError({
        reason: "InvalidResponse",
        status: response.status,
        message: `minting a client secret failed: the answer (HTTP ${response.status}) is not a client secret`
      }))
    const secret: ClientSecret = {
      value: Redacted.make(decoded.value, { label: "ClientSecret" }),
      expiresAt: DateTime.makeUnsafe(decoded.expires_at * 1000),
      sessionId: decoded.session.id ?? undefined,
      model: decoded.session.model ?? undefined
    }
    return secret
  })

/** The expiry in whole seconds, when one is given. */
const expirySeconds = (input: Duration.Input | undefined): Effect.Effect<number | undefined, ClientSecretError> => {
  if (input === undefined) return Effect.succeed(undefined)
  const duration = Duration.fromInput(input)
  return Option.isSome(duration)
    ? Effect.succeed(Math.round(Duration.toSeconds(duration.value)))
    : Effect.fail(
      new ClientSecretError({
        reason: "InvalidSettings",
        message: `no client secret was asked for: ${String(input)} is not a duration`
      })
    )
}

/** The request body: the session on the wire (with its type and model), and the expiry when given. */
const requestBody = (options: CreateOptions) =>
  Effect.gen(function*() {
    const settings = yield* Effect.mapError(decodeSettings(options.session ?? {}), (issue) =>
      new ClientSecretError({
        reason: "InvalidSettings",
        message: `no client secret was asked for: invalid settings: ${issue.message}`,
        cause: issue
      }))
    const seconds = yield* expirySeconds(options.expiresAfter)
    return {
      session: { ...sessionToWire(settings, false), model: settings.modelName ?? defaultModelName },
      ...(seconds === undefined ? {} : { expires_after: { anchor: "created_at", seconds } })
    }
  })

/**
 * Builds the service over the `HttpClient` in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: OpenAIClientSecretsOptions
): Effect.Effect<OpenAIClientSecretsService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = Api.authorized(yield* HttpClient.HttpClient, options)
    return OpenAIClientSecrets.of({
      create: (createOptions = {}) =>
        Effect.gen(function*() {
          const body = yield* requestBody(createOptions)
          const response = yield* client.execute(
            HttpClientRequest.post("/realtime/client_secrets", { body: HttpBody.jsonUnsafe(body) })
          ).pipe(
            Effect.mapError((error) => {
              const { cause, detail } = Api.transportDetails(error)
              return new ClientSecretError({
                reason: "Transport",
                message: `minting a client secret failed: ${detail}`,
                cause
              })
            })
          )
          if (response.status < 200 || response.status >= 300) return yield* statusError(response)
          return yield* secretOf(response)
        }).pipe(Effect.withSpan("OpenAIClientSecrets.create"), Api.redactingHeaders)
    })
  })

/**
 * The service as a Layer; it needs an `HttpClient` layer (e.g. `FetchHttpClient.layer`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: OpenAIClientSecretsOptions
): Layer.Layer<OpenAIClientSecrets, never, HttpClient.HttpClient> => Layer.effect(OpenAIClientSecrets, make(options))

/**
 * The service as a Layer whose key comes from `OPENAI_API_KEY` (through `Config`) unless given.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Partial<OpenAIClientSecretsOptions> = {}
): Layer.Layer<OpenAIClientSecrets, Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(OpenAIClientSecrets, Effect.flatMap(Api.withConfiguredKey<OpenAIClientSecretsOptions>(options), make))
