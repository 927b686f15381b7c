/**
 * The embedded server's WebSocket upgrade requests: the credentials they carry, whether they let
 * the request in, how a front-end answers one (`Routed`), and refusing one with an HTTP status
 * before any WebSocket exists.
 */
import { Effect, Option, Redacted } from "effect"
import { STATUS_CODES } from "node:http"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import type { WebSocket } from "ws"
import type { Json } from "./objects.js"

/** How a front-end answers an upgrade request: refused with an HTTP status, or served. */
export type Routed =
  | { readonly _tag: "Refused"; readonly status: number }
  | {
    readonly _tag: "Serve"
    /** Serves the upgraded connection (dropped after `closeAfterEvents`, if set) until either side closes it. */
    readonly serve: (ws: WebSocket, closeAfterEvents: number | undefined, startedAt: number) => Effect.Effect<void>
  }

/** A refusal with `status`. */
export const refused = (status: number): Routed => ({ _tag: "Refused", status })

const keyProtocol = "openai-insecure-api-key."

/** The credentials an upgrade request carries: a Bearer header, `openai-insecure-api-key.` sub-protocols. */
export const credentialsOf = (request: IncomingMessage): ReadonlyArray<string> => {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1]
  const protocols = String(request.headers["sec-websocket-protocol"] ?? "").split(",").map((part) => part.trim())
  const keys = protocols.flatMap((protocol) =>
    protocol.startsWith(keyProtocol) ? [protocol.slice(keyProtocol.length)] : []
  )
  return bearer === undefined ? keys : [bearer, ...keys]
}

/** Answers an upgrade request with an HTTP status and closes the socket. */
export const refuse = (socket: Duplex, status: number): void => {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Refused"}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`
  )
}

/**
 * Whether an upgrade's credentials let it in, and the session of the client secret that did: a
 * live secret opens; an unknown or expired one is refused; else `key`, when set, is needed.
 */
export const admit = (
  request: IncomingMessage,
  verify: (secret: string) => Effect.Effect<Option.Option<Json>>,
  key: Redacted.Redacted<string> | undefined
): Effect.Effect<Option.Option<Option.Option<Json>>> =>
  Effect.gen(function*() {
    const credentials = credentialsOf(request)
    const secretsGiven = credentials.filter((value) => value.startsWith("ek_"))
    for (const credential of secretsGiven) {
      const session = yield* verify(credential)
      if (Option.isSome(session)) return Option.some(session)
    }
    const keyed = key !== undefined && credentials.includes(Redacted.value(key))
    const refused = secretsGiven.length > 0 || (key !== undefined && !keyed)
    return refused ? Option.none() : Option.some(Option.none<Json>())
  })
