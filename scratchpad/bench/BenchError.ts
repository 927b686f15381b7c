/**
 * The one error of the harness: a consumer could not connect, a trial timed out, a chunk was
 * malformed. The message says which consumer, which workload and what to look at.
 */
import { Schema } from "effect"

/** A benchmark trial could not produce a figure. */
export class BenchError extends Schema.TaggedError<BenchError>()("BenchError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}
