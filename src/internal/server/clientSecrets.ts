/**
 * The client secrets of the embedded server: `POST /v1/realtime/client_secrets` mints an `ek_…`
 * secret bound to a session configuration, which then opens WebSocket connections (as a Bearer
 * token or a sub-protocol key) until it expires; the connection's session starts from that
 * configuration, as the real service does. Time comes from the Clock, so a test can let a secret
 * expire with `TestClock`.
 */
import { Clock, Effect, Option, Random, Ref, Schema } from "effect"
import type { Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Session } from "../protocol/wire.js"
import { apiError, body, unauthorized } from "./api.js"
import { defaultSession, type Json, mergeSession } from "./objects.js"

/** The route's path. */
export const path = "/v1/realtime/client_secrets"

/** How long a secret lives when the request does not say (the API's default: 10 minutes). */
export const defaultExpirySeconds = 600

const CreateBody = Schema.Struct({
  expires_after: Schema.optional(Schema.Struct({
    anchor: Schema.optional(Schema.Literal("created_at")),
    seconds: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 10, maximum: 7200 })))
  })),
  session: Schema.optional(Schema.Struct({ ...Session.fields, type: Schema.Literal("realtime") }))
})

interface Minted {
  /** The session configuration as sent, applied to each connection the secret opens. */
  readonly session: Json
  /** Epoch milliseconds from which the secret opens nothing. */
  readonly expiresAt: number
}

/** The secrets one server minted, and the HTTP route minting them. */
export interface ClientSecrets {
  /** Answers `POST /v1/realtime/client_secrets`. */
  readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
  /** The session configuration of a secret this server minted that has not expired yet; none otherwise. */
  readonly verify: (secret: string) => Effect.Effect<Option.Option<Json>>
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/** A new secret value: `ek_` and 32 characters from `Random`. */
const newSecret = Effect.map(
  Effect.replicateEffect(Random.nextIntBetween(0, alphabet.length, { halfOpen: true }), 32),
  (indices) => `ek_${indices.map((index) => alphabet[index] ?? "0").join("")}`
)

/**
 * The registry of one server; minting needs `key` as a Bearer token when it is set. `model` is
 * the session's model when the request names none.
 */
export const make = (options: {
  readonly key: Redacted.Redacted<string> | undefined
  readonly model: string
  readonly nextId: (prefix: string) => Effect.Effect<string>
}): Effect.Effect<ClientSecrets> =>
  Effect.gen(function*() {
    const secrets = yield* Ref.make(new Map<string, Minted>())

    const mint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const { decoded, raw } = yield* body(request, CreateBody)
        const given = typeof raw["session"] === "object" && raw["session"] !== null ? raw["session"] as Json : {}
        const model = decoded.session?.model ?? options.model
        const session: Json = { ...given, type: "realtime", model }
        const now = yield* Clock.currentTimeMillis
        const expiresAt = (Math.floor(now / 1000) + (decoded.expires_after?.seconds ?? defaultExpirySeconds)) * 1000
        const value = yield* newSecret
        yield* Ref.update(secrets, (map) => new Map(map).set(value, { session, expiresAt }))
        const id = yield* options.nextId("sess")
        yield* Effect.logDebug("client secret minted").pipe(Effect.annotateLogs({ session: id, expiresAt }))
        return HttpServerResponse.jsonUnsafe({
          value,
          expires_at: expiresAt / 1000,
          session: mergeSession(defaultSession(id, model), session)
        })
      }).pipe(Effect.catch(Effect.succeed))

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const refused = unauthorized(request, options.key)
      if (Option.isSome(refused)) return refused.value
      if (request.method !== "POST") return apiError(404, `Invalid URL (${request.method} ${path})`, null)
      return yield* mint(request)
    }).pipe(Effect.withSpan("RealtimeServer.clientSecrets"))

    const verify = (secret: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const minted = (yield* Ref.get(secrets)).get(secret)
        return minted !== undefined && now < minted.expiresAt ? Option.some(minted.session) : Option.none()
      })

    return { app, verify }
  })
