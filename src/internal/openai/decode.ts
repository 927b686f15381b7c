/**
 * Owns the hot path's check of server frames against the Schema of their event type. Each event type
 * gets its own guard from the same Schema the protocol module declares: a flat event (each field a
 * string or a number, optional ones also `null` or absent: the audio, transcript and text deltas)
 * gets a check read off its Schema's fields once, a loop over a few `typeof` tests; any other is
 * compiled by Effect's Schema JIT compiler (where code generation is blocked, Schema interprets it
 * as usual).
 *
 * Only the verdict is computed here: a frame that fails its check, or is not a JSON object with a
 * string `type`, goes through the protocol module's `decodeServerFrame`, which explains why and
 * keeps what rejected it as the cause.
 */
import { Schema } from "effect"
import type { SchemaAST } from "effect"
import * as SchemaJIT from "effect/schema/SchemaJITCompiler"
import { decodeServerFrame, ServerEvent } from "../protocol/serverEvents.js"
import type { ServerFrame } from "../protocol/serverEvents.js"

type Guard = (json: Record<string, unknown>) => json is Record<string, unknown> & ServerEvent

/** A field of a flat event: its name, the `typeof` its value has, whether it may be null or absent. */
interface FlatField {
  readonly name: string
  readonly kind: "string" | "number"
  readonly optional: boolean
}

/** `"string"` or `"number"` for a plain String or Number schema (no checks, no encoding). */
const kindOf = (ast: SchemaAST.AST): FlatField["kind"] | undefined =>
  ast.checks !== undefined || ast.encoding !== undefined
    ? undefined
    : ast._tag === "String"
    ? "string"
    : ast._tag === "Number"
    ? "number"
    : undefined

/** A field as a flat check: a plain string or number, or an optional key of one or `null`. */
const flatField = (name: string, ast: SchemaAST.AST): FlatField | undefined => {
  if (ast.context?.isOptional !== true) {
    const kind = kindOf(ast)
    return kind === undefined ? undefined : { name, kind, optional: false }
  }
  if (ast._tag !== "Union" || ast.checks !== undefined || ast.encoding !== undefined || ast.types.length !== 2) {
    return undefined
  }
  const [a, b] = ast.types
  const kind = a!._tag === "Null" ? kindOf(b!) : b!._tag === "Null" ? kindOf(a!) : undefined
  return kind === undefined ? undefined : { name, kind, optional: true }
}

/** The fields of an event (its `type` aside, which picked the guard) as flat checks, if they all are. */
const flatFields = (fields: Schema.Struct.Fields): ReadonlyArray<FlatField> | undefined => {
  const checks: Array<FlatField> = []
  for (const [name, field] of Object.entries(fields)) {
    if (name === "type") continue
    const check = flatField(name, field.ast)
    if (check === undefined) return undefined
    checks.push(check)
  }
  return checks
}

const flatGuard =
  (fields: ReadonlyArray<FlatField>): Guard => (json): json is Record<string, unknown> & ServerEvent => {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!
      const value = json[field.name]
      if (typeof value === field.kind) continue
      if (field.optional && (value === null || (value === undefined && !Object.hasOwn(json, field.name)))) continue
      return false
    }
    return true
  }

const guardOf = (member: (typeof ServerEvent.members)[number]): Guard => {
  const flat = flatFields(member.fields)
  if (flat !== undefined) return flatGuard(flat)
  SchemaJIT.enable(member.ast)
  return Schema.is(member)
}

const guards: ReadonlyMap<string, Guard> = new Map(
  ServerEvent.members.map((member) => [member.fields.type.literal, guardOf(member)] as const)
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

/**
 * The event types checked by a flat check rather than a compiled Schema guard (for the tests).
 *
 * @category decoding
 */
export const flatTypes: ReadonlyArray<string> = ServerEvent.members.filter((member) =>
  flatFields(member.fields) !== undefined
).map((member) => member.fields.type.literal)
