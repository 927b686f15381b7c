/**
 * Session settings → the GA `session` object of `session.update` (and of a SIP call's accept):
 * camelCase in the domain, the protocol's exact spelling on the wire, built as the session
 * Schema's encoded type so a misspelt field does not compile. {@link sessionUpdate} is the one
 * place a `session.update` frame is built. {@link settingsByWirePath} names, for every property
 * path of the protocol's realtime session, the setting that produces it.
 */
import { Redacted } from "effect"
import type * as Settings from "../../RealtimeSessionSettings.js"
import { defaultModelName } from "../../RealtimeSessionSettings.js"
import { audioFormatToWire } from "./audioFormat.js"
import type { SessionUpdate } from "./clientEvents.js"
import type * as Wire from "./wire.js"

/**
 * The defaults the library uses where the user's settings say nothing.
 *
 * @category constants
 */
export const defaults = {
  voice: "marin",
  transcriptionModel: "gpt-4o-mini-transcribe",
  turnDetection: { type: "semantic_vad", create_response: true, interrupt_response: true }
} as const

/**
 * The `session` object of `session.update` as JSON.
 *
 * @category models
 */
export type SessionJson = typeof Wire.Session.Encoded
type Audio = NonNullable<SessionJson["audio"]>
type AudioInput = NonNullable<Audio["input"]>
type AudioOutput = NonNullable<Audio["output"]>
type TurnDetectionJson = typeof Wire.TurnDetection.Encoded
type ToolFilterJson = NonNullable<
  Extract<typeof Wire.McpTool.Encoded["allowed_tools"], { readonly read_only?: unknown }>
>
type PromptJson = NonNullable<SessionJson["prompt"]>
type TracingJson = NonNullable<SessionJson["tracing"]>
type Variant<Union, Type extends string> = Extract<Union, { readonly type: Type }>

/** The fields of `T`, where an optional one may be `undefined` (and is then left out). */
type Fields<T> = { readonly [K in keyof T]: T[K] | ({} extends Pick<T, K> ? undefined : never) }

/** A `T` made of the fields whose value is defined. */
const defined = <T extends object>(fields: Fields<T>): T => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out as T
}

const nonEmpty = <T extends object>(json: T): T | undefined => Object.keys(json).length > 0 ? json : undefined

/**
 * Turn detection on the wire.
 *
 * @category to the wire
 */
export const turnDetectionToWire = (turn: Settings.TurnDetection): TurnDetectionJson =>
  turn.type === "server_vad"
    ? defined<typeof Wire.ServerVad.Encoded>({
      type: "server_vad",
      threshold: turn.threshold,
      prefix_padding_ms: turn.prefixPaddingMs,
      silence_duration_ms: turn.silenceDurationMs,
      idle_timeout_ms: turn.idleTimeoutMs,
      create_response: turn.createResponse,
      interrupt_response: turn.interruptResponse
    })
    : defined<typeof Wire.SemanticVad.Encoded>({
      type: "semantic_vad",
      eagerness: turn.eagerness,
      create_response: turn.createResponse,
      interrupt_response: turn.interruptResponse
    })

const transcriptionToWire = (
  transcription: typeof Settings.InputAudioTranscription.Type
): typeof Wire.Transcription.Encoded =>
  defined<typeof Wire.Transcription.Encoded>({
    model: transcription.model ?? defaults.transcriptionModel,
    language: transcription.language,
    languages: transcription.languages,
    keywords: transcription.keywords,
    prompt: transcription.prompt,
    delay: transcription.delay
  })

const filterToWire = (filter: typeof Settings.McpToolFilter.Type): ToolFilterJson =>
  defined<ToolFilterJson>({ tool_names: filter.toolNames, read_only: filter.readOnly })

const isToolNames = (
  allowed: ReadonlyArray<string> | typeof Settings.McpToolFilter.Type
): allowed is ReadonlyArray<string> => Array.isArray(allowed)

const approvalToWire = (
  approval: typeof Settings.McpRequireApproval.Type
): NonNullable<typeof Wire.McpTool.Encoded["require_approval"]> =>
  typeof approval === "string" ? approval : defined<{
    readonly always?: ToolFilterJson
    readonly never?: ToolFilterJson
  }>({
    always: approval.always === undefined ? undefined : filterToWire(approval.always),
    never: approval.never === undefined ? undefined : filterToWire(approval.never)
  })

