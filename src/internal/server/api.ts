/**
 * What the embedded server's REST routes share: answers in the API's error shape, the Bearer key
 * check, and request bodies decoded with Schema.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import type { HttpServerRequest } from "effect/http"

/** An answer in the API's error shape. */
export const apiError = (status: number, message: string, code: string | null, param: string | null = null) =>
  HttpServerResponse.jsonUnsafe({ error: { message, type: "invalid_request_error", param, code } }, { status })

/** The 401 answer when `key` is set and the request does not carry it as a Bearer token. */
export const unauthorized = (
  request: HttpServerRequest.HttpServerRequest,
  key: Redacted.Redacted<string> | undefined
): Option.Option<HttpServerResponse.HttpServerResponse> => {
  const authorization = request.headers["authorization"]
  if (key === undefined || authorization === `Bearer ${Redacted.value(key)}`) return Option.none()
  return Option.some(apiError(
    401,
    authorization === undefined
      ? "You didn't provide an API key. Provide it in an Authorization header with Bearer auth."
      : "Incorrect API key provided.",
    authorization === undefined ? null : "invalid_api_key"
  ))
}

const JsonObject = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))

/** The request's JSON object body decoded with `schema` (an empty body is `{}`); a 400 answer otherwise. */
export const body = <S extends Schema.Decoder<unknown>>(request: HttpServerRequest.HttpServerRequest, schema: S) =>
  Effect.gen(function*() {
    const text = yield* Effect.orElseSucceed(request.text, () => "")
    const parsed = yield* Effect.option(Schema.decodeUnknownEffect(JsonObject)(text.trim() === "" ? "{}" : text))
    if (Option.isNone(parsed)) {
      return yield* Effect.fail(apiError(400, "We could not parse the JSON body of your request.", null))
    }
    const decoded = yield* Effect.mapError(
      Schema.decodeUnknownEffect(schema)(parsed.value),
      (issue) => apiError(400, `Invalid request body: ${issue.message}`, "invalid_value")
    )
    return { raw: parsed.value, decoded }
  })
