/**
 * Owns what a model remembers of its call across connections, to restore it on a new one: the
 * session settings (the initial ones merged with every later `SessionUpdate`) and the conversation
 * as items that can be created again — messages as their text (audio as its transcript), function
 * calls, and their outputs.
 *
 * It is fed by the connection's owner (only one connection is live at a time): the model events
 * it publishes, and the send events it wrote. A client-created message is remembered when it is
 * written, before the server acknowledges it, so one in flight at a drop is not lost; the
 * acknowledgement then gives it its id.
 */
import type * as RealtimeItem from "../../RealtimeItem.js"
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"
import type { RealtimeModelSendEvent } from "../../RealtimeModelSendEvent.js"
import type { RealtimeSessionSettings } from "../../RealtimeSessionSettings.js"
import type { Resumption } from "../engine/protocol.js"
import type { ConversationItemCreate } from "../protocol/clientEvents.js"

/** A message's content parts as text; `null` for audio whose transcript is not known (yet). */
type Texts = Array<string | null>

type Entry =
  | {
    readonly _tag: "Message"
    id: string | undefined
    readonly role: "user" | "assistant" | "system"
    texts: Texts
    /** Parts that cannot be created again as text (images). */
    readonly unreplayable: number
    /** After a barge-in: how much of a part's transcript the user heard, in characters. */
    heard?: { readonly part: number; readonly chars: number }
  }
  | { readonly _tag: "Call"; readonly id: string; readonly callId: string; name: string; arguments: string }
  | { readonly _tag: "Output"; id: string | undefined; readonly callId: string; readonly output: string }

/**
 * A call's memory.
 *
 * @category models
 */
export interface History {
  settings: RealtimeSessionSettings
  readonly entries: Array<Entry>
  /** Ids given to replayed items the server never named. */
  replayIds: number
}

/**
 * An empty memory, with the connection's initial settings.
 *
 * @category constructors
 */
export const make = (settings: RealtimeSessionSettings): History => ({ settings, entries: [], replayIds: 0 })

const findMessage = (history: History, id: string) => {
  for (let i = history.entries.length - 1; i >= 0; i--) {
    const entry = history.entries[i]!
    if (entry._tag === "Message" && entry.id === id) return entry
  }
  return undefined
}

const indexOf = (history: History, id: string): number => history.entries.findIndex((entry) => entry.id === id)

const textsOf = (item: RealtimeItem.UserMessage | RealtimeItem.AssistantMessage | RealtimeItem.SystemMessage) =>
  item.content.map((part) =>
    part._tag === "InputText" || part._tag === "OutputText"
      ? part.text
      : part._tag === "InputImage"
      ? ""
      : part.transcript
  )

const sameTexts = (a: Texts, b: Texts) => a.length === b.length && a.every((text, i) => text === b[i])

/** Newer texts win part by part, except a part the server has not filled in (yet). */
const mergeTexts = (known: Texts, update: Texts): Texts =>
  update.map((text, i) => text === null || (text === "" && (known[i] ?? "") !== "") ? known[i] ?? text : text)

const onItem = (history: History, item: RealtimeItem.RealtimeItem): void => {
  if (item.itemId === "") return
  if (item._tag === "ToolCall") {
    const at = indexOf(history, item.itemId)
    const entry = at < 0 ? undefined : history.entries[at]
    if (entry?._tag === "Call") {
      entry.name = item.name
      entry.arguments = item.arguments
    } else if (item.callId !== null) {
      history.entries.push({
        _tag: "Call",
        id: item.itemId,
        callId: item.callId,
        name: item.name,
        arguments: item.arguments
      })
    }
    return
  }
  const texts = textsOf(item)
  const known = findMessage(history, item.itemId)
  if (known !== undefined) {
    known.texts = mergeTexts(known.texts, texts)
    return
  }
  const role = item._tag === "UserMessage" ? "user" : item._tag === "AssistantMessage" ? "assistant" : "system"
  // the acknowledgement of a message this client sent: it gets its id
  const sent = history.entries.find((entry) =>
    entry._tag === "Message" && entry.id === undefined && entry.role === role && sameTexts(entry.texts, texts)
  )
  if (sent?._tag === "Message") {
    sent.id = item.itemId
    return
  }
  const unreplayable = item._tag === "UserMessage"
    ? item.content.filter((part) => part._tag === "InputImage").length
    : 0
  history.entries.push({ _tag: "Message", id: item.itemId, role, texts, unreplayable })
}

/**
 * Remembers what an event a connection publishes says about the conversation.
 *
 * @category recording
 */
export const observe = (history: History, event: RealtimeModelEvent): void => {
  switch (event._tag) {
    case "ItemUpdated":
      onItem(history, event.item)
      return
    case "ItemDeleted": {
      const at = indexOf(history, event.itemId)
      if (at >= 0) history.entries.splice(at, 1)
      return
    }
    case "InputAudioTranscriptionCompleted": {
      const entry = findMessage(history, event.itemId)
      if (entry === undefined) return
      const audio = entry.texts.indexOf(null)
      if (audio >= 0) entry.texts[audio] = event.transcript
      return
    }
    case "TranscriptDelta": {
      let entry = findMessage(history, event.itemId)
      if (entry === undefined) {
        entry = { _tag: "Message", id: event.itemId, role: "assistant", texts: [], unreplayable: 0 }
        history.entries.push(entry)
      }
      const last = entry.texts.length - 1
      if (last < 0) entry.texts.push(event.delta)
      else entry.texts[last] = (entry.texts[last] ?? "") + event.delta
      return
    }
    default:
      return
  }
}

