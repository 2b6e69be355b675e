// One client connection of `serve`, with backpressure: the client's lines come out one at a
// time as the replay asks for them, and what waits on either side is bounded. Serve takes no
// further command while the client leaves replies unread (a write returned false): the socket
// is paused and reading resumes on 'drain'. Lines received and not yet taken pause it too.
// A client that stops reading, sends past the bound or falls silent is cut off with a note;
// once the session is over, what it still sends is dropped unread and it is closed promptly.
import type { Socket } from "node:net";
import { TLSSocket, type SecureContext } from "node:tls";
import { LineBuffer } from "../protocols/line-buffer.js";
import { MAX_REPLY_LINE_BYTES, SERVE_CLOSE_GRACE_MS, SERVE_IDLE_TIMEOUT_MS, SERVE_INPUT_HIGH_BYTES, SERVE_MAX_QUEUED_INPUT_BYTES, SERVE_STALL_TIMEOUT_MS, TLS_HANDSHAKE_TIMEOUT_MS } from "../limits.js";

/** A client line longer than this (a client that never ends its line) ends the session:
 *  RFC 5321 §4.5.3.1.4 allows 512 octets for a command; IMAP lines run longer. */
const MAX_CLIENT_LINE_BYTES = 16 * MAX_REPLY_LINE_BYTES;

/** The waits of a connection; tests shorten them. */
export interface ConnectionTimeouts {
  stallMs: number;
  idleMs: number;
  closeGraceMs: number;
  handshakeMs: number;
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { stallMs: SERVE_STALL_TIMEOUT_MS, idleMs: SERVE_IDLE_TIMEOUT_MS, closeGraceMs: SERVE_CLOSE_GRACE_MS, handshakeMs: TLS_HANDSHAKE_TIMEOUT_MS };

/** The session ended outside the recording: serve cut the connection, or the client left
 *  during a TLS handshake. `note` says why, for serve's report and its --record transcript. */
export class SessionEnded extends Error {
  constructor(
    readonly by: "server" | "client",
    readonly note: string,
  ) {
    super(note);
  }
}

function size(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}

export class ClientConnection {
  /** The socket lines are read from and replies written to: the raw one, or TLS over it. */
  socket: Socket;
  private readonly buffer = new LineBuffer();
  /** Lines received and not yet taken (in their transcript form), from `head` on. */
  private queue: { text: string; bytes: number }[] = [];
  private head = 0;
  private queuedBytes = 0;
  private waiting: { resolve: (line: string | undefined) => void; reject: (error: SessionEnded) => void } | undefined;
  /** The client closed (or the socket is gone). */
  private ended = false;
  private ending: SessionEnded | undefined;
  /** The session is over: input is dropped unread. */
  private finished = false;
  private dropped = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly raw: Socket,
    /** A received line (its bytes, without the line end) in the form the replay compares. */
    private readonly parse: (raw: Buffer) => string,
    private readonly timeouts: ConnectionTimeouts = DEFAULT_TIMEOUTS,
  ) {
    this.socket = raw;
    raw.on("error", () => undefined);
    raw.once("close", this.onClose);
  }

  /** Start reading from the raw socket (not for implicit TLS: `upgrade` first). */
  attach(): void {
    this.listen(this.raw);
  }

  private listen(socket: Socket): void {
    socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.once("end", this.onEnd);
    socket.once("close", this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.ending) return;
    if (this.finished) {
      // A client that goes on sending after the session ended is not read at all.
      this.dropped += chunk.length;
      if (this.dropped > SERVE_INPUT_HIGH_BYTES) this.socket.destroy();
      return;
    }
    this.idleTimer?.refresh();
    // Lines are cut as they complete, and a line arriving a byte at a time is searched
    // once (LineBuffer), so the work stays linear in what the client sends.
    this.buffer.push(chunk);
    let line: ReturnType<LineBuffer["next"]>;
    while ((line = this.buffer.next())) this.enqueue(this.parse(line.raw), line.bytes);
    if (this.buffer.waiting > MAX_CLIENT_LINE_BYTES) {
      this.enqueue(`(a line of more than ${MAX_CLIENT_LINE_BYTES} bytes without a line end)`, this.buffer.clear());
      this.socket.destroy();
    } else if (this.queuedBytes + this.buffer.waiting > SERVE_MAX_QUEUED_INPUT_BYTES) {
      // Reading was paused long before this: only a client (or TLS layer) that ignores it gets here.
      this.end("server", `the client sent more than ${size(SERVE_MAX_QUEUED_INPUT_BYTES)} of commands that wait for an answer`);
      return;
    }
    this.flow();
    this.flush();
  };

  private enqueue(text: string, bytes: number): void {
    this.queue.push({ text, bytes });
    this.queuedBytes += bytes;
  }

  private readonly onDrain = (): void => {
    this.flow();
    this.flush();
  };

  /** The client will send no more (it may still read). */
  private readonly onEnd = (): void => {
    this.ended = true;
    this.flush();
  };

  private readonly onClose = (): void => {
    this.ended = true;
    this.clearTimers();
    this.flush();
  };

