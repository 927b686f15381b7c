/**
 * A consumer is one way of receiving the model's audio over a WebSocket: the floor (raw `ws`),
 * a peer SDK, or effect-realtime. Each opens one connection per call and feeds the harness's
 * receivers (one per listener).
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type WebSocket from "ws"
import type { BenchError } from "./BenchError.js"
import type { Receiver } from "./Receiver.js"

/** Where a connection goes: the loopback port and the path naming its server session. */
export interface Endpoint {
  readonly port: number
  readonly path: string
}

/** The `ws://` URL of an endpoint. */
export const endpointUrl = (endpoint: Endpoint): string => `ws://127.0.0.1:${endpoint.port}${endpoint.path}`

/** A way of consuming a realtime stream, measured side by side with the others. */
export interface Consumer {
  /** The row label in the tables. */
  readonly name: string
  /** Listeners per connection; the harness makes one receiver for each. */
  readonly listeners: number
  /**
   * Opens one connection and routes every audio chunk to every receiver; when a receiver asks for
   * an interrupt, sends one the way a user of that library would. Closes when the Scope closes.
   */
  readonly connect: (
    endpoint: Endpoint,
    receivers: ReadonlyArray<Receiver>
  ) => Effect.Effect<void, BenchError, Scope.Scope>
}

/**
 * A logger for SDK callbacks (which run outside any fiber): each call forks an `Effect.logError`
 * with the caller's services (its logger, its log level).
 */
export const callbackLogger: Effect.Effect<(message: string, cause: unknown) => void> = Effect.map(
  Effect.context<never>(),
  (services) => {
    const runFork = Effect.runForkWith(services)
    return (message, cause) => {
      runFork(Effect.logError(message, cause))
    }
  }
)

/** The text of a frame (`ws` hands text frames over as a Buffer unless they were fragmented). */
export const textOf = (data: WebSocket.RawData): string =>
  Buffer.isBuffer(data)
    ? data.toString("utf8")
    : Array.isArray(data)
    ? Buffer.concat(data).toString("utf8")
    : Buffer.from(data).toString("utf8")