/**
 * Remembers a barge-in's truncate: the user heard `audioEndMs` of the `receivedMs` of audio that
 * had arrived for the item's part, so its transcript is kept to that fraction of what had arrived
 * of it (cut at a word boundary when replayed). A later truncate of the same part can only cut more.
 */
export const truncated = (
  history: History,
  itemId: string,
  contentIndex: number,
  audioEndMs: number,
  receivedMs: number
): void => {
  let entry = findMessage(history, itemId)
  if (entry === undefined) {
    // cut before any of its transcript came: whatever comes later was not heard either
    entry = { _tag: "Message", id: itemId, role: "assistant", texts: [], unreplayable: 0 }
    history.entries.push(entry)
  }
  if (entry.role !== "assistant") return
  if (entry.texts.length === 0) {
    entry.heard = { part: 0, chars: 0 }
    return
  }
  const part = Math.min(contentIndex, entry.texts.length - 1)
  const received = entry.texts[part] ?? ""
  const fraction = receivedMs <= 0 ? 0 : Math.min(1, Math.max(0, audioEndMs / receivedMs))
  const chars = Math.floor(received.length * fraction)
  if (entry.heard === undefined || entry.heard.part !== part || chars < entry.heard.chars) {
    entry.heard = { part, chars }
  }
}

/** The words of `text` that fit in its first `chars` characters: no word is cut in two. */
const wordsWithin = (text: string, chars: number): string => {
  if (chars >= text.length) return text
  const head = text.slice(0, chars)
  // the cut falls inside a word: that word was not heard whole
  const within = /\s/.test(text[chars]!) ? head : head.slice(0, Math.max(0, head.search(/\s\S*$/)))
  return within.trimEnd()
}

/** A message's texts as they may be said again: a truncated part only up to what was heard. */
const heardTexts = (entry: Extract<Entry, { _tag: "Message" }>): Texts =>
  entry.heard === undefined
    ? entry.texts
    : entry.texts.map((text, i) =>
      i === entry.heard?.part && text !== null ? wordsWithin(text, entry.heard.chars) : text
    )

/**
 * Remembers a send the connection wrote: its messages, tool outputs and session updates.
 *
 * @category recording
 */
export const sent = (history: History, event: RealtimeModelSendEvent): void => {
  switch (event._tag) {
    case "SessionUpdate":
      history.settings = { ...history.settings, ...event.sessionSettings }
      return
    case "ToolOutput":
      history.entries.push({ _tag: "Output", id: undefined, callId: event.toolCall.callId, output: event.output })
      return
    case "UserInput": {
      const input = event.userInput
      const texts = typeof input === "string"
        ? [input]
        : input.content.map((part) => part.type === "input_text" ? part.text : "")
      const unreplayable = typeof input === "string"
        ? 0
        : input.content.filter((part) => part.type !== "input_text").length
      history.entries.push({ _tag: "Message", id: undefined, role: "user", texts, unreplayable })
      return
    }
    default:
      return
  }
}

/**
 * The items to create on a new connection: a `conversation.item.create` per item that can be
 * created again, in order, each with its id (a fresh one for an item the server never named);
 * those ids, whose echoes the listeners must not see again; and how many items could not be
 * carried over.
 *
 * @category replay
 */
export const replay = (
  history: History
): Pick<Resumption<ConversationItemCreate>, "frames" | "ids" | "lost"> => {
  const frames: Array<ConversationItemCreate> = []
  const ids = new Set<string>()
  let lost = 0
  const named = (entry: { id: string | undefined }): string => {
    if (entry.id === undefined) entry.id = `item_replayed_${++history.replayIds}`
    ids.add(entry.id)
    return entry.id
  }
  for (const entry of history.entries) {
    switch (entry._tag) {
      case "Message": {
        const texts = heardTexts(entry).filter((text): text is string => text !== null && text.length > 0)
        if (texts.length === 0) {
          // audio never transcribed, an image: there was something, and it cannot be said again
          // (a reply cut off before any of it was heard leaves nothing to say, and nothing lost)
          if (entry.texts.includes(null) || entry.unreplayable > 0) lost++
          break
        }
        const type = entry.role === "assistant" ? "output_text" : "input_text"
        frames.push({
          type: "conversation.item.create",
          item: {
            id: named(entry),
            type: "message",
            role: entry.role,
            content: [{ type, text: texts.join(" ") }]
          }
        })
        break
      }
      case "Call":
        frames.push({
          type: "conversation.item.create",
          item: {
            id: named(entry),
            type: "function_call",
            call_id: entry.callId,
            name: entry.name,
            arguments: entry.arguments
          }
        })
        break
      case "Output":
        frames.push({
          type: "conversation.item.create",
          item: { id: named(entry), type: "function_call_output", call_id: entry.callId, output: entry.output }
        })
        break
    }
  }
  return { frames, ids, lost }
}
