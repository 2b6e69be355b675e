// The `lf-only-timeout` fault: a proxy in front of an SMTP service that, like a strict
// server, only sees a command once it ends in CRLF. A line ended by a bare LF is never
// passed on; after a while the proxy answers as Exchange and Postfix do and hangs up.
// After STARTTLS the bytes are TLS records and pass untouched.
import { connect, createServer, type Socket } from "node:net";
import { listenOnLoopback } from "./listen.js";

export const LF_TIMEOUT_MS = 2_000;

export async function startCrlfProxy(targetPort: number, listenPort = 0): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.once("close", () => sockets.delete(s));
    }
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    let pending = "";
    let passthrough = false;
    let timer: NodeJS.Timeout | undefined;
    client.on("data", (chunk: Buffer) => {
      if (passthrough) return void upstream.write(chunk);
      pending += chunk.toString("latin1");
      let end: number;
      while ((end = pending.indexOf("\r\n")) >= 0) {
        const line = pending.slice(0, end + 2);
        pending = pending.slice(end + 2);
        upstream.write(Buffer.from(line, "latin1"));
        if (/^STARTTLS\r\n$/i.test(line)) {
          passthrough = true;
          if (pending) upstream.write(Buffer.from(pending, "latin1"));
          return;
        }
      }
      if (!pending && timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (pending && !timer) {
        timer = setTimeout(() => {
          client.end("451 4.7.0 Timeout waiting for client input\r\n");
          upstream.destroy();
        }, LF_TIMEOUT_MS);
      }
    });
  });
  const port = await listenOnLoopback(server, listenPort);
  return {
    port,
    stop: () =>
      new Promise((resolvePromise) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolvePromise());
      }),
  };
}
