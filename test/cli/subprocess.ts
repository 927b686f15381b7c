/**
 * Runs a program of the repository (the command line by default) as a subprocess on the Node the
 * tests run on, without OPENAI_API_KEY unless one is given, and collects what it prints.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("../..", import.meta.url))

export interface Run {
  readonly code: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string>
  /** The script to run instead of the command line. */
  readonly script?: string
  /** Sends SIGINT once stdout matches. */
  readonly interruptWhen?: RegExp
  /** Runs once, synchronously, when stdout first matches `when`. */
  readonly onOutput?: { readonly when: RegExp; readonly run: () => void }
  /** Runs the command inside a pseudo-terminal (`script`), so that stdout is a terminal. */
  readonly terminal?: boolean
}

const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`

export const runCli = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  Effect.callback<Run>((resume) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    delete env["OPENAI_API_KEY"]
    delete env["NO_COLOR"]
    delete env["FORCE_COLOR"]
    for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value
    const argv = [process.execPath, "--import", "tsx", options.script ?? "src/bin.ts", ...args]
    const child = options.terminal === true
      ? spawn("script", ["-qec", argv.map(quote).join(" "), "/dev/null"], { cwd: root, env })
      : spawn(argv[0] ?? process.execPath, argv.slice(1), { cwd: root, env })
    let stdout = ""
    let stderr = ""
    let interrupted = false
    let ran = false
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (!interrupted && options.interruptWhen?.test(stdout)) {
        interrupted = true
        child.kill("SIGINT")
      }
      if (!ran && options.onOutput?.when.test(stdout)) {
        ran = true
        options.onOutput.run()
      }
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })
