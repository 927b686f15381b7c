/**
 * G.711 companding (ITU-T G.711): 16-bit linear PCM samples to and from 8-bit mu-law and A-law.
 */

const MU_LAW_BIAS = 0x84
const MU_LAW_CLIP = 32635

/** Encodes one 16-bit linear sample as a mu-law byte. */
export const encodeMuLawSample = (sample: number): number => {
  const sign = sample < 0 ? 0x80 : 0
  const magnitude = Math.min(Math.abs(Math.trunc(sample)), MU_LAW_CLIP) + MU_LAW_BIAS
  let exponent = 7
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent--
  }
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f
  return ~(sign | (exponent << 4) | mantissa) & 0xff
}

/** Decodes one mu-law byte to a 16-bit linear sample. */
export const decodeMuLawSample = (byte: number): number => {
  const value = ~byte & 0xff
  const exponent = (value >> 4) & 0x07
  const mantissa = value & 0x0f
  const magnitude = (((mantissa << 3) + MU_LAW_BIAS) << exponent) - MU_LAW_BIAS
  return (value & 0x80) !== 0 ? -magnitude : magnitude
}

/** Encodes one 16-bit linear sample as an A-law byte. */
export const encodeALawSample = (sample: number): number => {
  const linear = Math.max(-32768, Math.min(32767, Math.trunc(sample)))
  const sign = linear >= 0 ? 0x80 : 0
  const magnitude = Math.min(linear >= 0 ? linear : -linear - 1, 32767) >> 3
  let exponent = 0
  while (exponent < 7 && magnitude >= (32 << exponent)) {
    exponent++
  }
  const mantissa = exponent === 0 ? magnitude >> 1 : (magnitude >> exponent) & 0x0f
  return (sign | (exponent << 4) | mantissa) ^ 0x55
}

/** Decodes one A-law byte to a 16-bit linear sample. */
export const decodeALawSample = (byte: number): number => {
  const value = byte ^ 0x55
  const exponent = (value >> 4) & 0x07
  const mantissa = value & 0x0f
  const magnitude = exponent === 0
    ? (mantissa << 4) + 8
    : ((mantissa << 4) + 0x108) << (exponent - 1)
  return (value & 0x80) !== 0 ? magnitude : -magnitude
}

/** Encodes 16-bit linear samples as mu-law bytes. */
export const encodeMuLaw = (samples: Int16Array): Uint8Array =>
  samples.reduce(
    (out, sample, index) => {
      out[index] = encodeMuLawSample(sample)
      return out
    },
    new Uint8Array(samples.length)
  )

/** Decodes mu-law bytes to 16-bit linear samples. */
export const decodeMuLaw = (bytes: Uint8Array): Int16Array => Int16Array.from(bytes, decodeMuLawSample)

/** Encodes 16-bit linear samples as A-law bytes. */
export const encodeALaw = (samples: Int16Array): Uint8Array =>
  samples.reduce(
    (out, sample, index) => {
      out[index] = encodeALawSample(sample)
      return out
    },
    new Uint8Array(samples.length)
  )

/** Decodes A-law bytes to 16-bit linear samples. */
export const decodeALaw = (bytes: Uint8Array): Int16Array => Int16Array.from(bytes, decodeALawSample)
