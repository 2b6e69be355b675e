// One connection to a server: the socket (plain or TLS), the protocol's framer, and a queue
// of complete replies that `expect` steps take from, each wait bounded by a timer.
import { statSync } from "node:fs";
import { connect as netConnect, isIPv4, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ProxySettings, TlsSettings } from "../compile/steps.js";
import { buildProxyHeader, familyOf } from "../protocols/proxy-header.js";
import { FAREWELL_CLOSE_MS, MAX_MESSAGE_REPLY_BYTES, MAX_UNASKED_REPLIES } from "../limits.js";
import { FramingError, type Protocol, type Reply, type ReplyFramer } from "../protocols/types.js";
import type { TlsFacts } from "./events.js";
import { HandshakeError, handshake } from "./tls.js";

export type Arrival =
  | { kind: "reply"; reply: Reply }
  | { kind: "closed"; partial: Buffer }
  | { kind: "timeout"; partial: Buffer }
  | { kind: "framing"; error: FramingError };

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** connect(2) on a path that exists but is no socket says ECONNREFUSED, as for a socket
 *  nobody listens on: the file's type tells the two apart (ENOTSOCK for the former). */
/** A TCP connection to a dotted IPv4 address is to that very address, written as Node writes
 *  a peer's (isIPv4 takes no leading zeros): asking the kernel (getpeername) again cost a load
 *  run ~2% of its time. An IPv6 address may be written in several ways: the kernel says it. */
function dialedPeer(address: string, port: number): { address: string; port: number } | undefined {
  return isIPv4(address) ? { address, port } : undefined;
}

function socketErrorCode(path: string, code: string | undefined): string | undefined {
  if (code !== "ECONNREFUSED") return code;
  try {
    return statSync(path).isSocket() ? code : "ENOTSOCK";
  } catch {
    return code;
  }
}

/** The header can only be built once connected: it names our real port and the server's
 *  address where the script did not name them. */
export class ProxyHeaderError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function proxyHeaderFor(proxy: ProxySettings, socket: Socket): ReturnType<typeof buildProxyHeader> {
  const client = { address: proxy.client.address, port: proxy.client.port ?? socket.localPort ?? 0 };
  // An IPv4 peer Node reports in its mapped IPv6 form is an IPv4 peer.
  const remote = (socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  const server = proxy.server ?? { address: remote, port: socket.remotePort ?? 0 };
  if (familyOf(client.address) !== familyOf(server.address)) {
    const example = familyOf(client.address) === 4 ? "127.0.0.1:25" : "[::1]:25";
    throw new ProxyHeaderError(`the PROXY header names the client ${client.address} (IPv${familyOf(client.address)}), but the connection went to ${server.address} (IPv${familyOf(server.address)}): a header names both in one family`, `name the server address in the client's family: \`proxy v${proxy.version} client … server ${example}\`, or connect to an address of the client's family`);
  }
  return buildProxyHeader(proxy.version, client, server);
}

export interface ConnectionListener {
  reply(reply: Reply): void;
  /** The server broke the protocol's bounds; mailchat drops the connection (then `closed`
   *  follows, by the client). Told when it happens, whether or not a step is waiting. */
  broken?(error: FramingError): void;
  closed(by: "server" | "client"): void;
}

export interface ConnectionTimings {
  /** When `connect` began (the name lookup included). */
  startedAt: number;
  /** From that start to the TCP connection being established. */
  connectMs: number;
  /** The last TLS handshake (implicit TLS, or STARTTLS): from its start to its end. */
  handshakeMs?: number;
  /** When the server could first be heard: after TCP connect, or after the implicit-TLS (or
   *  ManageSieve's STARTTLS) handshake; the greeting's response time counts from here. */
  readyAt: number;
  /** When the connection ended, either side closing it. */
  endedAt?: number;
}

export class Connection {
  private socket: Socket | TLSSocket;
  private framer: ReplyFramer;
  private readonly queue: Reply[] = [];
  /** Bytes of the replies queued, and how many of them no command asked for. */
  private queuedBytes = 0;
  private unasked = 0;
  private readonly unaskedReplies = new WeakSet<Reply>();
  private waiter: ((arrival: Arrival) => void) | undefined;
  private ended = false;
  private framingError: FramingError | undefined;
  private closingByClient = false;
  /** Replies the commands sent so far are still owed (the greeting counts as one). A reply
   *  that arrives when none is owed came before its command: it is marked unsolicited. */
  private awaiting = 1;
  /** After `send raw` the number of replies is unknown: none is marked until the next
   *  command whose replies are counted. */
  private lenient = false;
  tls: TlsFacts | undefined;
  /** What the connection measured (performance.now() clock): docs/language.md, Timings. */
  readonly timings: ConnectionTimings = { startedAt: 0, connectMs: 0, readyAt: 0 };

