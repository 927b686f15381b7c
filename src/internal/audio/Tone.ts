/**
 * Speech-like tone synthesis: audio whose length follows a text, so that a reply "spoken" by the
 * embedded server lasts as long as its transcript suggests. Each character becomes a short tone whose
 * pitch depends on the character; spaces and punctuation become quiet pauses.
 */

/** How a text is turned into tones. */
export interface ToneOptions {
  /** Output sample rate in Hz. */
  readonly sampleRate: number
  /** Milliseconds of audio per character of text. */
  readonly msPerChar: number
  /** Peak amplitude in [0, 1]; 0.3 by default. */
  readonly amplitude?: number
}

/** Duration in milliseconds of the audio synthesised for `text`. */
export const durationMs = (text: string, msPerChar: number): number => Array.from(text).length * msPerChar

/** Number of samples synthesised for `text`. */
export const sampleCount = (text: string, options: ToneOptions): number =>
  Math.round((durationMs(text, options.msPerChar) * options.sampleRate) / 1000)

const isVoiced = (char: string): boolean => /[\p{L}\p{N}]/u.test(char)

const pitchOf = (char: string): number => 160 + ((char.codePointAt(0) ?? 0) % 24) * 15

/** Synthesises 16-bit samples for `text`: one tone per character, with a short fade at each edge. */
export const synthesize = (text: string, options: ToneOptions): Int16Array => {
  const chars = Array.from(text)
  const amplitude = options.amplitude ?? 0.3
  const total = sampleCount(text, options)
  const samplesPerChar = (options.msPerChar * options.sampleRate) / 1000
  const fade = Math.max(1, Math.floor(samplesPerChar / 8))
  return Int16Array.from({ length: total }, (_, index) => {
    const charIndex = Math.min(chars.length - 1, Math.floor(index / samplesPerChar))
    const char = chars[charIndex] ?? " "
    if (!isVoiced(char)) return 0
    const offset = index - Math.round(charIndex * samplesPerChar)
    const remaining = Math.round((charIndex + 1) * samplesPerChar) - index
    const envelope = Math.min(1, offset / fade, remaining / fade)
    const phase = (2 * Math.PI * pitchOf(char) * index) / options.sampleRate
    return Math.round(Math.sin(phase) * envelope * amplitude * 32767)
  })
}

/** A pure sine tone of `ms` milliseconds at `frequency` Hz and `amplitude` in [0, 1]. */
export const sine = (frequency: number, ms: number, sampleRate: number, amplitude: number): Int16Array =>
  Int16Array.from(
    { length: Math.round((ms * sampleRate) / 1000) },
    (_, index) => Math.round(Math.sin((2 * Math.PI * frequency * index) / sampleRate) * amplitude * 32767)
  )

/** `ms` milliseconds of silence. */
export const silence = (ms: number, sampleRate: number): Int16Array =>
  new Int16Array(Math.round((ms * sampleRate) / 1000))
