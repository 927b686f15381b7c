/**
 * Owns OpenAI Realtime as the engine's provider: its protocol, the settings of a config, the
 * target (OpenAI's endpoint or the config's URL, the key in a header or a sub-protocol), pings
 * every 20 seconds, and sessions rolled over on a timer (the service ends them at 60 minutes).
 */
import { Duration } from "effect"
import * as Model from "../engine/model.js"
import * as Handshake from "../realtime/handshake.js"
import { protocol } from "./protocol.js"

/**
 * OpenAI Realtime as the engine's provider.
 *
 * @category constructors
 */
export const provider = Model.provider({
  name: "OpenAIRealtime",
  protocol,
  settings: (config) => Handshake.decodeSettings(config.initialSettings),
  target: Handshake.resolveTarget,
  pingInterval: Duration.seconds(20),
  timedRollover: true
})
