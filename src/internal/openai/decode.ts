/**
 * Owns the hot path's check of server frames against the Schema of their event type. Each event type
 * gets its own guard, compiled by Effect's Schema JIT compiler from the same Schema the protocol
 * module declares (where code generation is blocked, Schema interprets it as usual), so a burst
 * of audio deltas runs one small specialised check per frame instead of the shared interpreter.
 *
 * Only the verdict is computed here: a frame that fails its check, or is not a JSON object with a
 * string `type`, goes through the protocol module's `decodeServerFrame`, which explains why and
 * keeps what rejected it as the cause.
 */
import { Schema } from "effect"
import * as SchemaJIT from "effect/schema/SchemaJITCompiler"
import { decodeServerFrame, ServerEvent } from "../protocol/serverEvents.js"
import type { ServerFrame } from "../protocol/serverEvents.js"

type Guard = (json: Record<string, unknown>) => json is Record<string, unknown> & ServerEvent

const guards: ReadonlyMap<string, Guard> = new Map(
  ServerEvent.members.map((member) => {
    SchemaJIT.enable(member.ast)
    const guard: Guard = Schema.is(member)
    return [member.fields.type.literal, guard] as const
  })
)

/**
 * Parses and checks one text frame; the same answer as `decodeServerFrame`. Never throws.
 *
 * @category decoding
 */
export const decodeFrame = (text: string): ServerFrame => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return decodeServerFrame(text)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return decodeServerFrame(text)
  const record = json as Record<string, unknown>
  const type = record["type"]
  if (typeof type !== "string") return decodeServerFrame(text)
  const guard = guards.get(type)
  if (guard === undefined) return { _tag: "Unknown", type, json: record }
  return guard(record) ? { _tag: "Known", event: record, json: record } : decodeServerFrame(text)
}
