/**
 * The GA protocol's spelling of audio formats: the object a session carries on the wire
 * (`{ type: "audio/pcm", rate: 24000 }`, `{ type: "audio/pcmu" }`, `{ type: "audio/pcma" }`)
 * and its MIME names, to and from the library's canonical names.
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

const byWireName: Readonly<Record<string, AudioFormat>> = {
  "audio/pcm": "pcm16",
  "audio/pcmu": "g711_ulaw",
  "audio/pcma": "g711_alaw"
}

/**
 * The canonical format a wire MIME name (`audio/pcm`, `audio/pcmu`, `audio/pcma`; already
 * trimmed and lower-cased) stands for, if it is one.
 *
 * @category converting
 */
export const fromWireName = (name: string): AudioFormat | undefined =>
  Object.hasOwn(byWireName, name) ? byWireName[name] : undefined

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
