/**
 * Why a file could not be read or written, in the words a person can act on ("no space left on
 * device", "permission denied"), from the operating system's error behind a `PlatformError`.
 */
import type { PlatformError } from "effect"

/** The system error codes whose own text is unclear or names no file system term a user knows. */
const plainWords: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a folder",
  ENOTDIR: "a part of its path is not a folder",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "the file system is read-only",
  EFBIG: "the file is too large",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  EBUSY: "the file is busy",
  EIO: "an input/output error of the device"
}

const codeOf = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/** The system's own text without its code and call: `ENOSPC: no space left on device, write` → the middle. */
const systemText = (cause: unknown): string | undefined => {
  if (!(cause instanceof Error)) return undefined
  const match = /^[A-Z0-9]+: ([^,]+)/.exec(cause.message)
  return match?.[1]
}

/** Why the operation failed, e.g. `no space left on device`. */
export const reasonOf = (error: PlatformError.PlatformError): string => {
  const reason = error.reason
  if (reason._tag === "BadArgument") return reason.description ?? "an invalid argument"
  const code = codeOf(reason.cause)
  return (code === undefined ? undefined : plainWords[code]) ?? systemText(reason.cause) ??
    reason.description ?? reason._tag
}
