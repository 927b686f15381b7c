import { describe, expect, it } from "@effect/vitest"
import { Redacted, Schema } from "effect"
import { decodeServerFrame } from "../../src/internal/protocol/serverEvents.js"
import {
  sessionToWire,
  sessionUpdate as sessionUpdateFrame,
  settingsByWirePath
} from "../../src/internal/protocol/session.js"
import * as Settings from "../../src/RealtimeSessionSettings.js"
import { clientFrameErrors, corpus } from "../support/protocolCorpus.js"

type Node = Record<string, unknown>

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value)

/** Every property path of a JSON schema: `a.b`, `[]` for array items, `*` for a map's values. */
const schemaPaths = (node: unknown, prefix: string, out: Set<string>): Set<string> => {
  if (!isNode(node)) return out
  if (isNode(node["properties"])) {
    for (const [key, child] of Object.entries(node["properties"])) {
      const path = prefix === "" ? key : `${prefix}.${key}`
      out.add(path)
      schemaPaths(child, path, out)
    }
  }
  if (Array.isArray(node["anyOf"])) { for (const member of node["anyOf"]) schemaPaths(member, prefix, out) }
  if (node["items"] !== undefined) schemaPaths(node["items"], `${prefix}[]`, out)
  if (isNode(node["additionalProperties"])) schemaPaths(node["additionalProperties"], `${prefix}.*`, out)
  return out
}

/** The values a path reaches in a JSON value (`[]` and `*` fan out). */
const valuesAt = (value: unknown, path: string): ReadonlyArray<unknown> => {
  let current: ReadonlyArray<unknown> = [value]
  for (const segment of path.replace(/\[\]/g, ".[]").split(".")) {
    current = current.flatMap((node): ReadonlyArray<unknown> => {
      if (segment === "[]") return Array.isArray(node) ? node : []
      if (!isNode(node)) return []
      if (segment === "*") return Object.values(node)
      return node[segment] === undefined ? [] : [node[segment]]
    })
  }
  return current
}

/** Every enumerated (or constant) value of a JSON schema, by property path. */
const schemaEnums = (
  node: unknown,
  path: string,
  out: Array<readonly [string, unknown]>
): Array<readonly [string, unknown]> => {
  if (!isNode(node)) return out
  if (Array.isArray(node["enum"])) { for (const value of node["enum"]) out.push([path, value]) }
  if (node["const"] !== undefined) out.push([path, node["const"]])
  if (isNode(node["properties"])) {
    for (const [key, child] of Object.entries(node["properties"])) {
      schemaEnums(child, path === "" ? key : `${path}.${key}`, out)
    }
  }
  if (Array.isArray(node["anyOf"])) { for (const member of node["anyOf"]) schemaEnums(member, path, out) }
  if (node["items"] !== undefined) schemaEnums(node["items"], `${path}[]`, out)
  if (isNode(node["additionalProperties"])) schemaEnums(node["additionalProperties"], `${path}.*`, out)
  return out
}

