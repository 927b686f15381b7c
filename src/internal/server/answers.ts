/**
 * The embedded server's own answers: deterministic (the same question always gets the same
 * answer), but following the question, so that different questions get different replies.
 */

/** The answer to the offline demo's question (and to any question about the northern lights). */
export const northernLights =
  "The northern lights appear when charged particles from the sun meet the upper atmosphere, and they glow green, pink and violet above the polar regions."

const openings = [
  "You asked about {topic}.",
  "Let me think about {topic}.",
  "Here is a short answer about {topic}.",
  "Good question: {topic}."
]

const bodies = [
  "I am the embedded test server, so my answer is made up, but it arrives as a real model's would, in audio with a transcript.",
  "This reply comes from the local protocol server: streamed audio, a transcript that keeps pace with it, and usage at the end.",
  "No network was used for this: the answer is a deterministic stand-in, long enough to interrupt part-way.",
  "A real model would say more; this one speaks in tones whose length follows the text, so you can barge in and truncate."
]

/** A small, stable hash of a string (FNV-1a). */
const hash = (text: string): number => {
  let value = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index)
    value = Math.imul(value, 0x01000193) >>> 0
  }
  return value
}

/** The question's topic: its words without the trailing punctuation, at most ten of them. */
const topicOf = (question: string): string => {
  const words = question.replace(/[?!.\s]+$/u, "").split(/\s+/u).filter((word) => word.length > 0)
  const topic = words.slice(0, 10).join(" ") + (words.length > 10 ? " …" : "")
  return topic.length === 0 ? "nothing in particular" : `"${topic}"`
}

/**
 * The answer to a question no rule matched.
 */
export const answer = (question: string): string => {
  if (/northern lights|aurora/iu.test(question)) return northernLights
  const key = hash(question.trim().toLowerCase())
  const opening = openings[key % openings.length] ?? "You asked about {topic}."
  const body = bodies[Math.floor(key / openings.length) % bodies.length] ?? ""
  return `${opening.replace("{topic}", topicOf(question))} ${body}`
}