const mcpToolToWire = (tool: Settings.McpTool): typeof Wire.McpTool.Encoded =>
  defined<typeof Wire.McpTool.Encoded>({
    type: "mcp",
    server_label: tool.serverLabel,
    server_url: tool.serverUrl,
    connector_id: tool.connectorId,
    tunnel_id: tool.tunnelId,
    authorization: tool.authorization === undefined ? undefined : Redacted.value(tool.authorization),
    server_description: tool.serverDescription,
    headers: tool.headers,
    allowed_tools: tool.allowedTools == null || isToolNames(tool.allowedTools)
      ? tool.allowedTools
      : filterToWire(tool.allowedTools),
    allowed_callers: tool.allowedCallers,
    require_approval: tool.requireApproval == null ? tool.requireApproval : approvalToWire(tool.requireApproval),
    defer_loading: tool.deferLoading
  })

const toolToWire = (tool: Settings.Tool): typeof Wire.Tool.Encoded =>
  tool.type === "mcp" ? mcpToolToWire(tool) : defined<typeof Wire.FunctionTool.Encoded>({
    type: "function",
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters ?? { type: "object", properties: {} }
  })

const toolChoiceToWire = (choice: typeof Settings.ToolChoice.Type): typeof Wire.ToolChoice.Encoded =>
  typeof choice === "string" || choice.type === "function"
    ? choice
    : defined<Variant<typeof Wire.ToolChoice.Encoded, "mcp">>({
      type: "mcp",
      server_label: choice.serverLabel,
      name: choice.name
    })

const truncationToWire = (truncation: typeof Settings.Truncation.Type): typeof Wire.Truncation.Encoded =>
  typeof truncation === "string" ? truncation : defined<Variant<typeof Wire.Truncation.Encoded, "retention_ratio">>({
    type: "retention_ratio",
    retention_ratio: truncation.retentionRatio,
    token_limits: truncation.tokenLimits === undefined
      ? undefined
      : defined<{ readonly post_instructions?: number }>({ post_instructions: truncation.tokenLimits.postInstructions })
  })

const tracingToWire = (tracing: typeof Settings.Tracing.Type | null): TracingJson | null =>
  tracing === null || tracing === "auto" ? tracing : defined<Exclude<TracingJson, string>>({
    workflow_name: tracing.workflowName,
    group_id: tracing.groupId,
    metadata: tracing.metadata
  })

type PromptVariableJson = typeof Wire.PromptVariable.Encoded

const variableToWire = (variable: Settings.PromptVariable): PromptVariableJson => {
  if (typeof variable === "string") return variable
  const prompt_cache_breakpoint = variable.promptCacheBreakpoint
  switch (variable.type) {
    case "input_text":
      return defined<Variant<PromptVariableJson, "input_text">>({
        type: "input_text",
        text: variable.text,
        prompt_cache_breakpoint
      })
    case "input_image":
      return defined<Variant<PromptVariableJson, "input_image">>({
        type: "input_image",
        image_url: variable.imageUrl,
        file_id: variable.fileId,
        detail: variable.detail,
        prompt_cache_breakpoint
      })
    case "input_file":
      return defined<Variant<PromptVariableJson, "input_file">>({
        type: "input_file",
        file_id: variable.fileId,
        filename: variable.filename,
        file_data: variable.fileData,
        file_url: variable.fileUrl,
        detail: variable.detail,
        prompt_cache_breakpoint
      })
  }
}

const promptToWire = (prompt: typeof Settings.Prompt.Type): PromptJson =>
  defined<PromptJson>({
    id: prompt.id,
    version: prompt.version,
    variables: prompt.variables == null
      ? prompt.variables
      : Object.fromEntries(Object.entries(prompt.variables).map(([name, value]) => [name, variableToWire(value)]))
  })

/**
 * The GA `session` object for `session.update`. With `withDefaults` (the initial update) every
 * audio field the user left out gets the library's default; a later update sends only what is given.
 *
 * @category to the wire
 */
