/**
 * The ephemeral tokens of the embedded server's Gemini front-end, as Google mints them for
 * browser apps: `POST /v1alpha/auth_tokens` (the key in `x-goog-api-key` or `?key=`) mints an
 * `auth_tokens/…` token; the constrained endpoint (`BidiGenerateContentConstrained`, the token as
 * `access_token`) opens a new session with it while it has uses left (`uses`, default 1, 0 for no
 * limit) and before `newSessionExpireTime` (default a minute after minting); resuming a session
 * uses none, and no session goes on past `expireTime` (default 30 minutes). Time comes from the
 * Clock, so a test lets a token expire with `TestClock`.
 */
import { Clock, DateTime, Effect, Option, Random, Redacted, Ref, Schema } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { Json } from "../objects.js"

/** The REST paths that mint tokens (the SDK's `v1alpha`, and `v1beta`). */
export const paths: ReadonlyArray<string> = ["/v1alpha/auth_tokens", "/v1beta/auth_tokens"]

/** How long a token opens new sessions when the request does not say. */
export const defaultNewSessionMs = 60_000
/** How long a token's sessions may last when the request does not say. */
export const defaultExpireMs = 30 * 60_000

const CreateBody = Schema.Struct({
  uses: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  expireTime: Schema.optional(Schema.String),
  newSessionExpireTime: Schema.optional(Schema.String),
  bidiGenerateContentSetup: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
  fieldMask: Schema.optional(Schema.String)
})
const decodeBody = Schema.decodeUnknownResult(Schema.fromJsonString(CreateBody))

interface Token {
  /** Uses left; null for no limit. */
  readonly usesLeft: number | null
  readonly newSessionExpiresAt: number
  readonly expiresAt: number
  /** The setup the token was minted with: it constrains the sessions it opens. */
  readonly setup: Json | undefined
}

/** What a token lets a connection do. */
export type Verdict =
  | { readonly _tag: "Opened"; readonly expiresAt: number; readonly setup: Json | undefined }
  | { readonly _tag: "Refused"; readonly reason: string }

/** The tokens one server minted, and the route minting them. */
export interface Tokens {
  /** Answers `POST /v1alpha/auth_tokens`. */
  readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
  /** Opens a session with a token (a use unless it resumes one), or says why not. */
  readonly open: (name: string, resuming: boolean) => Effect.Effect<Verdict>
}

/** An answer in Google's error shape. */
export const googleError = (code: number, status: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ error: { code, message, status } }, { status: code })

/** The key a request carries: the `x-goog-api-key` header, else the `key` query parameter. */
export const keyOf = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  url: URL
): string | undefined => {
  const header = headers["x-goog-api-key"]
  return typeof header === "string" ? header : url.searchParams.get("key") ?? undefined
}

/** The refusal of a request whose key is missing or wrong, in Google's words; none when `key` is unset or given. */
export const refusesKey = (
  given: string | undefined,
  key: Redacted.Redacted<string> | undefined
): Option.Option<HttpServerResponse.HttpServerResponse> =>
  key === undefined || given === Redacted.value(key)
    ? Option.none()
    : Option.some(
      given === undefined
        ? googleError(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers. Please use an API key.")
        : googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
    )

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

const newName = Effect.map(
  Effect.replicateEffect(Random.nextIntBetween(0, alphabet.length, { halfOpen: true }), 24),
  (indices) => `auth_tokens/${indices.map((index) => alphabet[index] ?? "0").join("")}`
)

/** A timestamp of the request (RFC 3339), in epoch milliseconds; its default when absent. */
const instant = (value: string | undefined, fallback: number): number | undefined =>
  value === undefined ? fallback : Option.getOrUndefined(Option.map(DateTime.make(value), DateTime.toEpochMillis))

/** The registry of one server's tokens; minting needs `key` when it is set. */
export const make = (key: Redacted.Redacted<string> | undefined): Effect.Effect<Tokens> =>
  Effect.gen(function*() {
    const tokens = yield* Ref.make(new Map<string, Token>())

    const mint = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const text = yield* Effect.orElseSucceed(request.text, () => "")
        const decoded = decodeBody(text.trim() === "" ? "{}" : text)
        if (decoded._tag === "Failure") {
          return googleError(400, "INVALID_ARGUMENT", `Invalid JSON payload received. ${decoded.failure.message}`)
        }
        const body = decoded.success
        const now = yield* Clock.currentTimeMillis
        const expiresAt = instant(body.expireTime, now + defaultExpireMs)
        const newSessionExpiresAt = instant(body.newSessionExpireTime, now + defaultNewSessionMs)
        if (expiresAt === undefined || newSessionExpiresAt === undefined) {
          return googleError(
            400,
            "INVALID_ARGUMENT",
            "expireTime and newSessionExpireTime must be RFC 3339 timestamps."
          )
        }
        const name = yield* newName
        const uses = body.uses ?? 1
        yield* Ref.update(tokens, (map) =>
          new Map(map).set(name, {
            usesLeft: uses === 0 ? null : uses,
            newSessionExpiresAt,
            expiresAt,
            setup: body.bidiGenerateContentSetup
          }))
        yield* Effect.logDebug("auth token minted").pipe(Effect.annotateLogs({ expiresAt, uses }))
        return HttpServerResponse.jsonUnsafe({ name })
      })

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const refused = refusesKey(keyOf(request.headers, new URL(request.url, "http://127.0.0.1")), key)
      if (Option.isSome(refused)) return refused.value
      if (request.method !== "POST") return googleError(404, "NOT_FOUND", `Method ${request.method} not found.`)
      return yield* mint(request)
    }).pipe(Effect.withSpan("RealtimeServer.authTokens"))

    const open = (name: string, resuming: boolean) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(tokens, (map): [Verdict, Map<string, Token>] => {
          const token = map.get(name)
          if (token === undefined || now >= token.expiresAt) {
            return [{ _tag: "Refused", reason: "The access token is invalid or has expired." }, map]
          }
          const opened: Verdict = { _tag: "Opened", expiresAt: token.expiresAt, setup: token.setup }
          if (resuming) return [opened, map]
          if (now >= token.newSessionExpiresAt) {
            return [{ _tag: "Refused", reason: "The access token has expired for new sessions." }, map]
          }
          if (token.usesLeft === 0) return [{ _tag: "Refused", reason: "The access token has no uses left." }, map]
          const usesLeft = token.usesLeft === null ? null : token.usesLeft - 1
          return [opened, new Map(map).set(name, { ...token, usesLeft })]
        }))

    return { app, open }
  })
