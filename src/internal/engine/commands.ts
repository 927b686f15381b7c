/**
 * Owns what a connection's owner does with each request other than a frame: the socket's end, a
 * send, a query, a switch asked for, a yield to the call's owner, the keepalive's requests, a
 * protocol's timer, and "listeners have room again". Run by the owner (`generation.ts`) alone, on
 * its cells.
 */
import { Deferred, Effect } from "effect"
import type { RealtimeConnectionLost } from "../../RealtimeError.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { EventHub } from "../eventHub.js"
import * as Ending from "./ending.js"
import type { Handler } from "./handler.js"
import * as Keepalive from "./keepalive.js"
import * as Mailbox from "./mailbox.js"
import type { Leftover, Wiring } from "./protocol.js"

/**
 * The cells of a connection's owner that its requests read and write.
 *
 * @category models
 */
export interface Cells<Frame, Left extends Leftover, Bookkeeping> {
  readonly options: { readonly wiring?: Wiring | undefined }
  readonly handler: Handler<Frame, Left, Bookkeeping>
  readonly hub: EventHub
  readonly keepalive: Keepalive.Keepalive | undefined
  readonly mailbox: { readonly offerUnsafe: (command: Mailbox.Command<Bookkeeping>) => boolean }
  lostAs: RealtimeConnectionLost | undefined
  switchWanted: boolean
  successor: Mailbox.Adopter | undefined
  stalled: boolean
  batch: ReadonlyArray<Mailbox.Command<Bookkeeping>>
  next: number
  backlog: Array<Mailbox.Delivery | Mailbox.Due>
  /** Publishes the events of the frames processed so far. */
  publish(out: Array<RealtimeModelEvent>): Effect.Effect<void>
  /** Asks the hub to post "room again" once a full listener has room. */
  whenRoom(): void
}

const yielded: Mailbox.Outcome = { _tag: "Yielded" }

/**
 * The owner's answer to a request other than a frame, at `now` (ms, `Clock`), with the events of
 * the batch so far in `out`; how the owner's run ends, if it does.
 *
 * @category commands
 */
export const handle = <Frame, Left extends Leftover, Bookkeeping>(
  owner: Cells<Frame, Left, Bookkeeping>,
  command: Exclude<Mailbox.Command<Bookkeeping>, string>,
  now: number,
  out: Array<RealtimeModelEvent>
): Effect.Effect<Mailbox.Outcome | undefined> =>
  Effect.gen(function*() {
    const handler = owner.handler
    switch (command._tag) {
      case "Closed":
        // from here on no frame is written: sends behind the end fail Closed, even in a stall
        if (owner.lostAs === undefined) {
          owner.lostAs = Ending.connectionLost(command)
          yield* Effect.logDebug(
            `the socket ended${Ending.details(command.code, command.reason)}: sends fail from now on`
          )
        }
        if (owner.stalled) {
          owner.backlog.push(command)
          return undefined
        }
        {
          const lost = handler.lost(command, out)
          yield* owner.publish(out)
          return { _tag: "Lost", lost } as const
        }
      case "Send":
        if (owner.successor !== undefined) {
          if (!owner.successor.adoptUnsafe(command)) yield* Mailbox.refuse(command, handler.bookkeeping())
          return undefined
        }
        // not written: the call's owner holds it for the next connection (with a reconnect policy)
        if (owner.lostAs !== undefined && owner.options.wiring?.bounce(command) === true) return undefined
        yield* owner.publish(out)
        yield* handler.settle(now)
        yield* handler.answer(command, now)
        return undefined
      case "Inspect":
        yield* owner.publish(out)
        yield* Deferred.succeed(command.reply, handler.bookkeeping())
        return undefined
      case "SwitchAtBoundary":
        owner.switchWanted = true
        return undefined
      case "Yield":
        // the rest of the batch waits for the next run
        yield* owner.publish(out)
        yield* handler.settle(now)
        return yielded
      case "PingDue":
      case "Pong":
      case "PongDue": {
        if (owner.keepalive === undefined) return undefined
        // the owner writes the ping; a late pong ends the connection behind the frames already here
        const late = yield* Keepalive.handle(owner.keepalive, command, now)
        if (late !== undefined) owner.mailbox.offerUnsafe(late)
        return undefined
      }
      case "Due": {
        // after the frames before it: one held in a stall holds this back too
        if (owner.stalled) {
          owner.backlog.push(command)
          return undefined
        }
        const after = handler.due?.(command.timer, now, out)
        if (after !== undefined) {
          yield* owner.publish(out)
          yield* after
        }
        return undefined
      }
      case "Resume":
        yield* owner.publish(out)
        if (!owner.stalled) return undefined
        if (owner.hub.isFullUnsafe()) {
          owner.whenRoom()
          return undefined
        }
        owner.stalled = false
        // the frames held during the stall come first, then the rest of this batch
        owner.batch = [...owner.backlog, ...owner.batch.slice(owner.next)]
        owner.backlog = []
        owner.next = 0
        return undefined
    }
  })
