/**
 * Base64 for audio frames: Node's Buffer where present (much faster on the audio hot path), else
 * Effect's portable codec.
 */
import { Result } from "effect"
import * as Base64 from "effect/encoding/Base64"

const NodeBuffer: typeof Buffer | undefined = typeof globalThis.Buffer === "function" ? globalThis.Buffer : undefined

/**
 * Decodes base64 audio. Invalid characters are skipped, as servers' base64 is trusted to be well
 * formed (the portable codec gives an empty chunk for invalid input).
 *
 * @category encoding
 */
export const decode = (text: string): Uint8Array => {
  if (NodeBuffer !== undefined) {
    const buffer = NodeBuffer.from(text, "base64")
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }
  return Result.getOrElse(Base64.decode(text), () => new Uint8Array())
}

/**
 * Encodes bytes as base64.
 *
 * @category encoding
 */
export const encode = (bytes: Uint8Array): string =>
  NodeBuffer !== undefined
    ? NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
    : Base64.encode(bytes)
