/**
 * Everything an application sends to a realtime model, as one tagged union.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema } from "effect"
import { RealtimeSendError } from "./RealtimeError.js"
import { FunctionCall } from "./RealtimeModelEvent.js"
import { RealtimeSessionSettings } from "./RealtimeSessionSettings.js"

/**
 * A boolean field that may be left out, both when decoding and when constructing with `make`.
 */
const booleanWithDefault = (value: boolean) =>
  Schema.Boolean.pipe(
    Schema.withDecodingDefaultType(Effect.succeed(value)),
    Schema.withConstructorDefault(Effect.succeed(value))
  )

/**
 * A raw client event: `type` plus `otherData` merged into the frame's body. Use it for protocol
 * features the library has no dedicated event for.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RawMessage = Schema.TaggedStruct("RawMessage", {
  type: Schema.NonEmptyString,
  otherData: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * Text in a user message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserInputText = Schema.Struct({
  type: Schema.Literal("input_text"),
  text: Schema.String
})

/**
 * An image in a user message, as a `data:` or `https:` URL.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserInputImage = Schema.Struct({
  type: Schema.Literal("input_image"),
  imageUrl: Schema.String,
  detail: Schema.optional(Schema.Literals(["auto", "low", "high"]))
})

/**
 * A user message made of text and image parts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserInputMessage = Schema.Struct({
  type: Schema.Literal("message"),
  role: Schema.Literal("user"),
  content: Schema.Array(Schema.Union([UserInputText, UserInputImage]))
})
/**
 * @since 0.1.0
 * @category models
 */
export type UserInputMessage = typeof UserInputMessage.Type

/**
 * The user says something: plain text, or a message of text and image parts. A response follows.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserInput = Schema.TaggedStruct("UserInput", {
  userInput: Schema.Union([Schema.String, UserInputMessage])
})

/**
 * Audio from the user in the session's input format; `commit` ends the user's turn.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SendAudio = Schema.TaggedStruct("SendAudio", {
  audio: Schema.Uint8ArrayFromBase64,
  commit: booleanWithDefault(false)
})

/**
 * The result of a function call; `startResponse` asks the model to go on speaking.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolOutput = Schema.TaggedStruct("ToolOutput", {
  toolCall: FunctionCall,
  output: Schema.String,
  startResponse: booleanWithDefault(true)
})

/**
 * Interrupt the model (barge-in). By default the playing item is truncated at what was heard,
 * listeners get `AudioInterrupted`, and the response is cancelled unless the server cancels it
 * itself. `responseId` scopes the interrupt to one response; `cancelResponseOnly` (needs
 * `responseId`) only cancels that response; `playbackOnly` only stops playback, cancelling nothing.
 * `playbackOnly` cannot be combined with `cancelResponseOnly` or `forceResponseCancel`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Interrupt = Schema.TaggedStruct("Interrupt", {
  forceResponseCancel: booleanWithDefault(false),
  responseId: Schema.NullOr(Schema.String).pipe(
    Schema.withDecodingDefaultType(Effect.succeed(null)),
    Schema.withConstructorDefault(Effect.succeed(null))
  ),
  cancelResponseOnly: booleanWithDefault(false),
  playbackOnly: booleanWithDefault(false)
})
/**
 * @since 0.1.0
 * @category models
 */
export type Interrupt = typeof Interrupt.Type

/**
 * Change the session's settings; fields left out keep their current value.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SessionUpdate = Schema.TaggedStruct("SessionUpdate", {
  sessionSettings: RealtimeSessionSettings
})

/**
 * Any event an application sends.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RealtimeModelSendEvent = Schema.Union([
  RawMessage,
  UserInput,
  SendAudio,
  ToolOutput,
  Interrupt,
  SessionUpdate
])

/**
 * @since 0.1.0
 * @category models
 */
export type RealtimeModelSendEvent = typeof RealtimeModelSendEvent.Type

const interruptProblem = (event: Interrupt): string | undefined => {
  if (event.playbackOnly && (event.cancelResponseOnly || event.forceResponseCancel)) {
    return "playbackOnly cannot be combined with cancelResponseOnly or forceResponseCancel"
  }
  if (event.cancelResponseOnly && event.responseId === null) {
    return "cancelResponseOnly needs the responseId of the response to cancel"
  }
  return undefined
}

const validateSchema = Schema.decodeUnknownResult(Schema.toType(RealtimeModelSendEvent))

/**
 * Checks a send event before it goes out: its shape (for events built without their schema) and
 * the rules between its fields. Fails with `RealtimeSendError` (reason `InvalidEvent`).
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (event: RealtimeModelSendEvent): Effect.Effect<RealtimeModelSendEvent, RealtimeSendError> => {
  const checked = validateSchema(event)
  if (Result.isFailure(checked)) {
    return new RealtimeSendError({
      reason: "InvalidEvent",
      eventTag: typeof event === "object" && event !== null && "_tag" in event ? String(event._tag) : undefined,
      message: `invalid send event: ${checked.failure.message}`
    })
  }
  const problem = checked.success._tag === "Interrupt" ? interruptProblem(checked.success) : undefined
  return problem === undefined
    ? Effect.succeed(checked.success)
    : new RealtimeSendError({ reason: "InvalidEvent", eventTag: "Interrupt", message: `invalid interrupt: ${problem}` })
}
