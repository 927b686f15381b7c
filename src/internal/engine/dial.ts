/**
 * Owns the dialling of one connection of a call: the socket, its frames and its end (the frame
 * size limit), the keepalive, the connection's span, all in a scope of its own that the call
 * closes when it is done with the connection; and the re-dials by the reconnect `Schedule` after
 * a loss.
 */
import { Cause, Clock, Effect, Exit, References, Schedule, Scope } from "effect"
import type { Duration, Tracer } from "effect"
import type * as Socket from "effect/socket/Socket"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeModelConfig } from "../../RealtimeModel.js"
import type { ReconnectSchedule } from "../../RealtimeReconnect.js"
import type { Heartbeat, RealtimeWebSocketService } from "../../RealtimeWebSocket.js"
import type * as EventHub from "../eventHub.js"
import * as Handshake from "../realtime/handshake.js"
import * as Ending from "./ending.js"
import * as Keepalive from "./keepalive.js"
import type * as Engine from "./protocol.js"
import * as Transport from "./transport.js"

/**
 * What a connection is dialled with.
 *
 * @category models
 */
export interface DialOptions<Memory, Frame, Left extends Engine.Leftover> {
  /** The protocol spoken over the connection. */
  readonly protocol: Engine.Protocol<Memory, Frame, Left>
  readonly webSocket: RealtimeWebSocketService
  readonly hub: EventHub.EventHub
  /**
   * Where the call's first connection goes, with the credentials resolved by `connect`: taken by
   * the first dial (which leaves `undefined`), so the call does not hold its credentials for its
   * life.
   */
  readonly first: { target: Handshake.Target | undefined }
  /**
   * Where every later connection (a reconnect, the next session) goes: run for each dial, so an
   * `apiKey` given as an Effect (an ephemeral secret minted, a rotated key read) is run again.
   */
  readonly retarget: Effect.Effect<Handshake.Target, RealtimeConnectError>
  readonly config: RealtimeModelConfig
  readonly connectTimeout: Duration.Input | undefined
  readonly keepalive: Keepalive.KeepaliveOptions | undefined
  readonly maxFrameSize: number
}

/**
 * A dialled connection and the scope it lives in.
 *
 * @category models
 */
export interface Link<Frame, Left extends Engine.Leftover> {
  /** Which connection of the call this is: the call's owner ignores what an older one posts. */
  readonly generation: number
  readonly connection: Engine.Generation<Frame, Left>
  readonly scope: Scope.Closeable
  /** Starts the WebSocket's closing handshake; the reader then delivers the end. */
  closeSocket(): void
  /** When the connection opened (ms, `Clock`): its session's age counts from then. */
  readonly openedAt: number
}

/** A dialled connection as its call holds it: one object, `closeSocket` on its prototype. */
class Dialled<Frame, Left extends Engine.Leftover> implements Link<Frame, Left> {
  constructor(
    readonly connection: Engine.Generation<Frame, Left>,
    readonly ws: Socket.WebSocketLike,
    readonly openedAt: number,
    readonly scope: Scope.Closeable,
    readonly generation: number
  ) {}
  closeSocket(): void {
    this.ws.close(1000)
  }
}

const utf8 = new TextEncoder()

/** Over the limit in UTF-8 bytes; a frame that short in characters cannot be, whatever it holds. */
const tooLarge = (text: string, max: number) =>
  text.length > max || (text.length * 3 > max && utf8.encode(text).byteLength > max)

/**
 * Hands each frame to the owner as it arrives, then the socket's end (which also stops any later
 * write at once); a frame over the limit ends the connection instead.
 */
