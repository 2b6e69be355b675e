// The state of one run, shared by the step files (runtime/steps/): the connection and its
// protocol session, the secret book, the replies owed, the values captured. It owns the
// rules every step follows: every command owes a reply, a reply is taken only by the script
// or by the next command's wait, and every text leaves through the secret book, escaped.
import type { CompiledScript, RuntimeText, TlsSettings } from "../compile/steps.js";
import { classifyConnectionError, hintFor, type HintContext } from "../hints/index.js";
import { protocolFor } from "../protocols/index.js";
import type { Capabilities, CredentialSpotter, Protocol, ProtocolSession, Reply } from "../protocols/types.js";
import { SecretBook } from "../secrets/book.js";
import { DnsClient, type DnsServer } from "../dns/client.js";
import type { MxRoute } from "../dns/mx.js";
import type { MtaStsStatus } from "../dns/mta-sts.js";
import type { Arrival, Connection } from "./connection.js";
import type { ConnectionFailure, Failure, Measurement, RunEvent } from "./events.js";
import type { JudgeContext } from "./expectations.js";
import { StepFailure } from "./failures.js";

const CRLF = Buffer.from("\r\n");

/** Events that belong to one connection: with named sessions, a change of session is marked. */
const SESSION_EVENTS = new Set<RunEvent["type"]>(["connect", "connected", "tls", "tls-refused", "client", "server", "closed", "marker"]);

/** A raw line split where it held CRLF (an IMAP literal's lines), for one transcript line each. */
export function transcriptParts(raw: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  let at: number;
  while ((at = raw.indexOf(CRLF, from)) >= 0) {
    parts.push(raw.subarray(from, at));
    from = at + 2;
  }
  parts.push(raw.subarray(from));
  return parts;
}

/** What a handshake offered, for reports: "TLSv1.1", "TLSv1.2-TLSv1.3", "default versions". */
export function describeOffer(settings: TlsSettings): string {
  if (settings.minVersion && settings.minVersion === settings.maxVersion) return settings.minVersion;
  if (settings.minVersion || settings.maxVersion) return `${settings.minVersion ?? "default"}-${settings.maxVersion ?? "default"}`;
  return "default versions";
}

/** A command a reply is owed to; `sentAt` (performance.now()) is when it was handed to the
 *  socket, or for the greeting when the connection was ready: a response time counts from it. */
export interface Answering {
  command: string;
  pipelined: boolean;
  sentAt?: number;
}

export const GREETING = "(the greeting)";

/** The commands whose reply is a capability list (an empty one included). */
const ASKS_FOR_CAPABILITIES = /^(?:\S+ )?(?:EHLO|LHLO|CAPA|CAPABILITY)\b/i;

/** What `take` waits for besides the next reply: a tagged completion, a response time. */
export interface WaitFor {
  within?: { limitMs: number; from: string };
  tag?: string;
}

export interface RunContextOptions {
  emit: (event: RunEvent) => void;
  ca?: string[];
  secrets: SecretBook;
  /** --resolver: the DNS server for MX, addresses, PTR, TXT and TLSA. */
  resolver?: DnsServer;
  /** The HTTPS port of MTA-STS policy hosts (443; another only in tests). */
  policyPort?: number;
}

/** Where a routed connection went: the mail domain and its MX records, the host and address
 *  reached, the address sent from. The DNS checks (`expect mx`, `rdns`, …) read it. */
export interface RouteFacts {
  domain?: string;
  mx?: MxRoute;
  host: string;
  address: string;
  /** The address sent from: read only for a script with `expect local rdns` (else ""). */
  localAddress: string;
  /** Asked at the first `expect mta-sts`, kept for the others. */
  mtaSts?: Promise<MtaStsStatus>;
  /** Reverse DNS by address, asked at the first `expect rdns` of it. */
  rdns?: Map<string, Promise<{ names: string[]; confirmed: string[]; shown: string }>>;
}

/**
 * One connection's state: the socket, its protocol session, the replies owed and what they
 * answer. A script has one, or several named ones (`connect URL as NAME`, `use NAME`).
 */