/** Per enumerated wire path: settings (as a user writes them) that put the value there. */
const withEnum: Readonly<Record<string, (value: string) => unknown>> = {
  "type": () => ({}),
  "output_modalities[]": (value) => ({ outputModalities: [value] }),
  "model": (value) => ({ modelName: value }),
  "audio.input.format.type": (value) => ({ inputAudioFormat: { type: value } }),
  "audio.input.format.rate": (value) => ({ inputAudioFormat: { type: "audio/pcm", rate: Number(value) } }),
  "audio.output.format.type": (value) => ({ outputAudioFormat: { type: value } }),
  "audio.output.format.rate": (value) => ({ outputAudioFormat: { type: "audio/pcm", rate: Number(value) } }),
  "audio.input.transcription.model": (value) => ({ inputAudioTranscription: { model: value } }),
  "audio.input.transcription.delay": (value) => ({ inputAudioTranscription: { delay: value } }),
  "audio.input.noise_reduction.type": (value) => ({ inputAudioNoiseReduction: { type: value } }),
  "audio.input.turn_detection.type": (value) => ({ turnDetection: { type: value } }),
  "audio.input.turn_detection.eagerness": (value) => ({ turnDetection: { type: "semantic_vad", eagerness: value } }),
  "audio.output.voice": (value) => ({ voice: value }),
  "include[]": (value) => ({ include: [value] }),
  "tracing": (value) => ({ tracing: value }),
  "tools[].type": (value) => ({
    tools: [value === "mcp" ? { type: value, serverLabel: "docs" } : { type: value, name: "lookup" }]
  }),
  "tools[].connector_id": (value) => ({ tools: [{ type: "mcp", serverLabel: "docs", connectorId: value }] }),
  "tools[].allowed_callers[]": (value) => ({ tools: [{ type: "mcp", serverLabel: "docs", allowedCallers: [value] }] }),
  "tools[].require_approval": (value) => ({ tools: [{ type: "mcp", serverLabel: "docs", requireApproval: value }] }),
  "tool_choice": (value) => ({ toolChoice: value }),
  "tool_choice.type": (value) => ({
    toolChoice: value === "mcp" ? { type: value, serverLabel: "docs" } : { type: value, name: "lookup" }
  }),
  "reasoning.effort": (value) => ({ reasoning: { effort: value } }),
  "max_output_tokens": (value) => ({ maxOutputTokens: value }),
  "truncation": (value) => ({ truncation: value }),
  "truncation.type": (value) => ({ truncation: { type: value, retentionRatio: 0.5 } }),
  "prompt.variables.*.type": (value) => ({
    prompt: {
      id: "pmpt_1",
      variables: {
        v: value === "input_text"
          ? { type: value, text: "t" }
          : value === "input_image"
          ? { type: value, detail: "auto" }
          : { type: value }
      }
    }
  }),
  "prompt.variables.*.detail": (value) => ({
    prompt: {
      id: "pmpt_1",
      variables: {
        image: { type: "input_image", detail: value },
        ...(value === "original" ? {} : { file: { type: "input_file", detail: value } })
      }
    }
  }),
  "prompt.variables.*.prompt_cache_breakpoint.mode": (value) => ({
    prompt: {
      id: "pmpt_1",
      variables: {
        text: { type: "input_text", text: "t", promptCacheBreakpoint: { mode: value } },
        image: { type: "input_image", detail: "low", promptCacheBreakpoint: { mode: value } },
        file: { type: "input_file", promptCacheBreakpoint: { mode: value } }
      }
    }
  })
}

const sessionUpdate = corpus.clientEvents.find((event) => event.type === "session.update")
const sessionSchema = isNode(sessionUpdate?.jsonSchema["properties"])
  ? sessionUpdate.jsonSchema["properties"]["session"]
  : undefined
const realtimeSession = isNode(sessionSchema) && Array.isArray(sessionSchema["anyOf"])
  ? sessionSchema["anyOf"].find((member) =>
    valuesAt(member, "properties.type.enum").some((e) => Array.isArray(e) && e.includes("realtime"))
  )
  : undefined
const wirePaths = [...schemaPaths(realtimeSession, "", new Set())].sort()
const wireEnums = schemaEnums(realtimeSession, "", [])

const filter = { toolNames: ["search"], readOnly: true }