export const sessionToWire = (settings: Settings.RealtimeSessionSettings, withDefaults: boolean): SessionJson => {
  const inputFormat = settings.inputAudioFormat ?? (withDefaults ? "pcm16" : undefined)
  const outputFormat = settings.outputAudioFormat ?? (withDefaults ? "pcm16" : undefined)
  const transcription = settings.inputAudioTranscription
  const turn = settings.turnDetection
  const input = nonEmpty(defined<AudioInput>({
    format: inputFormat === undefined ? undefined : audioFormatToWire(inputFormat),
    transcription: transcription === undefined
      ? (withDefaults ? { model: defaults.transcriptionModel } : undefined)
      : transcription === null
      ? null
      : transcriptionToWire(transcription),
    noise_reduction: settings.inputAudioNoiseReduction,
    turn_detection: turn === undefined
      ? (withDefaults ? defaults.turnDetection : undefined)
      : turn === null
      ? null
      : turnDetectionToWire(turn)
  }))
  const output = nonEmpty(defined<AudioOutput>({
    format: outputFormat === undefined ? undefined : audioFormatToWire(outputFormat),
    voice: settings.voice ?? (withDefaults ? defaults.voice : undefined),
    speed: settings.speed
  }))
  return defined<SessionJson>({
    type: "realtime",
    model: withDefaults || settings.modelName !== undefined ? settings.modelName ?? defaultModelName : undefined,
    output_modalities: settings.outputModalities ?? (withDefaults ? ["audio"] : undefined),
    instructions: settings.instructions,
    audio: nonEmpty(defined<Audio>({ input, output })),
    include: settings.include,
    tools: settings.tools?.map(toolToWire),
    tool_choice: settings.toolChoice === undefined ? undefined : toolChoiceToWire(settings.toolChoice),
    parallel_tool_calls: settings.parallelToolCalls,
    tracing: settings.tracing === undefined ? undefined : tracingToWire(settings.tracing),
    max_output_tokens: settings.maxOutputTokens,
    truncation: settings.truncation === undefined ? undefined : truncationToWire(settings.truncation),
    prompt: settings.prompt === undefined ? undefined : promptToWire(settings.prompt),
    reasoning: settings.reasoning === undefined
      ? undefined
      : defined<NonNullable<SessionJson["reasoning"]>>({ effort: settings.reasoning.effort })
  })
}

/**
 * The one `session.update` frame the library writes: the initial one (`withDefaults`) at connect
 * and every later update.
 *
 * @category to the wire
 */
export const sessionUpdate = (settings: Settings.RealtimeSessionSettings, withDefaults: boolean): SessionUpdate => ({
  type: "session.update",
  session: sessionToWire(settings, withDefaults)
})

/**
 * For every property path of the protocol's realtime session (`a.b`, `[]` for array items, `*`
 * for a map's values), the setting that produces it, as a path into {@link Settings.RealtimeSessionSettings};
 * a value starting with `=` is written by the library itself (`=object`: a grouping object, else that constant).
 *
 * @category to the wire
 */
