/**
 * Text rendering for the command line: the progress bar and the closing summary.
 *
 * @since 0.1.0
 */
import type { VoiceSessionSummary } from "../../VoiceSession.js"

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * A one-line progress bar of audio played against audio received, e.g. `[#####.....] 1.2 s / 2.4 s`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const progressBar = (playedMs: number, receivedMs: number, width = 24): string => {
  const ratio = receivedMs <= 0 ? 0 : Math.min(1, playedMs / receivedMs)
  const filled = Math.round(ratio * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${seconds(playedMs)} / ${seconds(receivedMs)}`
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
    `  barge-in:                 item ${summary.bargeIn.itemId} truncated at ${Math.round(summary.bargeIn.truncatedAtMs)} ms`,
    `  transcript as heard:      ${
      summary.bargeIn.heardTranscript === null ? "(the server kept no transcript)" : JSON.stringify(summary.bargeIn.heardTranscript)
    }`
  ]),
  ...summary.errors.map((error) => `  server error:             ${JSON.stringify(error)}`)
]
