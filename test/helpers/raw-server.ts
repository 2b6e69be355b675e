// A bare TCP server whose behaviour the test gives, for servers that misbehave on purpose.
// close() destroys open sockets, so it never hangs.
import { createServer, type Socket } from "node:net";

export interface RawServer {
  port: number;
  close(): Promise<void>;
}

export function startRawServer(onConnection: (socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolvePromise({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Calls `onLine` with each line a client sends (line end removed), as the bytes come. */
export function onClientLines(socket: Socket, onLine: (line: string) => void, encoding: BufferEncoding = "utf8"): void {
  let buffer = "";
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString(encoding);
    let at: number;
    while ((at = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, at).replace(/\r$/, "");
      buffer = buffer.slice(at + 1);
      onLine(line);
    }
  });
}
