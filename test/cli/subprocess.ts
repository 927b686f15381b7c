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
  /** Sends SIGINT once stderr matches. */
  readonly interruptWhenStderr?: RegExp
  /** A module Node imports before the script (`node --import`). */
  readonly preload?: string
}

export const runCli = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  Effect.callback<Run>((resume) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    delete env["OPENAI_API_KEY"]
    delete env["NO_COLOR"]
    delete env["FORCE_COLOR"]
    for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value
    const script = options.script ?? "src/bin.ts"
    const argv = [
      ...(options.preload === undefined ? [] : ["--import", options.preload]),
      ...(script.endsWith(".ts") ? ["--import", "tsx"] : []),
      script,
      ...args
    ]
    const child = spawn(process.execPath, argv, { cwd: root, env })
    let stdout = ""
    let stderr = ""
    let interrupted = false
    const interrupt = () => {
      if (interrupted) return
      interrupted = true
      child.kill("SIGINT")
    }
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (options.interruptWhen?.test(stdout)) interrupt()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      if (options.interruptWhenStderr?.test(stderr)) interrupt()
    })
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })
