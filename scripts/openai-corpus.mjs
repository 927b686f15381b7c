/**
 * Regenerates the OpenAI Realtime protocol corpus (`test/corpus/openai-realtime-ga.json`) from
 * OpenAI's OpenAPI description (`openapi.yaml` of the `openai/openai-openapi` repository):
 *
 *   npm run corpus -- path/to/openapi.yaml [out.json]
 *
 * For each member of the `RealtimeServerEvent` and `RealtimeClientEvent` unions it writes the
 * event's `type`, its schema's name, the schema as plain JSON Schema and its documented examples.
 * The conversion is the one `test/corpus/README.md` describes. The output defaults to the
 * committed corpus; the tests never run this script (they need no upstream file).
 */
/* oxlint-disable no-console */
import { readFileSync, writeFileSync } from "node:fs"
import { parse } from "yaml"

const usage = "usage: npm run corpus -- path/to/openapi.yaml [out.json]"
const [input, output = "test/corpus/openai-realtime-ga.json"] = process.argv.slice(2)
if (input === undefined) {
  console.error(usage)
  process.exit(2)
}

const api = parse(readFileSync(input, "utf8"))
const schemas = api?.components?.schemas
if (schemas === undefined) {
  console.error(`${input}: no components.schemas (is it OpenAI's openapi.yaml?)`)
  process.exit(1)
}

const refPrefix = "#/components/schemas/"

/** The schema a `$ref` names. */
const resolve = (ref) => {
  if (!ref.startsWith(refPrefix) || !(ref.slice(refPrefix.length) in schemas)) {
    throw new Error(`unresolvable $ref: ${ref}`)
  }
  return schemas[ref.slice(refPrefix.length)]
}

/** Keywords that only document a schema (or steer OpenAI's generators): not kept. */
const dropped = new Set(["description", "title", "discriminator", "deprecated", "x-oaiMeta"])
const isDropped = (key, value) =>
  dropped.has(key) || key.startsWith("x-stainless-") ||
  // `format` as a keyword is an annotation ("uri", "binary", ...); a property named format is kept
  (key === "format" && typeof value === "string")

/**
 * One OpenAPI 3.0 schema as JSON Schema: `$ref`s inlined, `oneOf` read as `anyOf`, documentation
 * keywords dropped, and a schema that allows `null` (`nullable: true`, or `default: null`: the API
 * description writes both for "null turns it off") as an `anyOf` with `{ "type": "null" }`. `seen`
 * guards against a schema that contains itself (none of the realtime events does; inlining one
 * would never end).
 */
const convert = (schema, seen = []) => {
  if (Array.isArray(schema)) return schema.map((item) => convert(item, seen))
  if (schema === null || typeof schema !== "object") return schema
  if (typeof schema.$ref === "string") {
    if (seen.includes(schema.$ref)) throw new Error(`recursive schema: ${[...seen, schema.$ref].join(" -> ")}`)
    return convert(resolve(schema.$ref), [...seen, schema.$ref])
  }
  const out = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || isDropped(key, value)) continue
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, convert(s, seen)]))
    } else if (key === "oneOf") {
      out.anyOf = convert(value, seen)
    } else if (key === "example" || key === "default" || key === "enum" || key === "const") {
      out[key] = value
    } else {
      out[key] = convert(value, seen)
    }
  }
  return schema.nullable === true || schema.default === null ? { anyOf: [out, { type: "null" }] } : out
}

/** A number of an example as it is written there (`0.0` stays `0.0`). */
const numberAsWritten = (_key, value, context) => typeof value === "number" ? JSON.rawJSON(context.source) : value

/**
 * The examples of an event's `x-oaiMeta.example`: JSON objects, written loosely (`//` comments,
 * trailing commas, several objects one after another).
 */
const examplesOf = (text) => {
  if (typeof text !== "string") return []
  const values = []
  let value = "" // the value being read, its comments left out
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      value += char
      if (char === "\\") value += text[++i]
      else if (char === "\"") inString = false
    } else if (char === "/" && text[i + 1] === "/") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++
    } else if (depth > 0 || char === "{" || char === "[") {
      // (text outside the values, blank lines between them, is skipped)
      value += char
      if (char === "\"") inString = true
      else if (char === "{" || char === "[") depth++
      else if ((char === "}" || char === "]") && --depth === 0) {
        values.push(JSON.parse(value.replace(/,(\s*[}\]])/g, "$1"), numberAsWritten))
        value = ""
      }
    }
  }
  return values
}

/** The corpus entries of one union of events, in the union's order. */
const eventsOf = (unionName) => {
  const union = schemas[unionName]
  const members = union?.anyOf ?? union?.oneOf
  if (!Array.isArray(members)) throw new Error(`${unionName} is not a union in ${input}`)
  return members.map(({ $ref }) => {
    const raw = resolve($ref)
    const type = raw.properties?.type?.enum?.[0] ?? raw.properties?.type?.const
    return {
      schema: $ref.slice(refPrefix.length),
      type,
      examples: examplesOf(raw["x-oaiMeta"]?.example),
      jsonSchema: convert(raw, [$ref])
    }
  })
}

const corpus = {
  source: "openai/openai-openapi openapi.yaml, components.schemas RealtimeServerEvent / RealtimeClientEvent",
  serverEvents: eventsOf("RealtimeServerEvent"),
  clientEvents: eventsOf("RealtimeClientEvent")
}

// one space of indentation and ASCII only (non-ASCII characters as \u escapes), as committed
const text = JSON.stringify(corpus, null, 1).replace(
  /[\u007f-\uffff]/g,
  (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
)
writeFileSync(output, text + "\n")

const count = (events) => events.reduce((n, event) => n + event.examples.length, 0)
console.log(
  `${output}: ${corpus.serverEvents.length} server events, ${corpus.clientEvents.length} client events, ` +
    `${count(corpus.serverEvents) + count(corpus.clientEvents)} examples`
)
