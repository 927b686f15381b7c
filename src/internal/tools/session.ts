/**
 * A toolkit's tools as the session's function tools: name, description, and the JSON schema of the
 * parameters as `effect/ai` derives it from the parameters Schema (`Tool.getJsonSchema`), merged
 * into the tools an application sets itself.
 */
import { Tool } from "effect/ai"
import type { FunctionTool } from "../../RealtimeSessionSettings.js"

/** The function tools of a toolkit's tools; provider-defined tools (run by a provider) are left out. */
export const functionTools = (tools: Record<string, Tool.Any>): ReadonlyArray<FunctionTool> =>
  Object.values(tools).filter((tool) => !Tool.isProviderDefined(tool)).map((tool) => {
    const description = Tool.getDescription(tool)
    return {
      type: "function",
      name: tool.name,
      ...(description === undefined ? {} : { description }),
      parameters: Tool.getJsonSchema(tool)
    }
  })

/**
 * The application's tools with the toolkit's: a tool of the application named like one of the
 * toolkit's is replaced by it (the toolkit answers its calls), the others are kept in their order.
 */
export const mergeTools = <T extends object>(
  ours: ReadonlyArray<FunctionTool>,
  theirs: ReadonlyArray<T> | undefined
): ReadonlyArray<T | FunctionTool> => {
  const names = new Set(ours.map((tool) => tool.name))
  const kept = (theirs ?? []).filter((tool) =>
    !("name" in tool && typeof tool.name === "string" && names.has(tool.name))
  )
  return [...kept, ...ours]
}
