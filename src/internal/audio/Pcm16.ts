/**
 * 16-bit little-endian PCM bytes to and from `Int16Array` samples, and float samples in [-1, 1].
 */

/** Reads little-endian 16-bit samples; a trailing odd byte is ignored. */
export const fromBytes = (bytes: Uint8Array): Int16Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const samples = new Int16Array(Math.floor(bytes.byteLength / 2))
  for (let index = 0; index < samples.length; index++) {
    samples[index] = view.getInt16(index * 2, true)
  }
  return samples
}

/** Writes samples as little-endian 16-bit bytes. */
export const toBytes = (samples: Int16Array): Uint8Array => {
  const bytes = new Uint8Array(samples.length * 2)
  const view = new DataView(bytes.buffer)
  samples.forEach((sample, index) => view.setInt16(index * 2, sample, true))
  return bytes
}

/** Converts a float sample in [-1, 1] to a 16-bit sample (scaled by 32768, so 16-bit input round-trips exactly), clipping what lies outside. */
export const floatToSample = (value: number): number => Math.max(-32768, Math.min(32767, Math.round(value * 32768)))

/** Converts float samples in [-1, 1] to 16-bit samples. */
export const fromFloat = (samples: Float32Array): Int16Array => Int16Array.from(samples, floatToSample)
