/** A port for the command's tests to fail to reach. */
import { Effect } from "effect"
import { createServer } from "node:net"

/** A port with nothing listening on it: bound by the OS, then released. */
export const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