const listen = (
  dialled: Transport.Dialled,
  connection: Pick<Engine.Generation<unknown, Engine.Leftover>, "deliverUnsafe" | "deliverFrameUnsafe">,
  maxFrameSize: number
) => {
  let over = false
  dialled.listen((text) => {
    if (over) return
    if (!tooLarge(text, maxFrameSize)) {
      connection.deliverFrameUnsafe(text)
      return
    }
    over = true
    const size = utf8.encode(text).byteLength
    connection.deliverUnsafe([
      Ending.detected("FrameTooLarge", `the server sent a frame of ${size} bytes, over the limit of ${maxFrameSize}`)
    ])
  }, (error) => void connection.deliverUnsafe([Ending.fromSocketError(error, Handshake.detailOf)]))
}

/**
 * Dials one connection to `target` (resolved now, credentials included) into a scope of its own,
 * and hands it to `keep` before anything can interrupt: whoever keeps it closes its scope (and
 * opens the call on it, with the protocol's resumption).
 *
 * @category dialling
 */
export const dial = <Memory, Frame, Left extends Engine.Leftover>(
  options: DialOptions<Memory, Frame, Left>,
  target: Effect.Effect<Handshake.Target, RealtimeConnectError>,
  memory: Memory,
  wiring: Engine.Wiring,
  keep: (link: Link<Frame, Left>) => Effect.Effect<void>
): Effect.Effect<Link<Frame, Left>, RealtimeConnectError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const opened = yield* Effect.exit(
        restore(Scope.provide(open(options, target, memory, wiring, scope), scope))
      )
      if (Exit.isFailure(opened)) {
        yield* Scope.close(scope, opened)
        return yield* Effect.failCause(opened.cause)
      }
      const { connection, ws, openedAt } = opened.value
      const link = new Dialled(connection, ws, openedAt, scope, wiring.generation)
      yield* keep(link)
      return link
    })
  )

/**
 * A connection made by a re-dial, and the attempts it took.
 *
 * @category models
 */
export interface Redialled<Frame, Left extends Engine.Leftover> {
  readonly link: Link<Frame, Left>
  readonly attempts: number
}

/**
 * After a retryable loss, in a fiber of its own: dials by the schedule until a connection opens
 * (handed to `report`, which keeps it or says `false`: then it is closed), the failure is not
 * `retryable` or the schedule is done (the last failure reported), or the dial dies (reported, for
 * the call's owner to raise). Reports nothing when interrupted.
 *
 * @category dialling
 */
export const redial = <Memory, Frame, Left extends Engine.Leftover>(
  options: DialOptions<Memory, Frame, Left>,
  memory: Memory,
  wiring: Engine.Wiring,
  schedule: ReconnectSchedule,
  retryable: (failure: RealtimeConnectError) => boolean,
  report: (result: Exit.Exit<Redialled<Frame, Left>, RealtimeConnectError>) => boolean
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const step = yield* Schedule.toStepWithSleep(schedule)
    let attempts = 0
    for (;;) {
      attempts++
      const dialled = yield* Effect.exit(dial(options, options.retarget, memory, wiring, (link) =>
        // a call that ended meanwhile does not take it
        Effect.suspend(() =>
          report(Exit.succeed({ link, attempts })) ? Effect.void : Scope.close(link.scope, Exit.void)
        )))
      if (Exit.isSuccess(dialled)) return
      const error = Exit.findErrorOption(dialled)
      if (error._tag === "None") {
        // interrupted: the call is closing, and takes nothing more
        if (!Cause.hasInterruptsOnly(dialled.cause)) report(Exit.failCause(dialled.cause))
        return
      }
      const failure = error.value
      const retry = retryable(failure) ? yield* Effect.exit(step(failure)) : Exit.fail(undefined)
      if (Exit.isFailure(retry)) {
        const why = retryable(failure) ? `gave up after ${attempts} attempts` : "the failure is not retryable"
        yield* Effect.logWarning(`reconnecting ${why}: ${failure.message}`)
        report(Exit.fail(failure))
        return
      }
    }
  })

/** What the engine holds of a connection, released together by its one finalizer. */
interface Held {
  wire: Transport.Wire | undefined
  stopPong: (() => void) | undefined
}

// The closures a connection keeps are made here, outside `open`: one made inside it would keep
// all of `open`'s variables for the connection's life.

