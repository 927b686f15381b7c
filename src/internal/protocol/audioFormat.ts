/**
 * The GA protocol's spelling of audio formats: the object a session carries on the wire
 * (`{ type: "audio/pcm", rate: 24000 }`, `{ type: "audio/pcmu" }`, `{ type: "audio/pcma" }`)
 * from the library's canonical names (the public `AudioFormat` reads every spelling back: this
 * module depends on it, never the other way).
 */
import { Schema } from "effect"
import type { AudioFormat } from "../../AudioFormat.js"

/**
 * An audio format object on the wire.
 *
 * @category schemas
 */
export const WireAudioFormat = Schema.Struct({
  type: Schema.Literals(["audio/pcm", "audio/pcmu", "audio/pcma"]),
  rate: Schema.optional(Schema.NullOr(Schema.Number))
})

/**
 * An audio format object as JSON.
 *
 * @category models
 */
export type WireAudioFormat = typeof WireAudioFormat.Encoded

/**
 * The wire object of a format.
 *
 * @category converting
 */
export const audioFormatToWire = (format: AudioFormat): WireAudioFormat => {
  switch (format) {
    case "pcm16":
      return { type: "audio/pcm", rate: 24000 }
    case "g711_ulaw":
      return { type: "audio/pcmu" }
    case "g711_alaw":
      return { type: "audio/pcma" }
  }
}