export const settingsByWirePath: Readonly<Record<string, string>> = {
  "type": "=realtime",
  "model": "modelName",
  "output_modalities": "outputModalities",
  "instructions": "instructions",
  "audio": "=object",
  "audio.input": "=object",
  "audio.input.format": "inputAudioFormat",
  "audio.input.format.type": "=inputAudioFormat, normalised",
  "audio.input.format.rate": "=inputAudioFormat, normalised",
  "audio.input.transcription": "inputAudioTranscription",
  "audio.input.transcription.model": "inputAudioTranscription.model",
  "audio.input.transcription.language": "inputAudioTranscription.language",
  "audio.input.transcription.languages": "inputAudioTranscription.languages",
  "audio.input.transcription.keywords": "inputAudioTranscription.keywords",
  "audio.input.transcription.prompt": "inputAudioTranscription.prompt",
  "audio.input.transcription.delay": "inputAudioTranscription.delay",
  "audio.input.noise_reduction": "inputAudioNoiseReduction",
  "audio.input.noise_reduction.type": "inputAudioNoiseReduction.type",
  "audio.input.turn_detection": "turnDetection",
  "audio.input.turn_detection.type": "turnDetection.type",
  "audio.input.turn_detection.threshold": "turnDetection.threshold",
  "audio.input.turn_detection.prefix_padding_ms": "turnDetection.prefixPaddingMs",
  "audio.input.turn_detection.silence_duration_ms": "turnDetection.silenceDurationMs",
  "audio.input.turn_detection.create_response": "turnDetection.createResponse",
  "audio.input.turn_detection.interrupt_response": "turnDetection.interruptResponse",
  "audio.input.turn_detection.idle_timeout_ms": "turnDetection.idleTimeoutMs",
  "audio.input.turn_detection.eagerness": "turnDetection.eagerness",
  "audio.output": "=object",
  "audio.output.format": "outputAudioFormat",
  "audio.output.format.type": "=outputAudioFormat, normalised",
  "audio.output.format.rate": "=outputAudioFormat, normalised",
  "audio.output.voice": "voice",
  "audio.output.voice.id": "voice.id",
  "audio.output.speed": "speed",
  "include": "include",
  "tracing": "tracing",
  "tracing.workflow_name": "tracing.workflowName",
  "tracing.group_id": "tracing.groupId",
  "tracing.metadata": "tracing.metadata",
  "tools": "tools",
  "tools[].type": "tools[].type",
  "tools[].name": "tools[].name",
  "tools[].description": "tools[].description",
  "tools[].parameters": "tools[].parameters",
  "tools[].server_label": "tools[].serverLabel",
  "tools[].server_url": "tools[].serverUrl",
  "tools[].connector_id": "tools[].connectorId",
  "tools[].tunnel_id": "tools[].tunnelId",
  "tools[].authorization": "tools[].authorization",
  "tools[].server_description": "tools[].serverDescription",
  "tools[].headers": "tools[].headers",
  "tools[].allowed_tools": "tools[].allowedTools",
  "tools[].allowed_tools.tool_names": "tools[].allowedTools.toolNames",
  "tools[].allowed_tools.read_only": "tools[].allowedTools.readOnly",
  "tools[].allowed_callers": "tools[].allowedCallers",
  "tools[].require_approval": "tools[].requireApproval",
  "tools[].require_approval.always": "tools[].requireApproval.always",
  "tools[].require_approval.always.tool_names": "tools[].requireApproval.always.toolNames",
  "tools[].require_approval.always.read_only": "tools[].requireApproval.always.readOnly",
  "tools[].require_approval.never": "tools[].requireApproval.never",
  "tools[].require_approval.never.tool_names": "tools[].requireApproval.never.toolNames",
  "tools[].require_approval.never.read_only": "tools[].requireApproval.never.readOnly",
  "tools[].defer_loading": "tools[].deferLoading",
  "tool_choice": "toolChoice",
  "tool_choice.type": "toolChoice.type",
  "tool_choice.name": "toolChoice.name",
  "tool_choice.server_label": "toolChoice.serverLabel",
  "parallel_tool_calls": "parallelToolCalls",
  "reasoning": "reasoning",
  "reasoning.effort": "reasoning.effort",
  "max_output_tokens": "maxOutputTokens",
  "truncation": "truncation",
  "truncation.type": "truncation.type",
  "truncation.retention_ratio": "truncation.retentionRatio",
  "truncation.token_limits": "truncation.tokenLimits",
  "truncation.token_limits.post_instructions": "truncation.tokenLimits.postInstructions",
  "prompt": "prompt",
  "prompt.id": "prompt.id",
  "prompt.version": "prompt.version",
  "prompt.variables": "prompt.variables",
  "prompt.variables.*.type": "prompt.variables.*.type",
  "prompt.variables.*.text": "prompt.variables.*.text",
  "prompt.variables.*.prompt_cache_breakpoint": "prompt.variables.*.promptCacheBreakpoint",
  "prompt.variables.*.prompt_cache_breakpoint.mode": "prompt.variables.*.promptCacheBreakpoint.mode",
  "prompt.variables.*.image_url": "prompt.variables.*.imageUrl",
  "prompt.variables.*.file_id": "prompt.variables.*.fileId",
  "prompt.variables.*.detail": "prompt.variables.*.detail",
  "prompt.variables.*.filename": "prompt.variables.*.filename",
  "prompt.variables.*.file_data": "prompt.variables.*.fileData",
  "prompt.variables.*.file_url": "prompt.variables.*.fileUrl"
}