export class SessionState {
  connection: Connection | undefined;
  protocol: Protocol | undefined;
  session: ProtocolSession | undefined;
  spotter: CredentialSpotter | undefined;
  capabilities: Capabilities | undefined;
  lastSent: string | undefined;
  /** The last reply received, as shown: named when the server closes unexpectedly. */
  lastReply: string | undefined;
  /** What the session said of the reply taken last (LMTP: which recipient it is for). */
  takenNote: string | undefined;
  /** Replies owed to commands sent that the script has not taken yet. */
  owed = 0;
  /** The commands the owed replies answer, in order (the greeting first), so a reply is
   *  tied to its command even when several went in one write. */
  answering: Answering[] = [];
  /** The command the reply taken last answers. */
  answered: Answering | undefined;
  host = "";
  port = 0;
  /** The UNIX socket's path, when the connection is to one. */
  socket: string | undefined;
  implicitTls = false;
  greeted = false;
  /** The server closed this connection (not after `close`, a dropped step or a bounds break). */
  closedByServer = false;
  route: RouteFacts | undefined;
  /** SMTP/LMTP: the transaction's MAIL FROM and RCPT TO addresses as sent, for the From and
   *  To of `data message`'s default message. */
  envelope: { from?: string; to: string[] } = { to: [] };
  /** The lines (as bytes) of the replies taken since the commands in flight began to go out:
   *  what a tagged completion's `untagged` looks at (RFC 9051 §5.5: the untagged data of
   *  pipelined commands cannot be told apart). */
  groupLines: Buffer[] = [];

  constructor(readonly name: string) {}

  /** A close no step of this session has judged: the server hung up while the session was
   *  idle, and not on a QUIT/LOGOUT. A close taken by `expect closed` leaves no connection. */
  get unjudgedClose(): boolean {
    return this.closedByServer && Boolean(this.connection?.closed) && this.connection!.unread().length === 0 && !this.saidFarewell;
  }

  /** The last command sent ends the session (QUIT, LOGOUT): the server is to close. */
  get saidFarewell(): boolean {
    return /^(?:\S+ )?(?:QUIT|LOGOUT)$/i.test(this.lastSent ?? "");
  }
}

export class RunContext {
  /** The session steps act on; `sessions` holds every one the script opened, by name. */
  current = new SessionState("");
  readonly sessions = new Map<string, SessionState>();
  /** The session whose lines the transcript showed last, to mark a change. */
  private shownSession = "";
  readonly captures = new Map<string, string>();
  finished = false;

  get connection() { return this.current.connection; }
  set connection(value) { this.current.connection = value; }
  get protocol() { return this.current.protocol; }
  set protocol(value) { this.current.protocol = value; }
  get session() { return this.current.session; }
  set session(value) { this.current.session = value; }
  get spotter() { return this.current.spotter; }
  set spotter(value) { this.current.spotter = value; }
  get capabilities() { return this.current.capabilities; }
  set capabilities(value) { this.current.capabilities = value; }
  get lastSent() { return this.current.lastSent; }
  set lastSent(value) { this.current.lastSent = value; }
  get lastReply() { return this.current.lastReply; }
  set lastReply(value) { this.current.lastReply = value; }
  get takenNote() { return this.current.takenNote; }
  set takenNote(value) { this.current.takenNote = value; }
  get owed() { return this.current.owed; }
  set owed(value) { this.current.owed = value; }
  get answering() { return this.current.answering; }
  set answering(value) { this.current.answering = value; }
  get answered() { return this.current.answered; }
  set answered(value) { this.current.answered = value; }
  get host() { return this.current.host; }
  get port() { return this.current.port; }
  get socket() { return this.current.socket; }
  get implicitTls() { return this.current.implicitTls; }
  get greeted() { return this.current.greeted; }
  set greeted(value) { this.current.greeted = value; }

  constructor(
    readonly script: CompiledScript,
    readonly options: RunContextOptions,
  ) {}

  /** What matchers may ask of the run and its protocol, made once a run (a load run judges
   *  millions of replies); `expect` sets the fields that belong to one reply. */
  private judging: JudgeContext | undefined;
  get judgeContext(): JudgeContext {
    return (this.judging ??= {
      capabilities: undefined,
      describeCapabilities: (capabilities) => this.protocol!.describeCapabilities(capabilities),
      responseCodes: (reply) => this.protocol!.responseCodes?.(reply) ?? [],
      render: this.render,
      lookup: (name) => this.captures.get(name),
      regexBudgetMs: 0,
    });
  }

  private dnsClient: DnsClient | undefined;
  get dns(): DnsClient {
    return (this.dnsClient ??= new DnsClient(this.options.resolver));
  }

  get book(): SecretBook {
    return this.options.secrets;
  }

