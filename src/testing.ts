/**
 * effect-realtime/testing: what tests and demos need, kept out of the core entry because the
 * embedded server runs on Node (`node:http`, and `ws`, which the library brings: it needs no
 * platform package). Import it from test code and scripts, never from code that ships to a browser:
 *
 * ```ts
 * import { RealtimeServer, RealtimeTesting } from "effect-realtime/testing"
 * ```
 *
 * @since 0.2.0
 */

/**
 * Scripted models for tests: a `RealtimeModel` layer that answers each send with the events its
 * script names, with no network.
 *
 * @since 0.2.0
 * @category modules
 */
export * as RealtimeTesting from "./RealtimeTesting.js"
/**
 * An embedded server speaking the Realtime GA protocol on loopback (its WebSocket, the Calls
 * operations and client secrets), for tests and demos. Node only.
 *
 * @since 0.2.0
 * @category modules
 */
export * as RealtimeServer from "./RealtimeServer.js"
