/**
 * The core entry with the browser layer, in a real browser: the test bundles test/browser/page.ts
 * for the browser with esbuild, serves it from 127.0.0.1 and loads it in headless Chromium (Debian's
 * `chromium`, driven by playwright-core), against the embedded server. The page connects with an
 * ephemeral client secret the test minted, sends text, receives audio and interrupts it; the server
 * sees the truncate.
 *
 * Without Chromium the test is skipped with a message, except in CI (`CI` set), where it fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { build } from "esbuild"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chromium } from "playwright-core"
import * as OpenAIClientSecrets from "../../src/OpenAIClientSecrets.js"
import { RealtimeServer } from "../../src/testing.js"
import type { PageReport, RealtimePage } from "./page.js"

const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const hasChromium = existsSync(chromiumPath)
const skip = !hasChromium && process.env["CI"] === undefined
if (skip) {
  console.warn(
    `test/browser: SKIPPED, no Chromium at ${chromiumPath} (install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH; in CI this fails instead)`
  )
}

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** A fresh temporary directory, removed with the scope. */
const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** The page bundled for the browser; fails if `ws` or a Node built-in got into it. */
const bundlePage = Effect.gen(function*() {
  const dir = yield* tempDir("effect-realtime-page-")
  const result = yield* Effect.promise(() =>
    build({
      entryPoints: [join(import.meta.dirname, "page.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      outfile: join(dir, "page.js"),
      write: false,
      metafile: true,
      logLevel: "silent"
    })
  )
  const inputs = Object.keys(result.metafile.inputs)
  const code = result.outputFiles[0]?.text ?? ""
  return { inputs, code }
})

/** Serves the page (an HTML shell and the bundle) on 127.0.0.1, on a port the OS picks. */
const servePage = (code: string) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly close: () => void }>((resume) => {
      const server = createServer((request, response) => {
        if (request.url === "/page.js") {
          response.writeHead(200, { "content-type": "text/javascript" }).end(code)
        } else {
          response.writeHead(200, { "content-type": "text/html" }).end(
            "<!doctype html><title>effect-realtime</title><script type=\"module\" src=\"/page.js\"></script>"
          )
        }
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/`, close: () => server.close() }))
      })
    }),
    (served) => Effect.sync(() => served.close())
  )

/** Headless Chromium with a fresh profile, closed with the scope. */
const launchBrowser = Effect.gen(function*() {
  const profile = yield* tempDir("effect-realtime-chromium-")
  return yield* Effect.acquireRelease(
    Effect.promise(() =>
      chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs })
    ),
    (context) => Effect.promise(() => context.close())
  )
})

const apiKey = "sk-server-side-only"

describe("in the browser", () => {
  it.live.skipIf(skip)(
    "the browser layer connects with a client secret, receives audio and interrupts; the server sees the truncate",
    () =>
      Effect.gen(function*() {
        expect(hasChromium, `the browser test needs Chromium at ${chromiumPath} (apt-get install -y chromium)`).toBe(
          true
        )
        const bundle = yield* bundlePage
        expect(bundle.inputs.filter((input) => input.startsWith("node:") || input.includes("node_modules/ws/")))
          .toEqual([])
        const server = yield* RealtimeServer.make({ apiKey, speed: 4 })
        // the server side of a browser app: mints a secret with the real key, hands the page only the secret
        const secret = yield* Effect.gen(function*() {
          const secrets = yield* OpenAIClientSecrets.OpenAIClientSecrets
          return yield* secrets.create({ expiresAfter: "1 minute" })
        }).pipe(
          Effect.provide(
            OpenAIClientSecrets.layer({ apiKey: Redacted.make(apiKey), apiUrl: server.apiUrl }).pipe(
              Layer.provide(FetchHttpClient.layer)
            )
          )
        )
        const clientSecret = Redacted.value(secret.value)
        expect(clientSecret.startsWith("ek_")).toBe(true)

        const served = yield* servePage(bundle.code)
        const context = yield* launchBrowser
        const page = yield* Effect.promise(() => context.newPage())
        const pageErrors: Array<string> = []
        page.on("pageerror", (error) => pageErrors.push(error.message))
        yield* Effect.promise(() => page.goto(served.url))
        yield* Effect.promise(() => page.waitForFunction(() => "realtimePage" in globalThis))
        const report: PageReport = yield* Effect.promise(() =>
          page.evaluate(
            ([url, secret]) => (globalThis as unknown as { realtimePage: RealtimePage }).realtimePage.run(url, secret),
            [server.url, clientSecret] as const
          )
        )
        expect(pageErrors).toEqual([])

        expect(report.statuses.slice(0, 2)).toEqual(["connecting", "connected"])
        expect(report.audioBytes).toBeGreaterThanOrEqual(300 * 48)
        expect(report.interruptedItemId).toBe(report.audioItemId)
        expect(report.plainKeyRefusal).toBe("InvalidConfig")
        expect(report.unreachable.reason).toBe("Handshake")
        expect(report.unreachable.message).toContain("ws://127.0.0.1:1/v1/realtime")
        expect(report.unreachable.message).not.toContain("[object")
        expect(report.unreachable.message).not.toContain(clientSecret)

        const received = (yield* server.received).map((text) => JSON.parse(text) as Record<string, unknown>)
        const truncate = received.find((frame) => frame["type"] === "conversation.item.truncate")
        expect(truncate).toMatchObject({ item_id: report.audioItemId, content_index: 0 })
        const audioEndMs = truncate?.["audio_end_ms"]
        expect(typeof audioEndMs).toBe("number")
        // no more than the audio the page received
        expect(audioEndMs).toBeLessThanOrEqual(Math.ceil(report.audioBytes / 48))
        expect(received.some((frame) => frame["type"] === "response.cancel")).toBe(true)
      }).pipe(Effect.scoped),
    60_000
  )
})
