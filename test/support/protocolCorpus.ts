/**
 * The protocol conformance corpus (every GA client and server event with its JSON schema and
 * documented examples), kept in `test/corpus/` (see its README), and ajv validators for it.
 */
import { Ajv } from "ajv"
import type { ValidateFunction } from "ajv"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface CorpusEvent {
  readonly type: string
  readonly schema: string
  readonly jsonSchema: Record<string, unknown>
  readonly examples: ReadonlyArray<unknown>
}

export interface Corpus {
  readonly serverEvents: ReadonlyArray<CorpusEvent>
  readonly clientEvents: ReadonlyArray<CorpusEvent>
}

export const corpus: Corpus = JSON.parse(
  readFileSync(fileURLToPath(new URL("../corpus/openai-realtime-ga.json", import.meta.url)), "utf8")
) as Corpus

const ajv = new Ajv({ strict: false, allErrors: true })
const compiled = new Map<string, ValidateFunction>()

const validatorFor = (events: ReadonlyArray<CorpusEvent>, side: string, type: string): ValidateFunction => {
  const key = `${side}:${type}`
  const cached = compiled.get(key)
  if (cached !== undefined) return cached
  const event = events.find((candidate) => candidate.type === type)
  if (event === undefined) throw new Error(`the corpus has no ${side} event ${type}`)
  const validate = ajv.compile(event.jsonSchema)
  compiled.set(key, validate)
  return validate
}

/** The ajv errors of a client frame against its event's schema (empty when valid). */
export const clientFrameErrors = (frame: Record<string, unknown>): ReadonlyArray<string> => {
  const validate = validatorFor(corpus.clientEvents, "client", String(frame["type"]))
  return validate(frame) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`)
}

/** The ajv errors of a server frame against its event's schema (empty when valid). */
export const serverFrameErrors = (frame: Record<string, unknown>): ReadonlyArray<string> => {
  const validate = validatorFor(corpus.serverEvents, "server", String(frame["type"]))
  return validate(frame) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`)
}
