/**
 * Audio bytes in a session format (PCM16 24 kHz, G.711 mu-law or A-law 8 kHz) to and from 16-bit
 * samples at that format's own rate.
 */
import type { AudioFormat } from "../../AudioFormat.js"
import * as G711 from "./G711.js"
import * as Pcm16 from "./Pcm16.js"

/** Decodes bytes in `format` to 16-bit samples (at the format's sample rate). */
export const decode = (format: AudioFormat, bytes: Uint8Array): Int16Array => {
  switch (format) {
    case "pcm16":
      return Pcm16.fromBytes(bytes)
    case "g711_ulaw":
      return G711.decodeMuLaw(bytes)
    case "g711_alaw":
      return G711.decodeALaw(bytes)
  }
}

/** Encodes 16-bit samples (at the format's sample rate) as bytes in `format`. */
export const encode = (format: AudioFormat, samples: Int16Array): Uint8Array => {
  switch (format) {
    case "pcm16":
      return Pcm16.toBytes(samples)
    case "g711_ulaw":
      return G711.encodeMuLaw(samples)
    case "g711_alaw":
      return G711.encodeALaw(samples)
  }
}