/** The connection's finalizer: the pong callback, then the socket, then the connection's span. */
const release = (held: Held, span: Tracer.Span) => (exit: Exit.Exit<unknown, unknown>) =>
  Effect.flatMap(
    Effect.all([Clock.currentTimeNanos, References.TracerTimingEnabled]),
    ([now, timed]) =>
      Effect.sync(() => {
        held.stopPong?.()
        held.wire?.release()
        span.end(timed ? now : BigInt(0), exit)
      })
  )

/** The keepalive of a socket that can ping: one object, its `ping` on the prototype. */
class SocketPinging implements Keepalive.Pinging {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration
  constructor(
    keepalive: Keepalive.KeepaliveOptions,
    readonly heartbeat: Heartbeat,
    readonly ws: Socket.WebSocketLike
  ) {
    this.interval = keepalive.interval
    this.timeout = keepalive.timeout
  }
  ping(): boolean {
    return this.heartbeat.ping(this.ws)
  }
}

const pinging = (
  keepalive: Keepalive.KeepaliveOptions | undefined,
  heartbeat: Heartbeat | undefined,
  ws: Socket.WebSocketLike
): Keepalive.Pinging | undefined =>
  keepalive === undefined || heartbeat === undefined ? undefined : new SocketPinging(keepalive, heartbeat, ws)

/** Pongs go to the connection's owner. */
const pongsTo = (connection: Pick<Engine.Generation<unknown, Engine.Leftover>, "keepaliveUnsafe">) => () =>
  void connection.keepaliveUnsafe(Keepalive.pong)

const open = <Memory, Frame, Left extends Engine.Leftover>(
  options: DialOptions<Memory, Frame, Left>,
  resolveTarget: Effect.Effect<Handshake.Target, RealtimeConnectError>,
  memory: Memory,
  wiring: Engine.Wiring,
  scope: Scope.Scope
) =>
  Effect.gen(function*() {
    const { webSocket } = options
    const resolved = yield* resolveTarget
    const locate = options.protocol.locate
    const target = locate === undefined ? resolved : { ...resolved, url: locate(memory, resolved.url) }
    const url = Handshake.displayUrl(target.url)
    const failedOpen = (error: Socket.SocketError) =>
      Handshake.openFailure(error, url, Handshake.sendsCredentials(target))
    const { protocol } = options
    const span = yield* Effect.makeSpan(`${protocol.name}.connection`, {
      attributes: { "realtime.model": target.model, "realtime.url": url }
    })
    const heartbeat = webSocket.heartbeat
    // one finalizer for what the engine holds of the connection: the pong callback, the socket, the span
    const held: Held = { wire: undefined, stopPong: undefined }
    // added to the scope itself: the finalizer keeps no context of the dial's (it reads the
    // clock of the fiber that closes the connection)
    yield* Scope.addFinalizerExit(scope, release(held, span))
    // kept by the finalizer as soon as it is made
    const made = yield* Effect.uninterruptible(
      Effect.map(Effect.mapError(Transport.make(webSocket, target), failedOpen), (made) => (held.wire = made))
    )
    yield* Effect.mapError(made.opened(options.connectTimeout), failedOpen)
    const { dialled } = made
    const ws = dialled.webSocket
    const connection = yield* protocol.connect({
      hub: options.hub,
      write: dialled.write,
      memory,
      customTracker: options.config.playbackTracker,
      span,
      flow: dialled.flow,
      keepalive: pinging(options.keepalive, heartbeat, ws),
      wiring
    })
    yield* Effect.logDebug(`connected to ${url}`)
    // the frames first (those that came with the handshake at once), then the end behind them
    listen(dialled, connection, options.maxFrameSize)
    if (options.keepalive !== undefined && heartbeat !== undefined) {
      // the pong callback only posts to the owner
      held.stopPong = heartbeat.onPong(ws, pongsTo(connection))
    }
    return { connection, ws, openedAt: yield* Clock.currentTimeMillis }
  })