/** Two settings values that together set every setting (the alternatives of a union in each). */
const fullySet: ReadonlyArray<Settings.RealtimeSessionSettings> = [
  {
    modelName: "gpt-realtime-2.1",
    instructions: "Be brief.",
    outputModalities: ["audio"],
    voice: "cedar",
    speed: 1.2,
    inputAudioFormat: "pcm16",
    outputAudioFormat: "g711_ulaw",
    inputAudioTranscription: {
      model: "gpt-4o-transcribe",
      language: "en",
      languages: ["en", "nb"],
      keywords: ["Oslo", "Bergen"],
      prompt: "Norwegian place names",
      delay: "xhigh"
    },
    inputAudioNoiseReduction: { type: "far_field" },
    turnDetection: {
      type: "server_vad",
      threshold: 0.6,
      prefixPaddingMs: 300,
      silenceDurationMs: 500,
      idleTimeoutMs: 6000,
      createResponse: true,
      interruptResponse: false
    },
    include: ["item.input_audio_transcription.logprobs"],
    tracing: { workflowName: "support", groupId: "g1", metadata: { team: "voice" } },
    tools: [
      { type: "function", name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } },
      {
        type: "mcp",
        serverLabel: "docs",
        serverUrl: "https://mcp.example.com/sse",
        authorization: Redacted.make("oauth-token"),
        serverDescription: "Product docs",
        headers: { "x-team": "voice" },
        allowedTools: filter,
        allowedCallers: ["direct", "programmatic"],
        requireApproval: { always: filter, never: { toolNames: ["ping"], readOnly: false } },
        deferLoading: true
      },
      {
        type: "mcp",
        serverLabel: "mail",
        connectorId: "connector_gmail",
        tunnelId: "tunnel_0123456789abcdef0123456789abcdef",
        allowedTools: ["read"],
        requireApproval: "never"
      }
    ],
    toolChoice: { type: "mcp", serverLabel: "docs", name: "search" },
    parallelToolCalls: false,
    reasoning: { effort: "xhigh" },
    maxOutputTokens: 2048,
    truncation: { type: "retention_ratio", retentionRatio: 0.8, tokenLimits: { postInstructions: 4000 } },
    prompt: {
      id: "pmpt_1",
      version: "3",
      variables: {
        city: "Oslo",
        note: { type: "input_text", text: "hi", promptCacheBreakpoint: { mode: "explicit" } },
        photo: { type: "input_image", imageUrl: "https://x/y.png", fileId: null, detail: "original" },
        manual: {
          type: "input_file",
          fileId: "file_1",
          filename: "manual.pdf",
          fileData: "JVBERi0=",
          fileUrl: "https://x/manual.pdf",
          detail: "low"
        }
      }
    }
  },
  {
    voice: { id: "voice_1234" },
    turnDetection: { type: "semantic_vad", eagerness: "high", createResponse: false, interruptResponse: true },
    toolChoice: { type: "function", name: "lookup" },
    truncation: "disabled",
    tracing: "auto",
    maxOutputTokens: "inf"
  }
]

const frames = fullySet.map((settings) => sessionUpdateFrame(settings, true))