  private constructor(
    socket: Socket,
    readonly protocol: Protocol,
    private readonly listener: ConnectionListener,
  ) {
    this.socket = socket;
    this.framer = protocol.createFramer({ greeting: true });
    this.attach(socket);
  }

  /** Opens a TCP connection, or one to a UNIX socket (`socket`), and for implicit TLS the
   *  handshake, within `timeoutMs`. */
  static async open(options: {
    host: string;
    address: string;
    port: number;
    socket?: string;
    timeoutMs: number;
    protocol: Protocol;
    listener: ConnectionListener;
    implicitTls?: { settings: TlsSettings; ca?: string[] };
    /** A PROXY protocol header goes first, before any TLS; `sentProxy` is told what went. */
    proxy?: ProxySettings;
    sentProxy?: (shown: string) => void;
    /** The local address to send from (`connect … from ADDR`). */
    localAddress?: string;
  }): Promise<Connection> {
    const where = options.socket ?? `${options.address}:${options.port}`;
    const startedAt = performance.now();
    const socket = await new Promise<Socket>((resolvePromise, reject) => {
      // No Nagle: a session is one short command, then a wait for the reply; a command held
      // back until the previous segment's ACK (delayed up to 40 ms) would only add latency.
      const socket = options.socket !== undefined ? netConnect({ path: options.socket }) : netConnect({ host: options.address, port: options.port, noDelay: true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectError(`no answer from ${where} within ${options.timeoutMs / 1000} s`, "ETIMEDOUT"));
      }, options.timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolvePromise(socket);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectError(error.message, options.socket !== undefined ? socketErrorCode(options.socket, error.code) : error.code));
      });
    });
    if (options.proxy) {
      let header: ReturnType<typeof buildProxyHeader>;
      try {
        header = proxyHeaderFor(options.proxy, socket);
      } catch (error) {
        socket.destroy();
        throw error;
      }
      socket.write(header.bytes);
      options.sentProxy?.(header.shown);
    }
    const connectMs = performance.now() - startedAt;
    const peer = options.socket === undefined ? dialedPeer(options.address, options.port) : undefined;
    if (!options.implicitTls) return new Connection(socket, options.protocol, options.listener).timed({ startedAt, connectMs, readyAt: startedAt + connectMs }).dialed(peer);
    const handshakeOptions: Parameters<typeof handshake>[0] = { host: options.host, settings: options.implicitTls.settings, socket, timeoutMs: options.timeoutMs };
    if (options.implicitTls.ca) handshakeOptions.ca = options.implicitTls.ca;
    let secured: Awaited<ReturnType<typeof handshake>>;
    const handshakeStarted = performance.now();
    try {
      secured = await handshake(handshakeOptions);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    const readyAt = performance.now();
    const connection = new Connection(secured.socket, options.protocol, options.listener).timed({ startedAt, connectMs, handshakeMs: readyAt - handshakeStarted, readyAt }).dialed(peer);
    connection.tls = secured.facts;
    return connection;
  }

  private timed(timings: ConnectionTimings): this {
    Object.assign(this.timings, timings);
    return this;
  }

  /** The server's address and port as connected to, when the dialled ones say it exactly. */
  private peer: { address: string; port: number } | undefined;

  private dialed(peer: { address: string; port: number } | undefined): this {
    this.peer = peer;
    return this;
  }

  get remoteAddress(): string {
    return this.peer?.address ?? this.socket.remoteAddress ?? "";
  }

  get localAddress(): string {
    return this.socket.localAddress ?? "";
  }

  /** The certificates the server presented, leaf first, as DER (for DANE). */
  peerChain(): Buffer[] {
    const socket = this.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== "function") return [];
    const chain: Buffer[] = [];
    let cert = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
      seen.add(cert.fingerprint256);
      chain.push(cert.raw);
      cert = cert.issuerCertificate;
    }
    return chain;
  }

  get remotePort(): number {
    return this.peer?.port ?? this.socket.remotePort ?? 0;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Resolves when the current socket has closed (its handle released). */
  private gone: Promise<void> = Promise.resolve();

  private attach(socket: Socket): void {
    this.gone = socket.destroyed ? Promise.resolve() : new Promise((resolvePromise) => socket.once("close", () => resolvePromise()));
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => this.end());
    socket.on("close", () => this.end());
    socket.on("end", () => this.end());
    // Closed before it was handed over (while waiting for TLS 1.3 tickets): ended, after the
    // caller has reported the connection.
    if (socket.destroyed) setImmediate(() => this.end());
  }

  private receive(chunk: Buffer): void {
    if (this.framingError) return;
    let replies: Reply[];
    try {
      replies = this.framer.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      return this.broken(error);
    }
    const receivedAt = performance.now();
    for (const reply of replies) {
      reply.receivedAt = receivedAt;
      // A completion carrying the tag of a command begun is never unasked, even before the
      // command's end went out: a server may refuse a CATENATE at its first bad part while
      // LITERAL+ data still follows. The reply the end will owe is already here.
      if (this.awaiting > 0 || reply.tag !== undefined) this.awaiting -= 1;
      else {
        if (!this.lenient) reply.unsolicited = true;
        this.unasked += 1;
        this.unaskedReplies.add(reply);
      }
      this.listener.reply(reply);
      this.queue.push(reply);
      this.queuedBytes += reply.bytes;
    }
    if (this.queue.length > 0 && this.waiter) this.settle({ kind: "reply", reply: this.shift()! });
    if (replies.length > 0) this.wake();
    if (this.unasked > MAX_UNASKED_REPLIES || this.queuedBytes > MAX_MESSAGE_REPLY_BYTES) {
      const what = this.unasked > MAX_UNASKED_REPLIES ? `${this.unasked} replies that no command asked for` : `${this.queuedBytes} bytes of replies that were not read`;
      this.broken(new FramingError(`the server sent ${what} (limit ${this.unasked > MAX_UNASKED_REPLIES ? MAX_UNASKED_REPLIES : `${MAX_MESSAGE_REPLY_BYTES} bytes`}): a flood, so mailchat dropped the connection`, this.queue[this.queue.length - 1]?.raw[0] ?? Buffer.alloc(0)));
    }
  }

  /** The server broke the protocol's bounds: stop reading, say so, tell whoever waits. */
  private broken(error: FramingError): void {
    this.framingError = error;
    this.closingByClient = true;
    this.listener.broken?.(error);
    this.socket.destroy();
    this.settle({ kind: "framing", error });
  }

  private shift(): Reply | undefined {
    const reply = this.queue.shift();
    if (!reply) return undefined;
    this.queuedBytes -= reply.bytes;
    if (this.unaskedReplies.delete(reply)) this.unasked -= 1;
    return reply;
  }

  /** The bounds were broken and no step has been told yet. */
  get brokenUnread(): FramingError | undefined {
    return this.framingTold ? undefined : this.framingError;
  }
  private framingTold = false;

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopWaitTimer();
    this.timings.endedAt = performance.now();
    this.listener.closed(this.closingByClient ? "client" : "server");
    if (this.framingError) return;
    this.settle({ kind: "closed", partial: this.framer.pending() });
  }

  private settle(arrival: Arrival): void {
    if (arrival.kind !== "reply") this.wake();
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter && arrival.kind === "framing") this.framingTold = true;
    waiter?.(arrival);
  }

  /** The next complete reply, or why none came. */
  next(timeoutMs: number): Promise<Arrival> {
    const queued = this.shift();
    if (queued) return Promise.resolve({ kind: "reply", reply: queued });
    if (this.framingError) {
      this.framingTold = true;
      return Promise.resolve({ kind: "framing", error: this.framingError });
    }
    if (this.ended) return Promise.resolve({ kind: "closed", partial: this.framer.pending() });
    return new Promise((resolvePromise) => {
      this.waiter = resolvePromise;
      this.armWait(timeoutMs);
    });
  }

  /** One timer a connection bounds every wait, re-armed for each (a load run waits millions
   *  of times): it is not stopped when a reply comes first, only found idle when it fires.
   *  Unref'd, it never holds the process: while a wait lasts, the open socket does. */
  private waitTimer: NodeJS.Timeout | undefined;
  private waitTimerMs = 0;
  private waitDeadline = 0;

  private armWait(timeoutMs: number): void {
    this.waitDeadline = performance.now() + timeoutMs;
    if (this.waitTimer && this.waitTimerMs === timeoutMs) {
      this.waitTimer.refresh();
      return;
    }
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimerMs = timeoutMs;
    this.waitTimer = setTimeout(this.waitExpired, timeoutMs).unref();
  }

  private readonly waitExpired = (): void => {
    const waiter = this.waiter;
    if (!waiter) return;
    // Armed for an earlier wait and refreshed since: a later one is not cut short.
    const left = this.waitDeadline - performance.now();
    if (left > 1) {
      this.waitTimer = setTimeout(this.waitExpired, Math.ceil(left)).unref();
      this.waitTimerMs = -1;
      return;
    }
    this.waiter = undefined;
    waiter({ kind: "timeout", partial: this.framer.pending() });
  };

  private stopWaitTimer(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }

  /**
   * The reply that completes the command tagged `tag` (IMAP), whenever it comes: replies
   * that arrive before it stay queued, in order, for the steps that take them.
   */
  async nextTagged(tag: string, timeoutMs: number): Promise<Arrival> {
    const deadline = Date.now() + timeoutMs;
    const wanted = tag.toUpperCase();
    for (;;) {
      const index = this.queue.findIndex((reply) => reply.tag?.toUpperCase() === wanted);
      if (index >= 0) {
        const [reply] = this.queue.splice(index, 1);
        this.queuedBytes -= reply!.bytes;
        if (this.unaskedReplies.delete(reply!)) this.unasked -= 1;
        return { kind: "reply", reply: reply! };
      }
      if (this.framingError) {
        this.framingTold = true;
        return { kind: "framing", error: this.framingError };
      }
      if (this.ended) return { kind: "closed", partial: this.framer.pending() };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: "timeout", partial: this.framer.pending() };
      await new Promise<void>((resolvePromise) => {
        const timer = setTimeout(() => {
          this.watcher = undefined;
          resolvePromise();
        }, left);
        this.watcher = () => {
          clearTimeout(timer);
          resolvePromise();
        };
      });
    }
  }

  /** Told when anything arrives (a reply, the close, a broken bound), without taking it. */
  private watcher: (() => void) | undefined;

  private wake(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.();
  }

  /** Tells the framer a command line was sent (before its bytes go out), and how many
   *  replies it asks for (0 for a LITERAL+ line, one per recipient after LMTP's data). */
  sent(line: string, replies = 1, continues = false): void {
    // A line that continues a command (a literal's data) starts none: it names no tag.
    if (!continues) this.framer.sent?.(line);
    this.awaiting += replies;
    this.lenient = false;
  }

  /** Bytes whose replies cannot be counted (`send raw`) went out. */
  sentRaw(lines: string[]): void {
    for (const line of lines) this.framer.sent?.(line);
    this.lenient = true;
  }

  /** Replies still owed to commands sent. */
  get owed(): number {
    return this.awaiting;
  }

  /** Leaves a reply at the head of the queue for the next `expect`. */
  putBack(reply: Reply): void {
    this.queue.unshift(reply);
    this.queuedBytes += reply.bytes;
  }

  /** Replies received but not yet taken. */
  unread(): Reply[] {
    return [...this.queue];
  }

  /** Resolves once the bytes are handed to the kernel; rejects with `failure()` when given
   *  (the caller's words for it), else a ConnectError. */
  write(bytes: string | Buffer, failure?: () => Error): Promise<void> {
    if (this.ended) return Promise.reject(failure ? failure() : new ConnectError("the connection is closed", "EPIPE"));
    return new Promise((resolvePromise, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(failure ? failure() : new ConnectError(error.message, (error as NodeJS.ErrnoException).code)) : resolvePromise()));
    });
  }

  /**
   * RFC 3207 §4.2 / RFC 2595 §3.1: after the go-ahead, nothing the server sent in plaintext
   * may be trusted, so everything buffered is dropped before the handshake.
   * Returns the number of bytes dropped.
   */
  async upgrade(options: { host: string; settings: TlsSettings; ca?: string[]; timeoutMs: number; greets?: boolean }): Promise<{ facts: TlsFacts; dropped: number }> {
    const dropped = this.framer.discard() + this.queue.splice(0).reduce((sum, r) => sum + r.bytes, 0);
    this.queuedBytes = 0;
    this.unasked = 0;
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    plain.removeAllListeners("end");
    plain.removeAllListeners("error");
    // Errors during the handshake are reported by handshake(); keep the plain socket from
    // throwing an unhandled 'error' meanwhile.
    plain.on("error", () => undefined);
    const handshakeOptions: Parameters<typeof handshake>[0] = { host: options.host, settings: options.settings, socket: plain, timeoutMs: options.timeoutMs };
    if (options.ca) handshakeOptions.ca = options.ca;
    const handshakeStarted = performance.now();
    try {
      const { socket, facts } = await handshake(handshakeOptions);
      this.timings.readyAt = performance.now();
      this.timings.handshakeMs = this.timings.readyAt - handshakeStarted;
      this.socket = socket;
      this.framer = this.protocol.createFramer({ greeting: Boolean(options.greets) });
      // RFC 3207 §4.2: after the handshake the server sends nothing until the client speaks
      // (ManageSieve, RFC 5804 §2.2, sends its capabilities again).
      this.awaiting = options.greets ? 1 : 0;
      this.lenient = false;
      this.attach(socket);
      this.tls = facts;
      return { facts, dropped };
    } catch (error) {
      this.ended = true;
      plain.destroy();
      throw error instanceof HandshakeError ? error : new HandshakeError((error as Error).message, undefined);
    }
  }

  /** Closes our side; resolves once the socket is gone (bounded: destroy after 2 s). After a
   *  farewell the server's own close is awaited first (bounded), as the RFCs have it close. */
  async close(options: { afterFarewell?: boolean } = {}): Promise<void> {
    if (options.afterFarewell && !this.ended) {
      await new Promise<void>((resolvePromise) => {
        const timer = setTimeout(resolvePromise, FAREWELL_CLOSE_MS);
        void this.gone.then(() => {
          clearTimeout(timer);
          resolvePromise();
        });
      });
    }
    return new Promise((resolvePromise) => {
      if (!this.ended) this.closingByClient = true;
      const timer = setTimeout(() => this.socket.destroy(), 2_000);
      void this.gone.then(() => {
        clearTimeout(timer);
        resolvePromise();
      });
      // A server that closed first (after QUIT's 221, most often) has ended our side too:
      // ending it again only builds an error (ERR_STREAM_ALREADY_FINISHED) with its stack,
      // 2% of a load run.
      if (!this.socket.writableEnded) this.socket.end();
    });
  }

  /** Drops the connection at once; resolves when the socket is gone. */
  destroy(): Promise<void> {
    this.closingByClient = true;
    this.socket.destroy();
    return this.gone;
  }
}
