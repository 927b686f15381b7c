/**
 * Owns the making of a provider from a protocol written as steps (Gemini Live, OpenAI Live): the
 * call's memory (the protocol's state), what a connection opens with (the protocol's opening,
 * noted in the memory, then its context for a connection after the first), where it dials, how a
 * failure is classified (from the state the last connection ended in), and the settings checked
 * before anything is dialled.
 */
import { Effect } from "effect"
import type { Duration } from "effect"
import type { RealtimeConnectError } from "../../RealtimeError.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import * as Handshake from "../realtime/handshake.js"
import * as Model from "./model.js"
import type * as Engine from "./protocol.js"
import * as Stepwise from "./stepwise.js"

/**
 * A protocol written as steps, as a provider needs it.
 *
 * @category models
 */
export interface Stepped<S, F, V> {
  readonly name: string
  readonly steps: Stepwise.Steps<S, F, V>
  /** The state of a new call (its settings already checked). */
  readonly initial: (settings: RealtimeSessionSettings) => S
  /** Why the provider cannot honour the settings, if it cannot. */
  readonly refuse: (settings: RealtimeSessionSettings) => RealtimeConnectError | undefined
  /** A connection's opening: the next state, its frames, the notes on ignored settings, how it restores the call. */
  readonly open: (state: S) => {
    readonly state: S
    readonly frames: ReadonlyArray<F>
    readonly notes: ReadonlyArray<string>
    readonly restoredBy: string
  }
  /** What a connection after the first is given after its opening. */
  readonly context: (state: S) => ReadonlyArray<F>
  /** How many lines of the conversation a new session is given as its context. */
  readonly lines: (state: S) => number
  readonly classify: (state: S, failure: Engine.Failure) => Engine.Verdict
  readonly expire: (state: S) => S
  readonly locate?: (state: S, url: URL) => URL
  readonly target: Model.Provider<Stepwise.Memory<S>, F, Stepwise.Left>["target"]
  readonly pingInterval: Duration.Duration
}

/**
 * The provider of a protocol written as steps.
 *
 * @category constructors
 */
export const make = <S, F, V>(
  stepped: Stepped<S, F, V>
): Model.Provider<Stepwise.Memory<S>, F, Stepwise.Left> => {
  const { steps } = stepped
  const locate = stepped.locate
  const protocol: Engine.Protocol<Stepwise.Memory<S>, F, Stepwise.Left> = {
    name: stepped.name,
    memory: (settings) => ({ state: stepped.initial(settings), notes: [], lastEnd: undefined }),
    connect: (options) => Stepwise.make(steps, options),
    resume: (memory, opening) => {
      const opened = stepped.open(memory.state)
      memory.state = opened.state
      memory.notes = opened.notes
      const frames = opening === "first" ? opened.frames : [...opened.frames, ...stepped.context(opened.state)]
      return {
        frames,
        items: opened.restoredBy === "history" ? stepped.lines(opened.state) : 0,
        ids: new Set(),
        lost: 0,
        hush: false
      }
    },
    classify: (memory, failure) => stepped.classify(memory.lastEnd ?? memory.state, failure),
    ...(locate === undefined ? {} : { locate: (memory, url) => locate(memory.state, url) }),
    expire: (memory) => {
      memory.state = stepped.expire(memory.state)
    },
    encode: steps.encode,
    awaitsReady: true
  }
  return Model.provider({
    name: stepped.name,
    protocol,
    settings: (config) =>
      Effect.flatMap(Handshake.decodeSettings(config.initialSettings), (settings) => {
        const refused = stepped.refuse(settings)
        return refused === undefined ? Effect.succeed(settings) : Effect.fail(refused)
      }),
    target: stepped.target,
    pingInterval: stepped.pingInterval,
    timedRollover: false
  })
}
