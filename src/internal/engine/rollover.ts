/**
 * Owns a call's move to its next session: preparing it before the session's limit or at the
 * service's notice (in a fiber of its own, in the connection's scope), keeping it as the standby,
 * switching to it at a turn boundary while the old session drains, and closing a standby never
 * switched to. The call's owner runs every step but the preparation; the preparation only dials,
 * keeps the standby and asks the connection for a boundary.
 */
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Option, Scope } from "effect"
import * as Call from "./call.js"
import type { CallOptions, Command, Current } from "./call.js"
import { dial } from "./dial.js"
import type { DialOptions, Link } from "./dial.js"
import type { Leftover, Resumption, Wiring } from "./protocol.js"

/**
 * What of the call's owner a rollover uses.
 *
 * @category models
 */
export interface Owner<M, F, L extends Leftover> {
  readonly options: CallOptions<M, F, L>
  readonly memory: M
  post(command: Command<F, L>): boolean
  /** Makes `link` the call's connection (the sends held in the gap go to it). */
  adopt(link: Link<F, L>): Effect.Effect<unknown>
  /** What the next connection is given of the conversation. */
  replayOf(): Resumption<F>
  /** Runs `effect` in a fiber of the call's. */
  fork<A>(effect: Effect.Effect<A>): Effect.Effect<unknown>
  /** The wiring of the next generation. */
  wiring(): Wiring
}

/**
 * The next session of `live`, if it is prepared (dialled and ready to take over).
 *
 * @category rollover
 */
export const prepared = <F, L extends Leftover>(
  live: Current<F, L>
): Effect.Effect<Option.Option<Effect.Effect<Link<F, L>>>> =>
  live.standby === undefined ? Effect.succeedNone : Deferred.poll(live.standby)

/**
 * Closes the standby of `live` if the call never switched to it: the finalizer of `live`'s
 * connection, for a call with a reconnect policy (only such a call prepares one).
 *
 * @category rollover
 */
export const closeUnused = <F, L extends Leftover>(live: Current<F, L>): Effect.Effect<void> =>
  Effect.flatMap(prepared(live), (ready) =>
    Option.isNone(ready) || live.switched
      ? Effect.void
      : Effect.flatMap(ready.value, (unused) => Scope.close(unused.scope, Exit.void)))

/**
 * Before the session's limit, in a fiber of its own: dials the next session at `at` (ms of the
 * connection's age), keeps it as the standby, then asks for a switch at the next turn boundary.
 */
const prepareNext = <M, F, L extends Leftover>(
  options: DialOptions<M, F, L>,
  memory: M,
  live: Current<F, L>,
  standby: Deferred.Deferred<Link<F, L>>,
  at: Duration.Duration,
  wired: Wiring
): Effect.Effect<void> =>
  Effect.gen(function*() {
    // a session taken over at a rollover was opened before it took over
    const age = (yield* Clock.currentTimeMillis) - live.link.openedAt
    yield* Effect.sleep(Duration.max(Duration.zero, Duration.subtract(at, Duration.millis(age))))
    yield* Effect.logInfo("the session nears its time limit: preparing the next one")
    const dialled = yield* Effect.exit(
      dial(options, options.retarget, memory, wired, (next) =>
        Effect.flatMap(
          Deferred.succeed(standby, next),
          (kept) => kept ? Effect.void : Scope.close(next.scope, Exit.void)
        ))
    )
    if (Exit.isFailure(dialled)) {
      return yield* Effect.logWarning(
        "the next session could not be prepared; the call reconnects when this one ends",
        dialled.cause
      )
    }
    yield* Effect.logDebug("the next session is ready: it takes over at the next turn boundary")
    yield* live.link.connection.switchAtBoundary
  })

/**
 * Prepares the next session of `live` from `at` (ms of the connection's age), in place of a later
 * preparation; nothing when the next session is already dialled (it takes over as it is). Run by
 * the call's owner, which owns `live`.
 *
 * @category rollover
 */
export const roll = <M, F, L extends Leftover>(
  owner: Owner<M, F, L>,
  live: Current<F, L>,
  at: number
): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (live.standby !== undefined && Option.isSome(yield* Deferred.poll(live.standby))) return
    const before = live.rolling
    if (before !== undefined) yield* Fiber.interrupt(before.fiber)
    const standby = live.standby ??= Deferred.makeUnsafe()
    const fiber = yield* Effect.forkIn(
      prepareNext(owner.options, owner.memory, live, standby, Duration.millis(at), owner.wiring()),
      live.link.scope
    )
    live.rolling = { fiber, at }
  })

/**
 * The service ends the session: the next one is prepared in `inMs`, and takes over at the next
 * turn boundary (or when this one ends, if no boundary comes first). Without a reconnect policy
 * the call ends with the session.
 *
 * @category rollover
 */
export const sessionEnding = <M, F, L extends Leftover>(
  owner: Owner<M, F, L>,
  live: Current<F, L>,
  inMs: number
): Effect.Effect<void> => {
  if (owner.options.reconnect === undefined) {
    return Effect.logDebug("the service ends the session (no reconnect policy: the call ends with it)")
  }
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const at = now - live.link.openedAt + inMs
    if (live.rolling !== undefined && live.rolling.at <= at) return Effect.void
    return Effect.andThen(
      Effect.logInfo(`the service ends the session: the next one is prepared in ${Math.round(inMs / 1000)} s`),
      roll(owner, live, at)
    )
  })
}

/**
 * At a turn boundary: the next session gets the conversation and the sends; the old one drains,
 * and its end is posted to the owner (`Drained`), which then runs the next one.
 *
 * @category rollover
 */
export const switchOver = <M, F, L extends Leftover>(
  owner: Owner<M, F, L>,
  old: Current<F, L>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    // a boundary is only asked for once the next session is ready
    const next = yield* Deferred.await(old.standby!)
    old.switched = true
    // sends go to the next session from now on, behind the replay, the ones already waiting first
    old.link.connection.handOverUnsafe(next.connection)
    yield* owner.adopt(next)
    const replay = owner.replayOf()
    yield* next.connection.restore(replay, undefined).pipe(
      Effect.catch((error) => Effect.logWarning("the conversation could not be replayed on the next session", error))
    )
    // what the old session still sends (its close comes last) reaches listeners before the new
    // one's: the new one starts once the old one has drained (at most 2 seconds, never half done)
    old.link.closeSocket()
    const { hub } = owner.options
    yield* owner.fork(Effect.uninterruptible(Effect.gen(function*() {
      yield* old.link.connection.run.pipe(Effect.timeoutOption(Duration.seconds(2)))
      yield* Scope.close(old.link.scope, Exit.void)
      yield* Call.announce(hub, [Call.reconnected("rollover", 1, replay, false, null, 0)])
      yield* Effect.logInfo(`the call moved to a new session (${replay.items} items replayed)`)
      owner.post({ _tag: "Drained", generation: next.generation })
    })))
  })
