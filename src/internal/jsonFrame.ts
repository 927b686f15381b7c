/**
 * Reading a text frame as a JSON object, for every protocol's decoder: the parsed object, or why the
 * frame is not one (in the words an error event shows). Never throws.
 */

/** A frame read as a JSON object, or the reason it is not one (with what was read, and the cause). */
export type JsonFrame =
  | { readonly _tag: "Object"; readonly json: Record<string, unknown> }
  | { readonly _tag: "NotObject"; readonly json: unknown; readonly message: string; readonly cause: unknown }

/** Whether a JSON value is an object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Parses one text frame; `json` is the text itself when it is not JSON at all. */
export const parseJsonObject = (text: string): JsonFrame => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return {
      _tag: "NotObject",
      json: text,
      message: `the server sent a frame that is not JSON (${error instanceof Error ? error.message : String(error)})`,
      cause: error
    }
  }
  return isRecord(json)
    ? { _tag: "Object", json }
    : { _tag: "NotObject", json, message: "the server sent a JSON frame that is not an object", cause: undefined }
}