  /** Replies wait unread: the last write returned false and no 'drain' came yet. */
  private get blocked(): boolean {
    return this.socket.writableNeedDrain && !this.socket.destroyed;
  }

  /** Pause reading while replies wait unread or lines wait untaken; resume when both clear.
   *  While replies wait, a client that takes none of them within the stall time is cut off. */
  private flow(): void {
    if (this.ending || this.socket.destroyed) return;
    const blocked = this.blocked;
    if (!this.finished && (blocked || this.queuedBytes > SERVE_INPUT_HIGH_BYTES)) this.socket.pause();
    else this.socket.resume();
    if (blocked) this.stallTimer ??= setTimeout(() => this.onStall(), this.timeouts.stallMs);
    else if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    }
  }

  private onStall(): void {
    this.stallTimer = undefined;
    if (this.finished) this.socket.destroy();
    else this.end("server", `the client read none of its replies for ${this.timeouts.stallMs / 1000} s (${size(this.socket.writableLength)} unread, ${size(this.queuedBytes)} of its commands waiting)`);
  }

  /** Send bytes to the client; each write that reaches the kernel counts as the client reading. */
  write(bytes: Buffer | string): void {
    if (this.socket.destroyed) return;
    // The replies of one turn of the event loop (a multi-line reply, the answers to pipelined
    // commands) leave in one write: no segment per line for the client's kernel to hold.
    if (!this.socket.writableCorked) {
      const socket = this.socket;
      socket.cork();
      process.nextTick(() => socket.uncork());
    }
    this.socket.write(bytes, () => this.stallTimer?.refresh());
    this.flow();
  }

  /** The next line the client sent, once it has read what it was sent; undefined when it
   *  closed. Rejects with SessionEnded when serve cut the connection. */
  readLine(): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.flush();
      if (this.waiting && !this.ended) this.idleTimer ??= setTimeout(() => this.end("server", `the client sent nothing for ${this.timeouts.idleMs / 1000} s`), this.timeouts.idleMs);
    });
  }

  private flush(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.ending) {
      this.waiting = undefined;
      waiting.reject(this.ending);
      return;
    }
    const available = this.head < this.queue.length;
    if (available && (!this.blocked || this.ended)) {
      const line = this.queue[this.head++]!;
      this.queuedBytes -= line.bytes;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.waiting = undefined;
      this.clearIdle();
      this.flow();
      waiting.resolve(line.text);
    } else if (!available && this.ended) {
      this.waiting = undefined;
      this.clearIdle();
      waiting.resolve(undefined);
    }
  }

  /** Wrap the connection in TLS (STARTTLS, implicit TLS); what the handshake gave, for the
   *  transcript. Rejects with SessionEnded when it fails, times out or the client leaves. */
  upgrade(context: SecureContext): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      this.socket.removeListener("data", this.onData);
      this.socket.removeListener("drain", this.onDrain);
      // The TLS layer reads the raw socket itself; a pause left on it would starve the handshake,
      // and a reply still corked (STARTTLS's 220) must leave in plaintext first.
      this.socket.resume();
      if (this.socket.writableCorked) this.socket.uncork();
      const tlsSocket = new TLSSocket(this.socket, { isServer: true, secureContext: context });
      this.socket = tlsSocket;
      const fail = (ending: SessionEnded) => {
        settle();
        this.ending ??= ending;
        tlsSocket.destroy();
        this.raw.destroy();
        reject(this.ending);
      };
      const onError = (error: Error) => fail(new SessionEnded("server", `the TLS handshake failed: ${error.message}`));
      const onClose = () => fail(new SessionEnded("client", "the client closed the connection during the TLS handshake"));
      const timer = setTimeout(() => fail(new SessionEnded("server", `no TLS handshake within ${this.timeouts.handshakeMs / 1000} s`)), this.timeouts.handshakeMs);
      const settle = () => {
        clearTimeout(timer);
        tlsSocket.removeListener("error", onError);
        tlsSocket.removeListener("close", onClose);
      };
      tlsSocket.once("error", onError);
      tlsSocket.once("close", onClose);
      tlsSocket.once("secure", () => {
        settle();
        tlsSocket.on("error", () => tlsSocket.destroy());
        this.listen(tlsSocket);
        resolve(tlsSocket);
      });
    });
  }

  /** Serve cuts the connection now (a limit, or serve stopping), with a note for a session
   *  still going: its pending or next readLine rejects with it. */
  end(by: "server" | "client", note: string): void {
    if (!this.ending && !this.finished) this.ending = new SessionEnded(by, note);
    this.clearTimers();
    this.socket.destroy();
    this.raw.destroy();
    this.flush();
  }

  /** The session is over: send what is left and close. The client has the grace time after
   *  that to close too; what it sends meanwhile is not read, and past a bound it is cut off. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearIdle();
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.buffer.clear();
    if (this.socket.destroyed) return;
    this.flow();
    this.socket.end(() => {
      if (!this.socket.destroyed) this.graceTimer = setTimeout(() => this.socket.destroy(), this.timeouts.closeGraceMs).unref();
    });
  }

  private clearIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private clearTimers(): void {
    this.clearIdle();
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    clearTimeout(this.graceTimer);
  }
}