  emit(event: RunEvent, from: SessionState = this.current): void {
    // A socket may report its close after the run has ended; the report is complete by then.
    if (this.finished) return;
    // With named sessions, a line of another session than the last one shown is announced.
    if (SESSION_EVENTS.has(event.type) && from.name !== this.shownSession) {
      this.shownSession = from.name;
      this.options.emit({ type: "marker", message: `session ${from.name}` });
    }
    this.options.emit(event);
  }

  /** Opens the state of a new connection (named, or the script's one), and makes it current. */
  open(name: string): SessionState {
    this.current = new SessionState(name);
    this.sessions.set(name, this.current);
    return this.current;
  }

  /** `use NAME`: later steps act on that session. */
  use(name: string): void {
    const state = this.sessions.get(name);
    if (!state?.connection) throw new StepFailure({ message: `session \`${name}\` has no open connection${state ? " (it was closed)" : ""}`, expected: `an open session ${name}`, actual: "" });
    this.current = state;
  }

  note(message: string): void {
    this.emit({ type: "note", message: this.book.redact(message) });
  }

  /** A new connection's state: a fresh session, nothing owed but the greeting. */
  reset(protocolName: string, host: string, port: number, implicitTls: boolean, name = "", socket?: string): Protocol {
    const protocol = protocolFor(protocolName)!;
    const state = this.open(name);
    Object.assign(state, { host, port, socket, implicitTls, owed: 1, answering: [{ command: GREETING, pipelined: false }] });
    state.protocol = protocol;
    state.session = protocol.createSession();
    state.spotter = protocol.createSpotter();
    return protocol;
  }

  /** Text as the transcript shows it: secrets masked, control bytes escaped. */
  shown(text: string): string {
    return this.book.show(Buffer.from(text, "utf8"));
  }

  shownLines(reply: Reply): string[] {
    const lines: string[] = [];
    for (const raw of reply.raw) {
      // Only a line that holds a literal has a CR in it.
      if (raw.indexOf(0x0d) < 0) lines.push(this.book.show(raw));
      else for (const part of transcriptParts(raw)) lines.push(this.book.show(part));
    }
    return lines;
  }

  shownReply(reply: Reply): string {
    return this.shownLines(reply).join("\n");
  }

  shownBytes(bytes: Buffer): string {
    return transcriptParts(bytes)
      .map((raw) => this.book.show(raw))
      .join("\n");
  }

  /** Part of a reply (its text, or one line) as shown, from the exact bytes where it is one
   *  of them, so invalid UTF-8 is shown as the bytes it was. */
  shownPart(reply: Reply, text: string): string {
    if (text === reply.lines.join("\n")) return this.shownReply(reply);
    const index = reply.lines.indexOf(text);
    return index >= 0 ? this.shownBytes(reply.raw[index]!) : this.shown(text);
  }

  /** Every text of a failure passes the secret book before it leaves the runner. */
  clean(failure: Failure): Failure {
    const clean: Failure = { ...failure, message: this.book.redact(failure.message), expected: this.book.redact(failure.expected), actual: this.book.redact(failure.actual) };
    if (failure.diff) clean.diff = { expected: this.book.redact(failure.diff.expected), actual: this.book.redact(failure.diff.actual) };
    if (failure.hint) clean.hint = this.book.redact(failure.hint);
    return clean;
  }

  /** Text with values captured during the run filled in. */
  readonly render = (text: RuntimeText): string =>
    text.parts
      .map((part) => {
        if (typeof part === "string") return part;
        const value = this.captures.get(part.capture) ?? part.fallback;
        if (value === undefined) throw new StepFailure({ message: `\`\${${part.capture}}\` was not captured: the regex that names it did not match`, expected: `\${${part.capture}}`, actual: "", span: part.span });
        return value;
      })
      .join("");

  renderLine(text: RuntimeText): string {
    const line = this.render(text);
    if (/[\r\n]/.test(line)) throw new StepFailure({ message: "a captured value holds a line break (CR or LF); mailchat never sends one inside a line", expected: "one line", actual: this.shown(line) });
    return line;
  }

  hint(extra: Partial<HintContext> & { expected: string; step: string }): string | undefined {
    const context: HintContext = { protocol: this.protocol?.name ?? "smtp", encrypted: Boolean(this.connection?.tls), ...extra };
    const sent = this.answered && this.answered.command !== GREETING ? this.answered.command : this.lastSent;
    if (sent !== undefined && context.lastSent === undefined) context.lastSent = sent;
    return hintFor(context);
  }

