/**
 * The page of the browser test: the core entry with the browser layer, bundled by esbuild for the
 * browser and run in headless Chromium. It registers `realtimePage` on `globalThis`; the test calls
 * it through `page.evaluate` and checks what it reports.
 */
import { Deferred, Effect, Layer, Ref, Stream } from "effect"
import { BrowserRealtimeWebSocket } from "../../src/browser.js"
import { OpenAIRealtime, RealtimeModel, RealtimeModelSendEvent as Send } from "../../src/index.js"

/** What the page saw. */
export interface PageReport {
  /** The connection statuses, in order. */
  readonly statuses: ReadonlyArray<string>
  /** Bytes of reply audio received before the interrupt took effect. */
  readonly audioBytes: number
  /** The item the audio belonged to. */
  readonly audioItemId: string
  /** The item of the `AudioInterrupted` event. */
  readonly interruptedItemId: string
  /** The reason of the error connecting with a plain API key. */
  readonly plainKeyRefusal: string
  /** The error connecting to a port nobody listens on. */
  readonly unreachable: { readonly reason: string; readonly message: string }
}

/** What the page exposes to the test. */
export interface RealtimePage {
  readonly run: (url: string, clientSecret: string) => Promise<PageReport>
}

/** Audio to receive before interrupting: 300 ms of 24 kHz PCM16. */
const interruptAfterBytes = 300 * 48

const RealtimeLive = OpenAIRealtime.layer().pipe(Layer.provide(BrowserRealtimeWebSocket.layer()))

const conversation = (url: string, clientSecret: string) =>
  Effect.gen(function*() {
    const model = yield* RealtimeModel.RealtimeModel
    const statuses = yield* Ref.make<ReadonlyArray<string>>([])
    const audioBytes = yield* Ref.make(0)
    const enoughAudio = yield* Deferred.make<string>()
    const interrupted = yield* Deferred.make<string>()
    yield* Effect.forkScoped(Stream.runForEach(yield* model.subscribe, (event) => {
      switch (event._tag) {
        case "ConnectionStatusChanged":
          return Ref.update(statuses, (all) => [...all, event.status])
        case "Audio":
          return Ref.updateAndGet(audioBytes, (bytes) => bytes + event.data.byteLength).pipe(
            Effect.flatMap((bytes) =>
              bytes >= interruptAfterBytes ? Deferred.succeed(enoughAudio, event.itemId) : Effect.void
            )
          )
        case "AudioInterrupted":
          return Deferred.succeed(interrupted, event.itemId)
        default:
          return Effect.void
      }
    }))
    yield* model.connect({ url, apiKey: clientSecret, initialSettings: { turnDetection: null } })
    yield* model.sendEvent(Send.UserInput.make({ userInput: "Tell me about the northern lights." }))
    const audioItemId = yield* Deferred.await(enoughAudio)
    yield* model.sendEvent(Send.Interrupt.make({}))
    const interruptedItemId = yield* Deferred.await(interrupted)
    yield* model.close
    return {
      statuses: yield* Ref.get(statuses),
      audioBytes: yield* Ref.get(audioBytes),
      audioItemId,
      interruptedItemId
    }
  }).pipe(Effect.scoped, Effect.provide(RealtimeLive))

/** A plain API key is refused before dialling: the reason of the error. */
const plainKey = (url: string) =>
  Effect.gen(function*() {
    const model = yield* RealtimeModel.RealtimeModel
    const error = yield* Effect.flip(model.connect({ url, apiKey: "sk-never-in-a-page" }))
    return error.reason
  }).pipe(Effect.scoped, Effect.provide(RealtimeLive))

/** A server that is not there: the typed error the browser's WebSocket leads to. */
const unreachable = (clientSecret: string) =>
  Effect.gen(function*() {
    const model = yield* RealtimeModel.RealtimeModel
    const error = yield* Effect.flip(model.connect({ url: "ws://127.0.0.1:1/v1/realtime", apiKey: clientSecret }))
    return { reason: error.reason, message: error.message }
  }).pipe(Effect.scoped, Effect.provide(RealtimeLive))

const page: RealtimePage = {
  run: (url, clientSecret) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const report = yield* conversation(url, clientSecret)
        return { ...report, plainKeyRefusal: yield* plainKey(url), unreachable: yield* unreachable(clientSecret) }
      })
    )
}

Object.assign(globalThis, { realtimePage: page })
