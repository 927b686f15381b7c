/**
 * Session settings → OpenAI Live's session configuration (`session.start`), the sparse changes of
 * `session.update`, and the verdict on every setting Live does not have: refused (the application
 * relies on a behaviour the model would not have) or ignored with a note (the engine logs it at
 * Debug). `SETTINGS.md`, next to this file, is the table of what happens to each setting. The
 * default model is named once, here.
 *
 * Live splits a session in two: the Live model (voice, frontend instructions, turn-taking, its
 * own interruptions) and the backend its tasks are delegated to. A session with function tools
 * delegates to a Responses model (`delegation.responses`: the tools, tool choice, reasoning and
 * output limit go there); without tools, to the application (`delegation.type: "client"`).
 */
import type { AudioFormat } from "../../AudioFormat.js"
import * as AudioFormats from "../../AudioFormat.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { Line, ProtocolOptions } from "./state.js"
import type * as Wire from "./wire.js"
import { defined } from "./wire.js"

/** The Live model used when the settings name none. */
export const defaultModel = "gpt-live-1"

/** A setting Live cannot honour, and why. */
export interface Refusal {
  readonly setting: string
  readonly message: string
}

/** The outcome of reading the settings: the session's configuration, the refused settings, the notes on the ignored ones. */
export interface SessionPlan {
  readonly session: Wire.SessionConfig
  /** The session's audio format (both ways), when the settings give one Live can carry. */
  readonly format: AudioFormat
  readonly refused: ReadonlyArray<Refusal>
  readonly notes: ReadonlyArray<string>
}

/** A format as Live writes it: 24 kHz PCM16, or 8 kHz G.711. */
export const formatToWire = (format: AudioFormat): Wire.WireAudioFormat =>
  format === "pcm16"
    ? { type: "audio/pcm", rate: 24000 }
    : format === "g711_ulaw"
    ? { type: "audio/pcmu", rate: 8000 }
    : { type: "audio/pcma", rate: 8000 }

const audioFormat = (settings: RealtimeSessionSettings, refused: Array<Refusal>): AudioFormat => {
  const input = AudioFormats.resolve(settings.inputAudioFormat)
  const output = AudioFormats.resolve(settings.outputAudioFormat)
  if (input !== null && output !== null && input !== output) {
    refused.push({
      setting: "inputAudioFormat",
      message: `Live has one audio format for both ways; the input is ${input} and the output ${output}`
    })
  }
  return input ?? output ?? "pcm16"
}

/** Whether the session delegates to a Responses backend: it has tools. */
export const delegatesToBackend = (settings: RealtimeSessionSettings): boolean =>
  settings.tools !== undefined && settings.tools.length > 0

const functionTools = (
  settings: RealtimeSessionSettings,
  refused: Array<Refusal>
): Array<Wire.FunctionTool> => {
  const tools: Array<Wire.FunctionTool> = []
  for (const tool of settings.tools ?? []) {
    if (tool.type === "mcp") {
      refused.push({
        setting: "tools",
        message: `MCP tools (${tool.serverLabel}) are not carried to the Live session's backend by this library`
      })
    } else {
      tools.push(defined<Wire.FunctionTool>({
        type: "function",
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters
      }))
    }
  }
  return tools
}

const toolChoice = (
  settings: RealtimeSessionSettings,
  refused: Array<Refusal>
): Wire.ResponsesDelegation["tool_choice"] => {
  const choice = settings.toolChoice
  if (choice === undefined) return undefined
  if (typeof choice === "string") return choice
  if (choice.type === "function") return { type: "function", name: choice.name }
  refused.push({ setting: "toolChoice", message: "an MCP tool choice has no MCP tool to name on Live" })
  return undefined
}

/** The backend settings the session's settings give (tools, choice, parallel calls, reasoning, output limit). */
const backendFields = (settings: RealtimeSessionSettings, refused: Array<Refusal>) => ({
  tools: functionTools(settings, refused),
  tool_choice: toolChoice(settings, refused),
  parallel_tool_calls: settings.parallelToolCalls,
  reasoning: settings.reasoning?.effort === undefined ? undefined : { effort: settings.reasoning.effort },
  max_output_tokens: typeof settings.maxOutputTokens === "number" ? settings.maxOutputTokens : undefined
})

const delegation = (
  settings: RealtimeSessionSettings,
  options: ProtocolOptions,
  refused: Array<Refusal>,
  notes: Array<string>
): NonNullable<Wire.SessionConfig["delegation"]> => {
  if (!delegatesToBackend(settings)) {
    const backendOnly = (["toolChoice", "parallelToolCalls", "reasoning", "maxOutputTokens"] as const)
      .filter((key) => settings[key] !== undefined)
    if (backendOnly.length > 0) {
      notes.push(`${backendOnly.join(", ")}: ignored, the session has no tools and so no Responses backend`)
    }
    return defined<Wire.SessionConfig["delegation"] & { type: "client" }>({
      type: "client",
      acknowledgement_delay_ms: options.acknowledgementDelayMs
    })
  }
  return defined<Wire.SessionConfig["delegation"] & { type: "responses" }>({
    type: "responses",
    acknowledgement_delay_ms: options.acknowledgementDelayMs,
    responses: defined<Wire.ResponsesDelegation>({
      model: options.backendModel,
      instructions: options.backendInstructions,
      ...backendFields(settings, refused)
    })
  })
}

