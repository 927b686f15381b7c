/**
 * The conversation of one embedded-server connection: its items in order, what the user said last,
 * and which reply that calls for. It belongs to its connection and is changed only by that
 * connection's fibers, one synchronous step at a time.
 */
import { type Json, record } from "./objects.js"

/** A reply rule: when the last user text matches, answer with `reply` or call a function. */
export interface ReplyRule {
  readonly match: string | RegExp
  readonly reply?: string
  readonly functionCall?: { readonly name: string; readonly arguments: string }
}

/** One conversation item. */
export interface Entry {
  readonly id: string
  /** The item as `conversation.item.retrieve` returns it. */
  item: Json
  /** For an assistant reply: its full text, and how many milliseconds of its audio went out. */
  readonly text: string
  audioSentMs: number
  /** The transcript the client heard, once it truncated the item. */
  heard?: string
}

/** A new entry for an item. */
export const entry = (item: Json & { readonly id: string }, text = ""): Entry => ({
  id: item.id,
  item,
  text,
  audioSentMs: 0
})

const toolOutputPrefix = "tool output: "

/** The items of one connection's conversation. */
export class Conversation {
  private readonly entries: Array<Entry> = []

  /** The id of the last item, or null when the conversation is empty. */
  lastId(): string | null {
    return this.entries.at(-1)?.id ?? null
  }

  find(id: string): Entry | undefined {
    return this.entries.find((candidate) => candidate.id === id)
  }

  /**
   * Inserts after `previousId` (at the end when null) and returns the id of the item now before
   * it, null when it is first. The caller checked that `previousId` exists.
   */
  insert(added: Entry, previousId: string | null): string | null {
    const index = previousId === null
      ? this.entries.length
      : this.entries.findIndex((candidate) => candidate.id === previousId) + 1
    this.entries.splice(index, 0, added)
    return index === 0 ? null : this.entries[index - 1]?.id ?? null
  }

  /** Replaces an item's JSON, keeping its place and its audio bookkeeping. */
  update(id: string, item: Json): void {
    const found = this.find(id)
    if (found !== undefined) found.item = item
  }

  /** Removes an item; false when there is no such item. */
  remove(id: string): boolean {
    const index = this.entries.findIndex((candidate) => candidate.id === id)
    if (index < 0) return false
    this.entries.splice(index, 1)
    return true
  }

  /** What the user said last: the text or transcript of the last user message, or a tool's output. */
  lastUserText(): string {
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const item = this.entries[index]?.item ?? {}
      if (item["type"] === "function_call_output") return `${toolOutputPrefix}${String(item["output"])}`
      if (item["type"] === "message" && item["role"] === "user") {
        const content = Array.isArray(item["content"]) ? item["content"].map(record) : []
        return content.map((part) => String(part["text"] ?? part["transcript"] ?? "")).join(" ").trim()
      }
    }
    return ""
  }

  /**
   * The reply the last user text calls for: a tool's output is reported back, else the first
   * matching rule, else `defaultReply` of the question.
   */
  chooseReply(rules: ReadonlyArray<ReplyRule>, defaultReply: (question: string) => string): ReplyRule {
    const text = this.lastUserText()
    if (text.startsWith(toolOutputPrefix)) {
      return { match: "", reply: `Here is what I found: ${text.slice(toolOutputPrefix.length)}.` }
    }
    const rule = rules.find((candidate) =>
      typeof candidate.match === "string"
        ? text.toLowerCase().includes(candidate.match.toLowerCase())
        : candidate.match.test(text)
    )
    return rule ?? { match: "", reply: defaultReply(text) }
  }
}
