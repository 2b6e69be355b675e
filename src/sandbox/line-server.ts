// The plumbing shared by the sandbox's POP3 and IMAP servers: accept on 127.0.0.1, read CRLF
// lines (bounded), upgrade to TLS in place for STLS/STARTTLS, and stop without hanging.
// npm has no maintained POP3 or IMAP server library (hoodiecrow-imap is unmaintained since
// 2016 and has no POP3), so the sandbox keeps a small, careful server for the subset the
// recipes need; the protocol logic lives in pop3.ts and imap.ts.
import { createServer, type Socket } from "node:net";
import { TLSSocket, type SecureContext } from "node:tls";
import { listenOnLoopback } from "./listen.js";
import type { RunningService } from "./smtp.js";

const MAX_COMMAND_LINE = 8_192;

export interface LineSession {
  send(line: string): void;
  /** Raw bytes (message bodies). */
  write(data: string | Buffer): void;
  /** Switches to TLS after the go-ahead was sent. */
  startTls(): Promise<void>;
  readonly secure: boolean;
  close(): void;
}

export interface LineHandler {
  /** What to say before closing on a line longer than the limit. */
  tooLong: string;
  greet(session: LineSession): void;
  line(session: LineSession, line: string): void | Promise<void>;
}

export async function startLineService(options: {
  name: string;
  scheme: string;
  defaultPort: number;
  implicitTls: boolean;
  /** The TLS context of STARTTLS and implicit TLS (the sandbox's certificate). */
  context: SecureContext;
  /** 0 (the default) picks a free port. */
  port?: number;
  handler: () => LineHandler;
}): Promise<RunningService> {
  const { context } = options;
  /** The topmost socket of each connection (the TLS wrap once there is one). */
  const sockets = new Map<Socket, Socket>();

  const serve = (raw: Socket) => {
    // A reply of several lines goes out as several writes: with Nagle on, the second waits for
    // the client's delayed ACK of the first (40 ms on Linux) on every such reply.
    raw.setNoDelay(true);
    sockets.set(raw, raw);
    raw.on("error", () => undefined);
    raw.once("close", () => sockets.delete(raw));
    let socket: Socket = raw;
    let secure = false;
    let buffer = "";
    let queue = Promise.resolve();
    const handler = options.handler();
    const session: LineSession = {
      send: (line) => void (socket.writable && socket.write(`${line}\r\n`)),
      write: (data) => void (socket.writable && socket.write(data)),
      get secure() {
        return secure;
      },
      close: () => socket.end(),
      startTls: () =>
        new Promise((resolvePromise) => {
          socket.removeListener("data", onData);
          buffer = "";
          const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext: context });
          tlsSocket.on("error", () => tlsSocket.destroy());
          sockets.set(raw, tlsSocket);
          tlsSocket.once("secure", () => {
            secure = true;
            socket = tlsSocket;
            tlsSocket.on("data", onData);
            resolvePromise();
          });
        }),
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      if (buffer.length > MAX_COMMAND_LINE && !buffer.includes("\n")) {
        session.send(handler.tooLong);
        socket.destroy();
        return;
      }
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        // One command at a time, in order, even when a handler awaits (STARTTLS).
        queue = queue.then(
          () => handler.line(session, line),
          () => undefined,
        ).catch(() => void socket.destroy());
      }
    };
    if (options.implicitTls) {
      const tlsSocket = new TLSSocket(raw, { isServer: true, secureContext: context });
      sockets.set(raw, tlsSocket);
      tlsSocket.on("error", () => tlsSocket.destroy());
      tlsSocket.once("secure", () => {
        secure = true;
        socket = tlsSocket;
        tlsSocket.on("data", onData);
        handler.greet(session);
      });
    } else {
      raw.on("data", onData);
      handler.greet(session);
    }
  };

  const server = createServer(serve);
  const port = await listenOnLoopback(server, options.port ?? 0);
  return {
    name: options.name,
    scheme: options.scheme,
    defaultPort: options.defaultPort,
    port,
    tls: options.implicitTls ? "implicit" : "starttls",
    stop: () =>
      new Promise<void>((resolvePromise) => {
        // Destroy the topmost socket: tearing a TLS wrap down from below crashes Node.
        for (const top of sockets.values()) top.destroy();
        server.close(() => resolvePromise());
      }),
  };
}
