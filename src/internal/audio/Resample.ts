/**
 * Sample-rate conversion by linear interpolation: good enough for speech sent to a speech model.
 */

/** Number of samples `length` samples at `fromRate` become at `toRate`. */
export const resampledLength = (length: number, fromRate: number, toRate: number): number =>
  Math.round((length * toRate) / fromRate)

/** Resamples 16-bit samples from `fromRate` to `toRate` Hz. */
export const resample = (samples: Int16Array, fromRate: number, toRate: number): Int16Array => {
  if (fromRate === toRate || samples.length === 0) return samples.slice()
  const length = resampledLength(samples.length, fromRate, toRate)
  const step = fromRate / toRate
  const last = samples.length - 1
  return Int16Array.from({ length }, (_, index) => {
    const position = index * step
    const left = Math.min(Math.floor(position), last)
    const right = Math.min(left + 1, last)
    const fraction = position - left
    return Math.round((samples[left] ?? 0) * (1 - fraction) + (samples[right] ?? 0) * fraction)
  })
}
