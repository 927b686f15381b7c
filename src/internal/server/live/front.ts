/**
 * The embedded server's OpenAI Live front-end, as the server routes to it: which upgrade paths are
 * Live's (`/v1/live/sessions`, and `/v1/live/sessions/<id>/fork`), whether an upgrade's
 * credentials let it in (as the OpenAI Realtime front-end takes them: the server's key as a Bearer
 * header, or a client secret it minted), which stored session a fork continues (an unknown one is
 * refused with HTTP 404), and the state its connections share.
 */
import { Duration, Effect, Option } from "effect"
import type { Redacted } from "effect"
import type { IncomingMessage } from "node:http"
import * as Connection from "../connection.js"
import type { Shared } from "../connection.js"
import type { CoreSettings } from "../core.js"
import type { Json } from "../objects.js"
import { admit, refused, type Routed } from "../upgrade.js"
import * as Registry from "./registry.js"
import * as Session from "./session.js"
import { endpointOf } from "./wire.js"

export { sessionsPath } from "./wire.js"

/**
 * A Live session's duration limit when the server's options set none: the service always ends a
 * session at one, and says when in `session.started` (`expires_at`), which clients plan for.
 */
export const defaultDurationLimit: Duration.Duration = Duration.minutes(60)

/** The settings every Live connection of a server shares. */
export interface Settings extends CoreSettings {
  /** The session's duration limit (the server's `sessionDurationLimit`). */
  readonly durationLimit?: Duration.Duration | undefined
}

/** The Live front-end of one server. */
export interface Front {
  readonly registry: Registry.Registry
  /** Routes an upgrade request to `pathname`; none when the path is not Live's. */
  readonly route: (request: IncomingMessage, pathname: string) => Effect.Effect<Option.Option<Routed>>
}

/** A new front-end; `verify` reads the client secrets the server minted. */
export const make = (options: {
  readonly key: Redacted.Redacted<string> | undefined
  readonly verify: (secret: string) => Effect.Effect<Option.Option<Json>>
  readonly shared: Pick<Shared, "received" | "open">
  readonly settings: Settings
}): Effect.Effect<Front> =>
  Effect.map(Registry.make, (registry) => {
    return {
      registry,
      route: (request, pathname) =>
        Effect.gen(function*() {
          const endpoint = endpointOf(pathname)
          if (endpoint === undefined) return Option.none()
          const admitted = yield* admit(request, options.verify, options.key)
          if (Option.isNone(admitted)) return Option.some(refused(401))
          const fork = endpoint._tag === "Fork" ? yield* registry.stored(endpoint.sessionId) : Option.none()
          if (endpoint._tag === "Fork" && Option.isNone(fork)) {
            return Option.some(refused(404))
          }
          return Option.some<Routed>({
            _tag: "Serve",
            serve: (ws, closeAfterEvents, startedAt) =>
              Connection.runOn("RealtimeServer.liveConnection", options.shared, ws, (io) =>
                Session.run({
                  ...options.settings,
                  durationLimit: options.settings.durationLimit ?? defaultDurationLimit,
                  faults: { ...options.settings.faults, closeAfterEvents },
                  io,
                  registry,
                  fork: Option.getOrUndefined(fork),
                  startedAt
                }))
          })
        })
    }
  })
