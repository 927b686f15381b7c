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

/** `previous_item_id` naming the start of the conversation. */
const root = "root"

/** The content part types a message of each role may carry, as the service accepts them. */
const contentTypes: Record<string, ReadonlyArray<string>> = {
  system: ["input_text"],
  user: ["input_text", "input_audio", "input_image"],
  assistant: ["output_text", "output_audio"]
}

/** Why a `conversation.item.create` is refused, as the `error` event's fields. */
export interface Refusal {
  readonly message: string
  readonly code: string
  readonly param: string
}

/** An item a client sent, as the server keeps it: its fields set to null are left out. */
export const clientItem = (value: unknown): Json =>
  Object.fromEntries(Object.entries(record(value)).filter(([, field]) => field !== null))

/** The items of one connection's conversation. */
export class Conversation {
  private readonly entries: Array<Entry>

  /** A conversation holding copies of `entries` (a saved one, resumed), else an empty one. */
  constructor(entries: ReadonlyArray<Entry> = []) {
    this.entries = entries.map((saved) => ({ ...saved }))
  }

  /** Copies of the items as they are now, to resume the conversation from later. */
  snapshot(): ReadonlyArray<Entry> {
    return this.entries.map((current) => ({ ...current }))
  }

  /** Characters of text the conversation holds: what the user and the model said, tool calls and outputs. */
  textChars(): number {
    return this.entries.reduce((sum, { item, text }) => {
      const content = Array.isArray(item["content"]) ? item["content"].map(record) : []
      const said = content.reduce((chars, part) => chars + String(part["text"] ?? part["transcript"] ?? "").length, 0)
      const call = String(item["arguments"] ?? item["output"] ?? "").length
      return sum + Math.max(said, text.length) + call
    }, 0)
  }

  /** The id of the last item, or null when the conversation is empty. */
  lastId(): string | null {
    return this.entries.at(-1)?.id ?? null
  }

  find(id: string): Entry | undefined {
    return this.entries.find((candidate) => candidate.id === id)
  }

  /**
   * Why a client's item cannot be added after `previousId`, or undefined when it can: the previous
   * item must exist (or be `root`, the start), the item's id must be new, and a message's content
   * parts must be of its role's types.
   */
  refusesToCreate(item: Json, previousId: string | null): Refusal | undefined {
    if (previousId !== null && previousId !== root && this.find(previousId) === undefined) {
      return {
        message: `Previous item with id ${previousId} not found`,
        code: "invalid_value",
        param: "previous_item_id"
      }
    }
    const id = item["id"]
    if (typeof id === "string" && this.find(id) !== undefined) {
      return {
        message: `Item with id '${id}' already exists in the conversation.`,
        code: "item_create_duplicate_item_id",
        param: "item.id"
      }
    }
    const allowed = item["type"] === "message" ? contentTypes[String(item["role"])] : undefined
    const content = Array.isArray(item["content"]) ? item["content"].map(record) : []
    const wrong = allowed === undefined ? -1 : content.findIndex((part) => !allowed.includes(String(part["type"])))
    if (allowed !== undefined && wrong >= 0) {
      return {
        message: `Invalid value: '${String(content[wrong]?.["type"])}'. Supported values for a ${
          String(item["role"])
        } message are: ${allowed.map((type) => `'${type}'`).join(", ")}.`,
        code: "invalid_value",
        param: `item.content[${wrong}].type`
      }
    }
    return undefined
  }

  /**
   * Inserts after `previousId` (at the end when null, first when `root`) and returns the id of the
   * item now before it, null when it is first. The caller checked that `previousId` exists.
   */
  insert(added: Entry, previousId: string | null): string | null {
    const index = previousId === null
      ? this.entries.length
      : previousId === root
      ? 0
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

/**
 * Starts the model's reply `text` as an assistant item at the end of the conversation; the
 * function returned records each piece that goes out (its words, its milliseconds of audio), so
 * the item holds what was said so far, should the reply be cut.
 */
export const startReply = (
  conversation: Conversation,
  id: string,
  text: string
): (words: string, audioMs: number) => void => {
  const said = entry({ id, type: "message", role: "assistant", status: "completed", content: [] }, text)
  conversation.insert(said, null)
  let transcript = ""
  return (words, audioMs) => {
    said.audioSentMs += audioMs
    transcript += words
    conversation.update(id, { ...said.item, content: [{ type: "output_audio", transcript }] })
  }
}
