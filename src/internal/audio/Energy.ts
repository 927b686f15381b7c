/**
 * Signal energy of 16-bit PCM: root mean square over a range or per fixed-size frame, normalised so
 * that a full-scale square wave is 1.
 */

/** RMS of `samples[start, end)` in [0, 1]; an empty range has zero energy. */
export const rms = (samples: Int16Array, start = 0, end = samples.length): number => {
  const from = Math.max(0, start)
  const to = Math.min(samples.length, end)
  if (to <= from) return 0
  let sum = 0
  for (let index = from; index < to; index++) {
    const value = (samples[index] ?? 0) / 32768
    sum += value * value
  }
  return Math.sqrt(sum / (to - from))
}

/** RMS of each consecutive frame of `frameSize` samples; a shorter last frame is included. */
export const frameRms = (samples: Int16Array, frameSize: number): ReadonlyArray<number> => {
  const size = Math.max(1, Math.floor(frameSize))
  return Array.from(
    { length: Math.ceil(samples.length / size) },
    (_, frame) => rms(samples, frame * size, (frame + 1) * size)
  )
}