  classify(error: unknown, stage: "connect" | "tls" | "certificate", settings?: TlsSettings, afterGoAhead = false): ConnectionFailure {
    const plainSchemes = (this.protocol?.schemes ?? []).filter((s) => !s.implicitTls).map((s) => `${s.scheme}://`);
    const context: Parameters<typeof classifyConnectionError>[1] = { host: this.host, port: this.port, socket: this.socket, implicitTls: this.implicitTls, plainSchemes: plainSchemes.join(" or ") || "a plaintext scheme", stage, afterGoAhead };
    if (settings && (settings.minVersion || settings.maxVersion)) context.pinned = describeOffer(settings);
    const failure = classifyConnectionError(error, context);
    failure.message = this.book.redact(failure.message);
    return failure;
  }

  /**
   * Sessions other than the current one are judged as it is: a bounds break (a flood, an
   * endless line) fails the run at the next step, named, whether or not the session is used
   * again; a close fails it at the end of the script unless a step of that session took it.
   */
  otherSessionFault(atEnd: boolean): StepFailure | undefined {
    // Most scripts hold one session, the current one: nothing else to look at (asked before
    // every step).
    if (this.sessions.size === 1 && this.sessions.get(this.current.name) === this.current) return undefined;
    for (const state of this.sessions.values()) {
      if (state === this.current || !state.connection) continue;
      const broken = state.connection.brokenUnread;
      const label = state.name ? `session \`${state.name}\`` : "the first session";
      if (broken) {
        const failure: Failure = { message: `${label} (not the one in use): ${broken.message}`, expected: "replies within the protocol's bounds", actual: this.shownBytes(broken.received) };
        const hint = this.hint({ expected: "", step: "expect", situation: "framing" });
        if (hint) failure.hint = hint;
        return new StepFailure(failure);
      }
      if (atEnd && state.unjudgedClose) {
        const last = state.lastReply ? ` after its reply \`${state.lastReply.split("\n").pop()}\`` : "";
        return new StepFailure({
          message: `${label}: the server closed the connection before the script's end${last}, and no step of that session accepts it`,
          expected: "an open connection, or `expect closed`",
          actual: state.lastReply ?? "(closed)",
          hint: `a script that expects the close says \`use ${state.name || "NAME"}\` then \`expect closed\``,
        });
      }
    }
    return undefined;
  }

  /** Why nothing can be sent: the server has gone, and what it said last. */
  closedFailure(what: string): StepFailure {
    const last = this.lastReply ? ` after its reply \`${this.lastReply.split("\n").pop()}\`` : "";
    const failure: Failure = { message: `cannot send ${what}: the server closed the connection${last}`, expected: "an open connection", actual: this.lastReply ?? "(closed)" };
    const hint = this.hint({ expected: "an open connection", step: "send", situation: "closed-early" });
    if (hint) failure.hint = hint;
    return new StepFailure(failure);
  }

  /** Bytes to the server; a failed write means the server has gone. Not async, as `send`. */
  write(bytes: string | Buffer, what: string): Promise<void> {
    const connection = this.connection;
    if (!connection || connection.closed) return Promise.reject(this.closedFailure(what));
    return connection.write(bytes, () => this.closedFailure(what));
  }

  /** Sends one line (CRLF added), owing `replies` replies; the transcript gets `shown`.
   *  A line that `continues` a command begun earlier starts no command of its own.
   *  Not async (a load run sends millions): it may throw before it returns, so callers await
   *  it inside their try. */
  send(wire: string, shown: string, replies = 1, continues = false): Promise<void> {
    const text = this.owe(wire, shown, replies, false, continues);
    // The line is shown as it is handed to the socket: its reply may arrive (and be shown)
    // before the write's callback runs, most often right after a TLS 1.3 handshake.
    this.lastSent = text;
    this.emit({ type: "client", text, secret: shown !== wire });
    return this.write(`${wire}\r\n`, `\`${text}\``);
  }

  /** Books a command line about to go out: its secrets, the replies it owes, what it answers. */
  owe(wire: string, shown: string, replies: number, pipelined: boolean, continues = false): string {
    for (const secret of this.spotter?.client(wire) ?? []) this.book.add(secret);
    const text = this.shown(shown);
    if (!this.connection || this.connection.closed) throw this.closedFailure(`\`${text}\``);
    this.connection.sent(wire, replies, continues);
    this.noteEnvelope(wire);
    if (this.owed === 0 && !continues) this.current.groupLines = [];
    this.owed += replies;
    const sentAt = performance.now();
    for (let i = 0; i < replies; i++) this.answering.push({ command: text, pipelined, sentAt });
    if (this.session?.lastTag) this.captures.set("tag", this.session.lastTag);
    return text;
  }

