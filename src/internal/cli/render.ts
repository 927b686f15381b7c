/**
 * Text rendering for the command line: the progress bar and the closing summary. It imports no
 * runtime code, so the command's entry can print a summary before anything else has loaded.
 */
import type { VoiceSessionSummary } from "./VoiceSession.js"

/** A session that has not started: nothing sent, received or played. */
export const nothingYet: VoiceSessionSummary = {
  turns: 0,
  audioReceivedMs: 0,
  audioPlayedMs: 0,
  tokens: null,
  firstAudioLatencyMs: null,
  transcript: "",
  bargeIn: null,
  errors: []
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * A one-line progress bar of audio played against how much will be played, e.g.
 * `[#####.....] 1.2 s / 2.4 s`. While that total is not known (`null`: the reply is still
 * arriving and there is no barge-in point) the bar shows only the time played: `[~~~~] 1.2 s`.
 */
export const progressBar = (playedMs: number, totalMs: number | null, width = 24): string => {
  if (totalMs === null) return `[${"~".repeat(width)}] ${seconds(playedMs)}`
  const ratio = totalMs <= 0 ? 1 : Math.min(1, playedMs / totalMs)
  const filled = Math.round(ratio * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${seconds(playedMs)} / ${seconds(totalMs)}`
}

/** The closing summary of a voice session, as printed lines. */
export const summaryLines = (summary: VoiceSessionSummary): ReadonlyArray<string> => [
  "",
  "summary",
  `  turns:                    ${summary.turns}`,
  `  audio received / played:  ${Math.round(summary.audioReceivedMs)} ms / ${Math.round(summary.audioPlayedMs)} ms`,
  `  tokens (in / out / total): ${
    summary.tokens === null
      ? "n/a (the server reported no usage)"
      : `${summary.tokens.input} / ${summary.tokens.output} / ${summary.tokens.total}`
  }`,
  `  latency to first audio:   ${summary.firstAudioLatencyMs === null ? "n/a" : `${summary.firstAudioLatencyMs} ms`}`,
  ...(summary.bargeIn === null ? [] : [
    `  barge-in:                 item ${summary.bargeIn.itemId} truncated at ${
      Math.round(summary.bargeIn.truncatedAtMs)
    } ms`,
    `  transcript as heard:      ${summary.bargeIn.heardBy === "estimate" ? "(estimated) " : ""}${
      summary.bargeIn.heardTranscript === null
        ? "(the server kept no transcript)"
        : JSON.stringify(summary.bargeIn.heardTranscript)
    }`
  ]),
  ...summary.errors.map((error) => `  server error:             ${JSON.stringify(error)}`)
]

/** What an interrupted session prints (on stdout): a blank line, `interrupted`, the summary so far. */
export const interruptedLines = (summary: VoiceSessionSummary): ReadonlyArray<string> => [
  "",
  "interrupted",
  ...summaryLines(summary)
]
