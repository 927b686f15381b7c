import { Either, Encoding } from "effect"

/** Node's Buffer when present (much faster on the audio hot path), else Effect's portable codec. */
const NodeBuffer: typeof Buffer | undefined = typeof globalThis.Buffer === "function" ? globalThis.Buffer : undefined

/** Decodes base64 audio. Invalid characters are skipped, as servers' base64 is trusted to be well formed. */
export const decode = (text: string): Uint8Array => {
  if (NodeBuffer !== undefined) {
    const buffer = NodeBuffer.from(text, "base64")
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }
  return Either.getOrElse(Encoding.decodeBase64(text), () => new Uint8Array())
}

/** Encodes bytes as base64. */
export const encode = (bytes: Uint8Array): string =>
  NodeBuffer !== undefined
    ? NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
    : Encoding.encodeBase64(bytes)