  private noteEnvelope(wire: string): void {
    // Only MAIL and RCPT lines are looked at closer (every command passes here).
    const first = wire.charCodeAt(0) | 0x20;
    if (first === 0x6d) {
      const mail = /^MAIL FROM:\s*<([^>]*)>/i.exec(wire);
      if (mail) this.current.envelope = { from: mail[1]!, to: [] };
    } else if (first === 0x72) {
      const rcpt = /^RCPT TO:\s*<([^>]+)>/i.exec(wire);
      if (rcpt) this.current.envelope.to.push(rcpt[1]!);
    }
  }

  putBack(reply: Reply): void {
    this.connection!.putBack(reply);
    this.owed += 1;
    if (this.answered) this.answering.unshift(this.answered);
  }

  /** A threshold crossed by a step that otherwise held; the runner reports it at step-end. */
  private warning: Failure | undefined;

  warn(warning: Failure): void {
    this.warning ??= { ...warning, message: this.book.redact(warning.message) };
  }

  takeWarning(): Failure | undefined {
    const warning = this.warning;
    this.warning = undefined;
    return warning;
  }

  measure(measurement: Measurement): void {
    this.emit({ type: "measure", measure: measurement });
  }

  /** How long the reply taken last took: from its command's write (the greeting: from the
   *  connection being ready) to its last byte. Undefined after `send raw`, whose replies
   *  mailchat cannot tie to a command. */
  responseMs(reply: Reply): number | undefined {
    const sentAt = this.answered?.sentAt;
    return sentAt === undefined || reply.receivedAt === undefined ? undefined : Math.max(0, reply.receivedAt - sentAt);
  }

  /** Takes the next reply, owed to the script; anything else (timeout, close, a broken or
   *  out-of-sync server) fails the step. `within` says what the wait was, for the message, when
   *  it was not `timeoutMs` from now (`within`: a limit counted from the command's write);
   *  `tag`: the completion of that command, in whatever order completions come. */
  /** `expected` says what was awaited, for a failure; a function when it costs to say. */
  async take(timeoutMs: number, expected: string | (() => string), stepKind: string, waitFor?: WaitFor): Promise<Reply> {
    const owedBefore = this.owed;
    const tag = waitFor?.tag;
    const arrival = tag === undefined ? await this.connection!.next(timeoutMs) : await this.connection!.nextTagged(tag, timeoutMs);
    return this.taken(arrival, timeoutMs, expected, stepKind, waitFor, owedBefore);
  }

  /** What `take` does with what came: kept out of the async function, whose frame the heap
   *  holds while it waits (a load run waits millions of times). */
  private taken(arrival: Arrival, timeoutMs: number, expected: string | (() => string), stepKind: string, waitFor: WaitFor | undefined, owedBefore: number): Reply {
    const within = waitFor?.within;
    const tag = waitFor?.tag;
    if (arrival.kind !== "reply") {
      const failure = this.noReply(arrival, within?.limitMs ?? timeoutMs, typeof expected === "function" ? expected() : expected, stepKind, owedBefore);
      if (within && arrival.kind === "timeout") failure.message += ` of ${within.from}`;
      // In a pipeline several replies are owed at once: say which one never came.
      const awaited = this.answering[0];
      if (awaited?.pipelined) failure.message += ` (waiting for the reply to \`${awaited.command}\`, sent in a pipeline)`;
      throw new StepFailure(failure);
    }
    if (this.owed > 0) this.owed -= 1;
    // A completion taken by its tag answers the command sent with that tag.
    const answers = tag === undefined ? 0 : this.answering.findIndex((a) => a.command.toUpperCase().startsWith(`${tag.toUpperCase()} `));
    this.answered = answers <= 0 ? this.answering.shift() : this.answering.splice(answers, 1)[0];
    const reply = arrival.reply;
    const group = this.current.groupLines;
    for (const line of reply.raw) group.push(line);
    if (reply.unsolicited) throw new StepFailure(this.outOfSync(reply, typeof expected === "function" ? expected() : expected));
    if (this.answered?.command === GREETING) {
      const ms = this.responseMs(reply);
      if (ms !== undefined) this.measure({ name: "greeting", value: ms, unit: "ms" });
    }
    const note = this.session?.taken(reply);
    this.takenNote = note;
    if (note) this.note(note);
    // An empty list counts only as the answer to a command that asks for one (a one-line EHLO
    // reply): a `250 Ok` to MAIL FROM does not take back what EHLO offered.
    const asked = this.greeted && ASKS_FOR_CAPABILITIES.test(this.answered?.command ?? "");
    const capabilities = this.protocol!.capabilities(reply, asked);
    if (capabilities && (capabilities.size > 0 || asked)) this.capabilities = capabilities;
    this.greeted = true;
    return reply;
  }

