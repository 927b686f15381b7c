/**
 * Owns what listeners must not see twice after a restore: the echoes of the replayed items (the
 * server's `conversation.item.added`/`done` of each) and the new session's `session.created` and
 * the `session.updated` that answers the restore's settings. They saw all of it on the connection
 * before.
 */
import type { RealtimeModelEvent } from "../../RealtimeModelEvent.js"

/**
 * The echoes still expected.
 *
 * @category models
 */
export interface Echoes {
  readonly ids: Set<string>
  sessionUpdates: number
}

/**
 * The echoes of a restore that replayed the items `ids` and sent its settings once.
 *
 * @category constructors
 */
export const make = (ids: Iterable<string>): Echoes => ({ ids: new Set(ids), sessionUpdates: 1 })

/**
 * Drops the events of one frame (those of `out` from `from`, the raw event first) when the frame
 * is an echo. Returns whether every echo expected has now been seen.
 *
 * @category filtering
 */
export const hush = (echoes: Echoes, out: Array<RealtimeModelEvent>, from: number): boolean => {
  const raw = out[from]
  if (raw?._tag !== "RawServerEvent" || typeof raw.data !== "object" || raw.data === null) return false
  const data = raw.data as Record<string, unknown>
  const type = data["type"]
  if (type === "session.created") {
    out.length = from
  } else if (type === "session.updated" && echoes.sessionUpdates > 0) {
    echoes.sessionUpdates--
    out.length = from
  } else if (typeof type === "string" && type.startsWith("conversation.item.")) {
    const item = data["item"]
    const id = typeof item === "object" && item !== null && "id" in item ? item.id : undefined
    if (typeof id === "string" && echoes.ids.has(id)) {
      out.length = from
      if (type === "conversation.item.done") echoes.ids.delete(id)
    }
  }
  return echoes.ids.size === 0 && echoes.sessionUpdates === 0
}