describe("session settings cover the protocol's realtime session", () => {
  it("finds the session's property paths in the corpus", () => {
    // 83 paths of the realtime session's variant as this walk counts them (map values and array items
    // included), and the 7 that the corrected corpus restored: the audio formats and a tool's description
    expect(wirePaths.length).toBe(90)
    expect(wirePaths).toContain("truncation.token_limits.post_instructions")
  })

  it("names a setting for every property path, and no path the protocol lacks", () => {
    expect(wirePaths.filter((path) => settingsByWirePath[path] === undefined)).toEqual([])
    expect(Object.keys(settingsByWirePath).filter((path) => !wirePaths.includes(path))).toEqual([])
  })

  it("sets every named setting in the fully populated values, and each reaches its wire path", () => {
    const unset = Object.entries(settingsByWirePath).filter(([, setting]) =>
      !setting.startsWith("=") && fullySet.every((settings) => valuesAt(settings, setting).length === 0)
    )
    expect(unset).toEqual([])
    const unwritten = wirePaths.filter((path) => frames.every((frame) => valuesAt(frame.session, path).length === 0))
    expect(unwritten).toEqual([])
  })

  it("accepts every enumerated value the protocol allows, and writes it", () => {
    expect(wireEnums.length).toBeGreaterThan(60)
    expect([...new Set(wireEnums.map(([path]) => path))].filter((path) => withEnum[path] === undefined)).toEqual([])
    const failures = wireEnums.flatMap(([path, value]) => {
      const input = withEnum[path]?.(String(value))
      const decoded = Schema.decodeUnknownResult(Settings.RealtimeSessionSettings)(input)
      if (decoded._tag === "Failure") return [`${path}=${String(value)}: ${decoded.failure.message}`]
      const frame = sessionUpdateFrame(decoded.success, false)
      const errors = clientFrameErrors(frame)
      if (errors.length > 0) return [`${path}=${String(value)}: ${errors.join(", ")}`]
      return valuesAt(frame.session, path).includes(value) ? [] : [`${path}=${String(value)}: not on the wire`]
    })
    expect(failures).toEqual([])
  })

  it("writes the library's constants", () => {
    for (const frame of frames) {
      expect(frame.session["type"]).toBe("realtime")
      expect(valuesAt(frame.session, "audio.input").every(isNode)).toBe(true)
    }
  })

  it("produces session.update frames that validate against the corpus", () => {
    for (const frame of frames) expect(clientFrameErrors(frame)).toEqual([])
  })

  it("writes the exact wire spelling", () => {
    const [full, other] = frames.map((frame) => frame.session)
    expect(full).toMatchObject({
      model: "gpt-realtime-2.1",
      parallel_tool_calls: false,
      include: ["item.input_audio_transcription.logprobs"],
      reasoning: { effort: "xhigh" },
      truncation: { type: "retention_ratio", retention_ratio: 0.8, token_limits: { post_instructions: 4000 } },
      tool_choice: { type: "mcp", server_label: "docs", name: "search" },
      audio: {
        input: {
          transcription: {
            model: "gpt-4o-transcribe",
            languages: ["en", "nb"],
            keywords: ["Oslo", "Bergen"],
            delay: "xhigh"
          },
          turn_detection: { type: "server_vad", idle_timeout_ms: 6000, interrupt_response: false }
        },
        output: { voice: "cedar", speed: 1.2, format: { type: "audio/pcmu" } }
      }
    })
    expect(valuesAt(full, "tools[]")[1]).toEqual({
      type: "mcp",
      server_label: "docs",
      server_url: "https://mcp.example.com/sse",
      authorization: "oauth-token",
      server_description: "Product docs",
      headers: { "x-team": "voice" },
      allowed_tools: { tool_names: ["search"], read_only: true },
      allowed_callers: ["direct", "programmatic"],
      require_approval: {
        always: { tool_names: ["search"], read_only: true },
        never: { tool_names: ["ping"], read_only: false }
      },
      defer_loading: true
    })
    expect(valuesAt(full, "prompt.variables")[0]).toEqual({
      city: "Oslo",
      note: { type: "input_text", text: "hi", prompt_cache_breakpoint: { mode: "explicit" } },
      photo: { type: "input_image", image_url: "https://x/y.png", file_id: null, detail: "original" },
      manual: {
        type: "input_file",
        file_id: "file_1",
        filename: "manual.pdf",
        file_data: "JVBERi0=",
        file_url: "https://x/manual.pdf",
        detail: "low"
      }
    })
    expect(other).toMatchObject({
      audio: {
        output: { voice: { id: "voice_1234" } },
        input: { turn_detection: { type: "semantic_vad", eagerness: "high" } }
      },
      truncation: "disabled",
      tracing: "auto",
      max_output_tokens: "inf"
    })
  })

  it("decodes the server's echo of every fully populated session", () => {
    for (const frame of frames) {
      const echo = decodeServerFrame(
        JSON.stringify({ type: "session.updated", event_id: "event_1", session: frame.session })
      )
      expect(echo._tag).toBe("Known")
    }
  })

  it("keeps a later update to what is given", () => {
    expect(sessionToWire({ parallelToolCalls: true, truncation: "auto" }, false)).toEqual({
      type: "realtime",
      parallel_tool_calls: true,
      truncation: "auto"
    })
  })

  it("decodes every fully populated value with its schema", () => {
    for (const settings of fullySet) {
      const encoded = Schema.encodeSync(Settings.RealtimeSessionSettings)(settings)
      expect(Schema.decodeUnknownSync(Settings.RealtimeSessionSettings)(encoded)).toEqual(settings)
    }
  })

  it("rejects values the protocol forbids", () => {
    const decode = Schema.decodeUnknownResult(Settings.RealtimeSessionSettings)
    expect(decode({ truncation: { type: "retention_ratio", retentionRatio: 1.5 } })._tag).toBe("Failure")
    expect(decode({ reasoning: { effort: "max" } })._tag).toBe("Failure")
    expect(decode({ tools: [{ type: "mcp", serverLabel: "x", tunnelId: "tunnel_NOPE" }] })._tag).toBe("Failure")
    expect(decode({ inputAudioTranscription: { languages: [] } })._tag).toBe("Failure")
  })

  it("defaults to the reference SDKs' model", () => {
    expect(Settings.defaultModelName).toBe("gpt-realtime-2.1")
    expect(sessionToWire({}, true)["model"]).toBe("gpt-realtime-2.1")
  })
})