  /**
   * Replies owed to `send`s that no `expect` took are read now, before the next command:
   * a refusal among them fails the run (a script made of `send`s cannot pass on a 421).
   */
  async settle(timeoutMs: number, atEnd = false): Promise<void> {
    while (this.owed > 0 && this.connection) {
      const sent = this.lastSent;
      let reply: Reply;
      try {
        reply = await this.take(timeoutMs, "a reply that is not a refusal", "send");
      } catch (error) {
        // At the end of a script, a server that hangs up on QUIT/LOGOUT without its farewell
        // reply (a few do) has done what was asked.
        if (atEnd && this.current.saidFarewell && this.connection?.closed && this.connection.unread().length === 0) return;
        throw error;
      }
      if (!this.protocol!.isRefusal(reply)) continue;
      // RFC 5321 §3.8: a 421 announces that the server closes the channel.
      const closed = this.connection?.closed || reply.status === "421" ? " and closed the connection" : "";
      const failure: Failure = {
        message: `the server refused ${sent ? `\`${sent}\`` : "the session"}${reply.status ? ` (${reply.status})` : ""}${closed}, and no \`expect\` follows to accept that`,
        expected: "a reply that is not a refusal",
        actual: this.shownReply(reply),
      };
      const hint = this.hint({ expected: "not a refusal", step: "send", reply: this.shownLines(reply), situation: "refused-unexpected" });
      if (hint) failure.hint = hint;
      throw new StepFailure(failure);
    }
  }

  private outOfSync(reply: Reply, expected: string): Failure {
    const shown = this.shownReply(reply);
    const closing = this.connection?.closed && this.connection.unread().length === 0;
    const failure: Failure = closing
      ? { message: `the server sent \`${shown.split("\n").pop()}\` unprompted and closed the connection`, expected, actual: shown }
      : { message: "out of sync: this reply arrived while no command was waiting for one (before the command it would answer was sent)", expected, actual: shown };
    const hint = this.hint({ expected, step: "expect", situation: closing ? "unsolicited-close" : "unsolicited" });
    if (hint) failure.hint = hint;
    return failure;
  }

  private noReply(arrival: Exclude<Arrival, { kind: "reply" }>, timeoutMs: number, expected: string, stepKind: string, owed: number): Failure {
    if (arrival.kind === "framing") {
      const failure: Failure = { message: arrival.error.message, expected, actual: this.shownBytes(arrival.error.received) };
      const hint = this.hint({ expected, step: stepKind, situation: "framing" });
      if (hint) failure.hint = hint;
      return failure;
    }
    const partial = arrival.partial.length > 0 ? this.shownBytes(arrival.partial) : "";
    let failure: Failure;
    let hint: string | undefined;
    if (arrival.kind === "closed") {
      const last = this.lastReply ? ` (its last reply: \`${this.lastReply.split("\n").pop()}\`)` : "";
      failure = partial ? { message: "the server closed the connection in the middle of a reply", expected, actual: partial } : { message: `the server closed the connection instead of replying${last}`, expected, actual: "" };
      // The words the server left before closing (a `* BYE`, a 421) say why.
      hint = this.hint({ expected, step: stepKind, reply: partial ? partial.split("\n") : this.lastReply ? this.lastReply.split("\n") : [] });
    } else {
      failure = { message: partial ? `the reply was not complete after ${timeoutMs / 1000} s (no final line)` : `no reply within ${timeoutMs / 1000} s`, expected, actual: partial };
      const situation = !this.greeted && !this.implicitTls ? "no-greeting" : owed === 0 && !partial ? "nothing-owed" : undefined;
      hint = this.hint(situation ? { expected, step: stepKind, situation } : { expected, step: stepKind, timedOut: true });
    }
    if (hint) failure.hint = hint;
    return failure;
  }
}
