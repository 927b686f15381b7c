/**
 * Audio formats spoken by realtime speech models, and the arithmetic that turns audio bytes into
 * playback time.
 *
 * @since 0.1.0
 */
import { Effect, Option, Schema, SchemaIssue, SchemaTransformation } from "effect"

/**
 * The canonical name of an audio format:
 * - `pcm16`: 16-bit little-endian signed PCM, mono, 24 kHz;
 * - `g711_ulaw` / `g711_alaw`: 8-bit G.711 companded audio, mono, 8 kHz.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AudioFormat = Schema.Literals(["pcm16", "g711_ulaw", "g711_alaw"])

/**
 * @since 0.1.0
 * @category models
 */
export type AudioFormat = typeof AudioFormat.Type

/**
 * Any spelling of an audio format that {@link normalize} reads: a canonical name, another name
 * (`"pcm"`, `"audio/pcmu"`, …) or a wire object (`{ type: "audio/pcm", rate: 24000 }`). A
 * spelling `normalize` does not recognise is an unknown format.
 *
 * @since 0.1.0
 * @category models
 */
export type AudioFormatSpelling =
  | AudioFormat
  | string
  | { readonly type: string; readonly rate?: number | undefined }

/**
 * Sample rate in Hz of each format.
 *
 * @since 0.1.0
 * @category getters
 */
export const sampleRate = (format: AudioFormat): number => format === "pcm16" ? 24_000 : 8_000

/**
 * Bytes one sample occupies in each format.
 *
 * @since 0.1.0
 * @category getters
 */
export const bytesPerSample = (format: AudioFormat): number => format === "pcm16" ? 2 : 1

/**
 * Playback duration in milliseconds of `byteLength` bytes of audio, in a format given in any
 * spelling {@link normalize} reads. An unknown or absent format is treated as `pcm16` (the
 * protocol's default); zero bytes last zero milliseconds.
 *
 * @since 0.1.0
 * @category math
 */
export const durationMs = (format: AudioFormatSpelling | null | undefined, byteLength: number): number => {
  const resolved = resolve(format) ?? "pcm16"
  return (byteLength / bytesPerSample(resolved) / sampleRate(resolved)) * 1000
}

/**
 * Number of bytes that `ms` milliseconds of audio occupy in `format` (rounded down to whole samples).
 *
 * @since 0.1.0
 * @category math
 */
export const bytesForMs = (format: AudioFormat, ms: number): number =>
  Math.floor((ms * sampleRate(format)) / 1000) * bytesPerSample(format)

const byName: Readonly<Record<string, AudioFormat>> = {
  "pcm16": "pcm16",
  "pcm": "pcm16",
  "g711_ulaw": "g711_ulaw",
  "ulaw": "g711_ulaw",
  "pcmu": "g711_ulaw",
  "g711_alaw": "g711_alaw",
  "alaw": "g711_alaw",
  "pcma": "g711_alaw",
  // the MIME names, which the GA protocol's format objects carry
  "audio/pcm": "pcm16",
  "audio/pcmu": "g711_ulaw",
  "audio/pcma": "g711_alaw"
}

/** A name of the library's own, or a MIME name (`audio/pcmu`, …). */
const byAnyName = (name: string): AudioFormat | undefined => {
  const key = name.trim().toLowerCase()
  return Object.hasOwn(byName, key) ? byName[key] : undefined
}

/**
 * Reads any spelling of an audio format that the wire or a user may give: `"pcm16"`, `"pcm"`,
 * `"audio/pcm"`, `{ type: "audio/pcm", rate: 24000 }`, `"g711_ulaw"`, `"audio/pcmu"`,
 * `{ type: "audio/pcmu" }`, and the same for A-law. A PCM object with a rate other than 24 kHz is
 * not a format the protocol can speak, so it is not recognised.
 *
 * @since 0.1.0
 * @category converting
 */
export const normalize = (input: unknown): Option.Option<AudioFormat> => {
  if (typeof input === "string") {
    return Option.fromNullishOr(byAnyName(input))
  }
  if (typeof input === "object" && input !== null && "type" in input && typeof input.type === "string") {
    const format = byAnyName(input.type)
    if (format === "pcm16" && "rate" in input && input.rate !== undefined && input.rate !== 24_000) {
      return Option.none()
    }
    return Option.fromNullishOr(format)
  }
  return Option.none()
}

/**
 * The canonical format of a spelling, or `null` when it is absent or unknown (see
 * {@link normalize}).
 *
 * @since 0.1.0
 * @category converting
 */
export const resolve = (format: AudioFormatSpelling | null | undefined): AudioFormat | null =>
  format === "pcm16" || format === "g711_ulaw" || format === "g711_alaw"
    ? format
    : Option.getOrNull(normalize(format))

/**
 * A Schema that accepts every spelling {@link normalize} understands and decodes it to the
 * canonical {@link AudioFormat}; it encodes back to the canonical name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AudioFormatInput: Schema.Codec<AudioFormat, unknown> = Schema.Unknown.pipe(
  Schema.decodeTo(
    AudioFormat,
    SchemaTransformation.transformEffect({
      decode: (input, options) =>
        Option.match(normalize(input), {
          onNone: () =>
            Effect.fail(
              new SchemaIssue.InvalidValue(
                {
                  message: `unsupported audio format ${JSON.stringify(input)}: expected pcm16, g711_ulaw or g711_alaw`
                },
                input,
                options
              )
            ),
          onSome: (format) => Effect.succeed(format)
        }),
      encode: (format: AudioFormat) => Effect.succeed<unknown>(format)
    })
  )
)
