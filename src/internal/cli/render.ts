/**
 * Text rendering for the command line: the progress bar and the closing summary.
 *
 * @since 0.1.0
 */
import type { VoiceSessionSummary } from "./VoiceSession.js"

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * A one-line progress bar of audio played against how much will be played, e.g.
 * `[#####.....] 1.2 s / 2.4 s`. While that total is not known (`null`: the reply is still
 * arriving and there is no barge-in point) the bar shows only the time played: `[~~~~] 1.2 s`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const progressBar = (playedMs: number, totalMs: number | null, width = 24): string => {
  if (totalMs === null) return `[${"~".repeat(width)}] ${seconds(playedMs)}`
  const ratio = totalMs <= 0 ? 1 : Math.min(1, playedMs / totalMs)
  const filled = Math.round(ratio * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${seconds(playedMs)} / ${seconds(totalMs)}`
}

/**
 * The closing summary of a voice session, as printed lines.
 *
 * @since 0.1.0
 * @category rendering
 */
export const summaryLines = (summary: VoiceSessionSummary): ReadonlyArray<string> => [
  "",
  "summary",
  `  turns:                    ${summary.turns}`,
  `  audio received / played:  ${Math.round(summary.audioReceivedMs)} ms / ${Math.round(summary.audioPlayedMs)} ms`,
  `  tokens (in / out / total): ${summary.inputTokens} / ${summary.outputTokens} / ${summary.totalTokens}`,
  `  latency to first audio:   ${summary.firstAudioLatencyMs === null ? "n/a" : `${summary.firstAudioLatencyMs} ms`}`,
  ...(summary.bargeIn === null ? [] : [
    `  barge-in:                 item ${summary.bargeIn.itemId} truncated at ${
      Math.round(summary.bargeIn.truncatedAtMs)
    } ms`,
    `  transcript as heard:      ${
      summary.bargeIn.heardTranscript === null
        ? "(the server kept no transcript)"
        : JSON.stringify(summary.bargeIn.heardTranscript)
    }`
  ]),
  ...summary.errors.map((error) => `  server error:             ${JSON.stringify(error)}`)
]
