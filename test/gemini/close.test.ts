/**
 * How a Gemini Live connection ended → retryable, expired or fatal: by the close reason Google
 * gives where it says what happened, else by the close code and how far the setup got.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Close from "../../src/internal/gemini/close.js"
import * as Protocol from "../../src/internal/gemini/protocol.js"
import type { GeminiState } from "../../src/internal/gemini/state.js"
import { initial, ready } from "./support.js"

const kind = (state: GeminiState, code: number | undefined, reason?: string) =>
  Close.classify(state, { code, reason })._tag

/** A connection whose setup resumed with a handle and was not acknowledged yet (no earlier connection acknowledged). */
const resuming = (): GeminiState => Protocol.open({ ...initial(), handle: "h1", resumable: true }).state
/** The same, after an earlier connection of the call had its setup acknowledged. */
const resumingAccepted = (): GeminiState => Protocol.open({ ...ready(), handle: "h1", resumable: true }).state
/** A connection whose setup (without a handle) was not acknowledged yet. */
const settingUp = (): GeminiState => Protocol.open(initial()).state

describe("Gemini Live close classification", () => {
  it.each(
    [
      [1000, "", "Retryable"],
      [1001, "going away", "Retryable"],
      [1006, undefined, "Retryable"],
      [1011, "Deadline expired before operation could complete.", "Retryable"],
      [1011, "Internal error encountered.", "Retryable"],
      [1012, "", "Retryable"],
      [1013, "", "Retryable"],
      [1008, "The operation was aborted.", "Retryable"],
      [
        1008,
        "Connection aborted because the client failed to close the connection after receiving a GoAway signal",
        "Retryable"
      ],
      [1007, "API key expired. Please renew the API key.", "Fatal"],
      [1008, "API key not valid. Please pass a valid API key.", "Fatal"],
      [1011, "You exceeded your current quota, please check your plan and billing details.", "Fatal"],
      [1009, "", "Fatal"]
    ] as const
  )("after setupComplete: %d %s → %s", (code, reason, expected) => {
    expect(kind(ready(), code, reason)).toBe(expected)
  })

  it("a dropped connection without a close frame is retryable", () => {
    expect(kind(ready(), undefined)).toBe("Retryable")
  })

  it("a setup the server rejects before setupComplete is fatal", () => {
    expect(kind(settingUp(), 1007, "Request contains an invalid argument.")).toBe("Fatal")
    expect(
      kind(
        settingUp(),
        1008,
        "models/gemini-x is not found for API version v1beta, or is not supported for bidiGenerateContent"
      )
    ).toBe("Fatal")
  })

  it("a resumption the server refuses before setupComplete is an expired session", () => {
    expect(kind(resuming(), 1007, "Request contains an invalid argument.")).toBe("Fatal")
    expect(kind(resuming(), 1007, "")).toBe("Expired")
    expect(kind(resuming(), 1008, "Session resumption handle is invalid or expired")).toBe("Expired")
    expect(kind(resuming(), 1011, "Session not found")).toBe("Expired")
  })

  it("a resumption refused with any reason, when the same settings were taken before, is an expired session", () => {
    expect(kind(resumingAccepted(), 1007, "Request contains an invalid argument.")).toBe("Expired")
    expect(kind(resumingAccepted(), 1008, "")).toBe("Expired")
    expect(kind(resumingAccepted(), 1007, "API key expired. Please renew the API key.")).toBe("Fatal")
  })

  it("the same reason once the setup was acknowledged is not about the handle", () => {
    expect(kind(ready(), 1007, "")).toBe("Fatal")
  })

  it("a refused upgrade: fatal for a key, an endpoint or a request, retryable for load", () => {
    expect([400, 401, 403, 404, 429, 500, 503].map((status) => Close.classifyHandshake(status)._tag)).toEqual([
      "Fatal",
      "Fatal",
      "Fatal",
      "Fatal",
      "Retryable",
      "Retryable",
      "Retryable"
    ])
  })

  it("the message names the code and the reason", () => {
    expect(Close.classify(ready(), { code: 1011, reason: "Deadline expired" }).message).toBe(
      "the server closed the connection (1011: Deadline expired)"
    )
  })
})
