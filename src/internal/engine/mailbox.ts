/**
 * Owns what reaches a connection's owner through its mailbox, in order, and how a run of the owner
 * ends.
 */
import { Deferred, Effect } from "effect"
import type { RealtimeConnectionLost, RealtimeSendError } from "../../RealtimeError.js"
import type { RealtimeModelState } from "../../RealtimeModel.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import * as Ending from "./ending.js"
import type * as Keepalive from "./keepalive.js"

/**
 * What the socket delivers to the owner: a text frame, or the end of the socket.
 *
 * @category models
 */
export type Delivery = string | Ending.SocketEnd

/**
 * A send of the application, with its answer.
 *
 * @category models
 */
export interface Send {
  readonly _tag: "Send"
  readonly event: RealtimeModelSendEvent
  /** A conditional send's predicate, evaluated by the owner when it reaches the command. */
  readonly predicate: ((state: RealtimeModelState) => boolean) | undefined
  /** Whether the event was sent. */
  readonly reply: Deferred.Deferred<boolean, RealtimeSendError>
}

/**
 * A connection that takes sends handed over by the one before it (at a rollover).
 *
 * @category models
 */
export interface Adopter {
  /** Takes a send; `false` once this connection has stopped. */
  readonly adoptUnsafe: (send: Send) => boolean
}

/**
 * A protocol's timer woke (number `timer`, so that the protocol tells a stale one): it waits
 * behind the frames before it, as a frame does.
 *
 * @category models
 */
export interface Due {
  readonly _tag: "Due"
  readonly timer: number
}

/**
 * A request to the owner: a delivery, a send, a bookkeeping query, "listeners have room again",
 * "stop at the next turn boundary", "yield to the call's owner", the keepalive's, a protocol's timer.
 *
 * @category models
 */
export type Command<Bookkeeping> =
  | Delivery
  | Send
  | { readonly _tag: "Inspect"; readonly reply: Deferred.Deferred<Bookkeeping> }
  | { readonly _tag: "Resume" }
  | { readonly _tag: "SwitchAtBoundary" }
  | { readonly _tag: "Yield" }
  | Keepalive.Command
  | Due

/**
 * How a run of the owner ended: the socket ended, or (when a switch was asked for) the
 * conversation reached a turn boundary: no response in flight or waiting, the user not speaking,
 * or the call's owner, which runs the connection, asked it to yield (it runs it again after).
 *
 * @category models
 */
export type Outcome =
  | { readonly _tag: "Lost"; readonly lost: RealtimeConnectionLost }
  | { readonly _tag: "Boundary" }
  | { readonly _tag: "Yielded" }

/**
 * Answers a request the owner will never reach: a send fails with `Closed`, a query gets the
 * bookkeeping as it was left.
 *
 * @category refusing
 */
export const refuse = <Bookkeeping>(command: Command<Bookkeeping>, bookkeeping: Bookkeeping): Effect.Effect<void> =>
  typeof command === "string"
    ? Effect.void
    : command._tag === "Send"
    ? Effect.asVoid(Deferred.fail(command.reply, Ending.notConnected(command.event, true)))
    : command._tag === "Inspect"
    ? Effect.asVoid(Deferred.succeed(command.reply, bookkeeping))
    : Effect.void
