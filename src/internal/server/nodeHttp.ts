/**
 * Serves an Effect HTTP app on a `node:http` request: the Node request becomes a web `Request` read
 * by Effect's `HttpServerRequest`, and the app's response is written back. It owns only that
 * translation (the embedded server owns the listener and the fibers), so the testing entry needs no
 * platform package besides `ws`.
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { IncomingMessage, ServerResponse } from "node:http"

/** The request's body, once it has all arrived; none for a method that has no body. */
const readBody = (request: IncomingMessage): Effect.Effect<Uint8Array | undefined, Error> =>
  request.method === "GET" || request.method === "HEAD"
    ? Effect.succeed(undefined)
    : Effect.callback<Uint8Array, Error>((resume) => {
      const chunks: Array<Buffer> = []
      const onData = (chunk: Buffer) => {
        chunks.push(chunk)
      }
      const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks)))
      const onError = (error: Error) => resume(Effect.fail(error))
      // a client gone before its body ended: nothing more will come
      const onClose = () => {
        if (!request.complete) resume(Effect.fail(new Error("the request broke off before its body ended")))
      }
      request.on("data", onData)
      request.once("end", onEnd)
      request.once("error", onError)
      request.once("close", onClose)
      return Effect.sync(() => {
        request.off("data", onData)
        request.off("end", onEnd)
        request.off("error", onError)
        request.off("close", onClose)
      })
    })

const toWebRequest = (request: IncomingMessage, body: Uint8Array | undefined): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value)
  }
  return new Request(new URL(request.url ?? "/", "http://127.0.0.1"), {
    method: request.method ?? "GET",
    headers,
    ...(body !== undefined ? { body: new Uint8Array(body) } : {})
  })
}

/**
 * Answers one request with `app`. A request that breaks off before its body arrived, or a response
 * that cannot be written, destroys the response's socket: the client sees the connection end.
 */
export const serve = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>,
  request: IncomingMessage,
  response: ServerResponse
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const body = yield* readBody(request)
    const answer = yield* Effect.provideService(
      app,
      HttpServerRequest.HttpServerRequest,
      HttpServerRequest.fromWeb(toWebRequest(request, body))
    )
    const web = HttpServerResponse.toWeb(answer)
    const bytes = yield* Effect.tryPromise(() => web.arrayBuffer())
    response.writeHead(web.status, Object.fromEntries(web.headers))
    response.end(Buffer.from(bytes))
  }).pipe(
    Effect.catch((error) =>
      Effect.logDebug("embedded server: a REST request broke off", error).pipe(
        Effect.andThen(Effect.sync(() => response.destroy()))
      )
    )
  )