const ignoredWithNote = (settings: RealtimeSessionSettings, notes: Array<string>): void => {
  const note = (present: boolean, message: string) => {
    if (present) notes.push(message)
  }
  note(settings.speed !== undefined, "speed: ignored, Live has no speech rate")
  note(
    settings.inputAudioTranscription !== undefined,
    "inputAudioTranscription: ignored, Live always transcribes the user and takes no transcription settings"
  )
  note(settings.inputAudioNoiseReduction !== undefined, "inputAudioNoiseReduction: ignored, Live has none")
  note(
    settings.turnDetection !== undefined,
    "turnDetection: ignored, the Live model detects the turns itself (it listens while it speaks)"
  )
  note(settings.include !== undefined, "include: ignored, Live sends no logprobs")
  note(settings.truncation !== undefined, "truncation: ignored, Live compacts its context itself")
  note(settings.tracing !== undefined, "tracing: ignored, Live has no tracing setting")
}

const refusedOutright = (settings: RealtimeSessionSettings, refused: Array<Refusal>): void => {
  if (settings.prompt !== undefined) {
    refused.push({ setting: "prompt", message: "stored prompts are not available on Live" })
  }
  if (settings.outputModalities !== undefined && !settings.outputModalities.includes("audio")) {
    refused.push({
      setting: "outputModalities",
      message: "the Live model always speaks; text-only output is not available"
    })
  }
  const turn = settings.turnDetection
  if (turn !== undefined && turn !== null && turn.createResponse === false) {
    refused.push({
      setting: "turnDetection.createResponse",
      message: "the Live model decides itself when to speak; createResponse: false has no equivalent"
    })
  }
  if (turn !== undefined && turn !== null && turn.interruptResponse === false) {
    refused.push({
      setting: "turnDetection.interruptResponse",
      message:
        "the Live model decides itself when the user's speech interrupts it; interruptResponse: false has no equivalent"
    })
  }
}

/**
 * Reads the settings: the `session.start` configuration, with `history` (the conversation of an
 * earlier session of the call) as its startup input.
 */
export const plan = (
  settings: RealtimeSessionSettings,
  options: ProtocolOptions,
  history: ReadonlyArray<Line> = []
): SessionPlan => {
  const refused: Array<Refusal> = []
  const notes: Array<string> = []
  refusedOutright(settings, refused)
  ignoredWithNote(settings, notes)
  const format = audioFormat(settings, refused)
  const session = defined<Wire.SessionConfig>({
    model: settings.modelName ?? defaultModel,
    instructions: settings.instructions,
    audio: defined<NonNullable<Wire.SessionConfig["audio"]>>({
      format: formatToWire(format),
      output: settings.voice === undefined ? undefined : { voice: settings.voice }
    }),
    delegation: delegation(settings, options, refused, notes),
    input: history.length === 0 ? undefined : history.map(initialItem),
    store: options.store ? true : undefined,
    safety_identifier: options.safetyIdentifier
  })
  return { session, format, refused, notes }
}

/** One line of the conversation as a startup history message (one text part, as the API asks). */
export const initialItem = (line: Line): Wire.InitialItem =>
  line.role === "user"
    ? { type: "message", role: "user", content: [{ type: "input_text", text: line.text }] }
    : { type: "message", role: "assistant", content: [{ type: "output_text", text: line.text }] }

/**
 * What a settings change asks of a running session. Only the Responses backend can change while a
 * session runs (its tools, tool choice, parallel calls, reasoning, output limit): `update` is the
 * `session.update` for it (`null` when nothing changes on the wire). `fixed` names the settings
 * the start fixes that would change (model, instructions, voice, format, whether there is a
 * backend): a session cannot take them, only a new session can. `refused` are the new settings
 * Live refuses outright.
 */
export const updatePlan = (
  before: RealtimeSessionSettings,
  after: RealtimeSessionSettings,
  options: ProtocolOptions
): {
  readonly update: Wire.SessionUpdateConfig | null
  readonly fixed: ReadonlyArray<string>
  readonly refused: ReadonlyArray<Refusal>
} => {
  const old = plan(before, options)
  const next = plan(after, options)
  const compared: Array<[string, unknown, unknown]> = [
    ["modelName", old.session.model, next.session.model],
    ["instructions", old.session.instructions, next.session.instructions],
    ["voice", old.session.audio?.output, next.session.audio?.output],
    ["inputAudioFormat / outputAudioFormat", old.format, next.format],
    ["tools (whether the session has a backend)", old.session.delegation?.type, next.session.delegation?.type]
  ]
  const fixed = compared.filter(([, left, right]) => JSON.stringify(left) !== JSON.stringify(right))
    .map(([setting]) => setting)
  const refused = next.refused
  if (refused.length > 0 || fixed.length > 0 || next.session.delegation?.type !== "responses") {
    return { update: null, fixed, refused }
  }
  const oldBackend = old.session.delegation?.type === "responses" ? old.session.delegation.responses : undefined
  const newBackend = next.session.delegation.responses
  const changes = defined<Wire.ResponsesDelegationUpdate>({
    tools: JSON.stringify(oldBackend?.tools) !== JSON.stringify(newBackend.tools) ? newBackend.tools : undefined,
    tool_choice: JSON.stringify(oldBackend?.tool_choice) !== JSON.stringify(newBackend.tool_choice)
      ? newBackend.tool_choice ?? "auto"
      : undefined,
    parallel_tool_calls: oldBackend?.parallel_tool_calls !== newBackend.parallel_tool_calls
      ? newBackend.parallel_tool_calls ?? null
      : undefined,
    reasoning: JSON.stringify(oldBackend?.reasoning) !== JSON.stringify(newBackend.reasoning)
      ? newBackend.reasoning ?? null
      : undefined,
    max_output_tokens: oldBackend?.max_output_tokens !== newBackend.max_output_tokens
      ? newBackend.max_output_tokens ?? null
      : undefined
  })
  return Object.keys(changes).length === 0
    ? { update: null, fixed, refused }
    : { update: { delegation: { type: "responses", responses: changes } }, fixed, refused }
}
