/**
 * The embedded server's Gemini Live front-end, as the server routes to it: which upgrade paths are
 * Gemini's (`BidiGenerateContent`, and `BidiGenerateContentConstrained` for ephemeral tokens), what
 * an upgrade's credentials let it do, the models a setup may name, and the state its connections
 * share (resumption handles, open connections, tokens).
 */
import { Effect, Option, Redacted } from "effect"
import type { Duration } from "effect"
import type { IncomingMessage } from "node:http"
import { defaultModel } from "../../gemini/setup.js"
import * as Connection from "../connection.js"
import type { Shared } from "../connection.js"
import type { CoreSettings } from "../core.js"
import type { Routed } from "../upgrade.js"
import * as Registry from "./registry.js"
import * as Session from "./session.js"
import * as Tokens from "./tokens.js"

const service = "/ws/google.ai.generativelanguage"

/** The path of the Live WebSocket with a key (the SDK's default API version). */
export const livePath = `${service}.v1beta.GenerativeService.BidiGenerateContent`

/**
 * Which Gemini endpoint a path is: the Live WebSocket with a key, the constrained one with a
 * token, or neither, in any API version (`v1`, `v1beta`, `v1alpha`). Repeated slashes count as one (Google's client writes `//ws/…` after a base
 * URL that ends with a slash).
 */
export const endpointOf = (pathname: string): "Key" | "Token" | undefined => {
  const match = /^\/ws\/google\.ai\.generativelanguage\.(v1|v1alpha|v1beta)\.GenerativeService\.(\w+)$/.exec(
    pathname.replace(/\/{2,}/g, "/")
  )
  return match?.[2] === "BidiGenerateContent"
    ? "Key"
    : match?.[2] === "BidiGenerateContentConstrained"
    ? "Token"
    : undefined
}

/**
 * The Live models a setup may name: the library's default and Google's Live models; any other
 * name is refused as Google refuses it (close 1008, "… is not found …").
 */
export const models: ReadonlyArray<string> = [
  defaultModel,
  "gemini-2.5-flash-native-audio-preview-12-2025",
  "gemini-2.5-flash-native-audio-preview-09-2025",
  "gemini-live-2.5-flash-preview",
  "gemini-2.0-flash-live-001"
]

/**
 * An upgrade request's URL. Its target is a path, read as one even when it starts with `//` (which
 * a URL parser would take for a host).
 */
export const requestUrl = (request: IncomingMessage): URL => new URL(`http://127.0.0.1${request.url ?? "/"}`)

/** The ephemeral token of a constrained upgrade: `?access_token=`, else an `Authorization: Token …` header. */
const tokenOf = (request: IncomingMessage): string | undefined =>
  requestUrl(request).searchParams.get("access_token") ??
    /^Token (.+)$/.exec(request.headers.authorization ?? "")?.[1]

/** What an upgrade to `endpoint` carries: the key (checked against `key` when set), or its token. */
export const accessOf = (
  request: IncomingMessage,
  endpoint: "Key" | "Token",
  key: Redacted.Redacted<string> | undefined
): Session.Access => {
  if (endpoint === "Token") return { _tag: "Token", name: tokenOf(request) }
  const given = Tokens.keyOf(request.headers, requestUrl(request))
  return { _tag: "Key", valid: key === undefined || given === Redacted.value(key) }
}

/** The settings every Gemini connection of a server shares. */
export interface Settings extends CoreSettings {
  /** The connection's lifetime (the server's `sessionDurationLimit`). */
  readonly durationLimit?: Duration.Duration | undefined
}

/** The Gemini front-end of one server. */
export interface Front {
  readonly registry: Registry.Registry
  readonly tokens: Tokens.Tokens
  /** Routes an upgrade request to `pathname`; none when the path is not Gemini's. */
  readonly route: (request: IncomingMessage, pathname: string) => Option.Option<Routed>
}

/** A new front-end. */
export const make = (options: {
  readonly key: Redacted.Redacted<string> | undefined
  readonly shared: Pick<Shared, "received" | "open">
  readonly settings: Settings
}): Effect.Effect<Front> =>
  Effect.gen(function*() {
    const registry = yield* Registry.make(options.settings.nextId)
    const tokens = yield* Tokens.make(options.key)
    return {
      registry,
      tokens,
      // credentials are checked by the session, as Google does
      route: (request, pathname) =>
        Option.map(Option.fromUndefinedOr(endpointOf(pathname)), (endpoint): Routed => {
          const access = accessOf(request, endpoint, options.key)
          return {
            _tag: "Serve",
            serve: (ws, closeAfterEvents, startedAt) =>
              Connection.runOn("RealtimeServer.geminiConnection", options.shared, ws, (io) =>
                Session.run({
                  ...options.settings,
                  faults: { ...options.settings.faults, closeAfterEvents },
                  io,
                  registry,
                  tokens,
                  access,
                  models,
                  startedAt
                }))
          }
        })
    }
  })
