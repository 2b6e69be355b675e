// Executes compiled steps against a live server, one at a time, and reports what happens as
// events. The first failed step ends the run: what follows depends on it.
//
// The verdict is tied to the wire: every command owes a reply, and the script must take it.
// An `expect` takes the next one; a `send` that no `expect` follows still waits for its reply
// (before the next command, and at the end of the script) and fails on a refusal. A reply that
// arrives while no command is waiting for one is out of sync and fails the step that reads it.
// (This file is over 300 lines because it is one state machine: splitting it by step kind is
// planned with the protocol descriptors, issue 11.)
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { CompiledScript, RuntimeText, Step, TlsSettings } from "../compile/steps.js";
import { hintFor, hintForConnectionError, type HintContext } from "../hints.js";
import { DEFAULT_TIMEOUT_MS, MAX_BODY_LINE_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { protocolFor } from "../protocols/index.js";
import { dotStuff, encodeData } from "../protocols/smtp.js";
import type { Capabilities, CommandSession, Exchange, Protocol, Reply } from "../protocols/types.js";
import { SecretBook } from "../secrets/book.js";
import type { CredentialSpotter } from "../secrets/spotting.js";
import { secretWireForms } from "../sasl/index.js";
import { escapeBytes } from "../transcript/escape.js";
import { RegexTimeout } from "./bounded-regex.js";
import { classifyConnectionError } from "./classify.js";
import { Connection, ConnectError, type Arrival } from "./connection.js";
import { EXIT, type ConnectionFailure, type Failure, type RunEvent, type RunStatus, type StepInfo } from "./events.js";
import { describeMatcher, judgeConnection, judgeReply } from "./expectations.js";
import { HandshakeError, describeVerifyError } from "./tls.js";

export interface RunOptions {
  emit: (event: RunEvent) => void;
  /** Extra trust anchors (PEM): --ca, the sandbox's CA. */
  ca?: string[];
  showSecrets?: boolean;
  /** The secrets of this invocation (--secret, secret params), shared with every output
   *  channel; the run adds what it learns. A new book is made when none is given. */
  secrets?: SecretBook;
  /** Sends a connect elsewhere (the sandbox): the script's host stays the name to verify. */
  route?: (step: Extract<Step, { kind: "connect" }>) => { address: string; port: number } | undefined;
}

export interface RunResult {
  status: RunStatus;
  exitCode: number;
  ms: number;
}

/** A step failed; carries what the reporters need. */
class StepFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

class StepConnectionFailure extends Error {
  constructor(readonly failure: ConnectionFailure) {
    super(failure.message);
  }
}

export async function run(script: CompiledScript, options: RunOptions): Promise<RunResult> {
  const runner = new Runner(script, options);
  return runner.run();
}

const CRLF = Buffer.from("\r\n");

/** A raw line split where it held CRLF (an IMAP literal's lines), for one transcript line each. */
function transcriptParts(raw: Buffer): Buffer[] {
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

class Runner {
  private connection: Connection | undefined;
  private protocol: Protocol | undefined;
  private spotter: CredentialSpotter | undefined;
  private capabilities: Capabilities | undefined;
  private readonly captures = new Map<string, string>();
  private readonly book: SecretBook;
  private lastSent: string | undefined;
  /** The last reply received, as shown: named when the server closes unexpectedly. */
  private lastReply: string | undefined;
  /** Replies owed to commands sent that the script has not taken yet. */
  private owed = 0;
  private host = "";
  private port = 0;
  private implicitTls = false;
  private greeted = false;
  private session: CommandSession = { count: 0, literalPending: false };
  /** LMTP (RFC 2033 §4.2): RCPTs awaiting their reply, then the accepted ones awaiting
   *  their reply to the data, so each reply can be named after its recipient. */
  private lmtp = { rcpts: [] as string[], accepted: [] as string[], afterData: [] as string[] };

  constructor(
    private readonly script: CompiledScript,
    private readonly options: RunOptions,
  ) {
    this.book = options.secrets ?? new SecretBook(Boolean(options.showSecrets));
    for (const secret of script.secrets) this.book.add(secret);
  }

  private finished = false;

  private emit(event: RunEvent): void {
    // A socket may report its close after the run has ended; the report is complete by then.
    if (this.finished) return;
    this.options.emit(event);
  }

  /** Text as the transcript shows it: secrets masked, control bytes escaped. */
  private shown(text: string): string {
    return this.book.show(Buffer.from(text, "utf8"));
  }

  /** A reply's lines as the transcript shows them. */
  private shownLines(reply: Reply): string[] {
    return reply.raw.flatMap(transcriptParts).map((raw) => this.book.show(raw));
  }

  private shownReply(reply: Reply): string {
    return this.shownLines(reply).join("\n");
  }

  /** Part of a reply (its text, or one line) as shown: from the exact bytes where it is
   *  one of them, so invalid UTF-8 is shown as the bytes it was. */
  private shownPart(reply: Reply, text: string): string {
    if (text === reply.lines.join("\n")) return this.shownReply(reply);
    const index = reply.lines.indexOf(text);
    return index >= 0 ? transcriptParts(reply.raw[index]!).map((raw) => this.book.show(raw)).join("\n") : this.shown(text);
  }

  private note(message: string): void {
    this.emit({ type: "note", message: this.book.redact(message) });
  }

  async run(): Promise<RunResult> {
    const started = Date.now();
    this.emit({ type: "run-start", file: this.script.file, steps: this.script.steps.length, time: new Date(started).toISOString() });
    if (this.book.showSecrets) this.note("--show-secrets: passwords and tokens are shown in clear in this output");
    let status: RunStatus = "pass";
    const steps = this.script.steps.map((step, index) => ({ step, info: { index, kind: step.kind, source: step.source, span: step.span } as StepInfo }));
    const last = this.script.steps[this.script.steps.length - 1];
    if (last) {
      // The replies still owed when the script ends are taken and judged too.
      steps.push({ step: { kind: "end", span: last.span, source: "(end of script)" } as unknown as Step, info: { index: this.script.steps.length, kind: "end", source: "(end of script: replies still owed are read and judged)", span: last.span } });
    }
    for (const { step, info } of steps) {
      const stepStarted = Date.now();
      if (info.kind !== "end") this.emit({ type: "step-start", step: info });
      try {
        if (info.kind === "end") await this.end();
        else await this.step(step);
        if (info.kind !== "end") this.emit({ type: "step-end", step: info, status: "pass", ms: Date.now() - stepStarted });
      } catch (error) {
        if (error instanceof StepFailure) {
          status = "fail";
          this.emit({ type: "step-end", step: info, status: "fail", ms: Date.now() - stepStarted, failure: this.cleanFailure(error.failure) });
        } else if (error instanceof StepConnectionFailure) {
          status = "error";
          this.emit({ type: "step-end", step: info, status: "error", ms: Date.now() - stepStarted, connectionFailure: error.failure });
        } else {
          throw error;
        }
        break;
      }
    }
    if (this.connection) {
      if (status === "pass") await this.connection.close();
      else await this.connection.destroy();
    }
    const exitCode = status === "pass" ? EXIT.ok : status === "fail" ? EXIT.expectationFailed : EXIT.connectionFailed;
    const ms = Date.now() - started;
    this.emit({ type: "run-end", file: this.script.file, status, exitCode, ms });
    this.finished = true;
    return { status, exitCode, ms };
  }

  /** Every text of a failure passes the secret book before it leaves the runner. */
  private cleanFailure(failure: Failure): Failure {
    const clean: Failure = { ...failure, message: this.book.redact(failure.message), expected: this.book.redact(failure.expected), actual: this.book.redact(failure.actual) };
    if (failure.diff) clean.diff = { expected: this.book.redact(failure.diff.expected), actual: this.book.redact(failure.diff.actual) };
    if (failure.hint) clean.hint = this.book.redact(failure.hint);
    return clean;
  }

  /** Text with values captured during the run filled in. */
  private render = (text: RuntimeText): string =>
    text.parts
      .map((part) => {
        if (typeof part === "string") return part;
        const value = this.captures.get(part.capture) ?? part.fallback;
        if (value === undefined) throw new StepFailure({ message: `\`\${${part.capture}}\` was not captured: the regex that names it did not match`, expected: `\${${part.capture}}`, actual: "", span: part.span });
        return value;
      })
      .join("");

  private renderLine(text: RuntimeText): string {
    const line = this.render(text);
    if (/[\r\n]/.test(line)) {
      throw new StepFailure({ message: "a captured value holds a line break (CR or LF); mailchat never sends one inside a line", expected: "one line", actual: this.shown(line) });
    }
    return line;
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case "connect":
        return this.connect(step);
      case "send":
        await this.settle(step.timeoutMs);
        return this.sendCommand(this.renderLine(step.line), step.timeoutMs);
      case "send-raw":
        return this.sendRaw(this.render(step.bytes));
      case "expect":
        return this.expect(step);
      case "check": {
        const failure = judgeConnection(step.check, this.connection?.tls, this.render);
        if (failure) throw new StepFailure({ ...failure, span: step.span });
        return;
      }
      case "starttls":
        await this.settle(step.timeoutMs);
        return this.starttls(step);
      case "auth":
        await this.settle(step.timeoutMs);
        return this.auth(step);
      case "data":
        await this.settle(step.timeoutMs);
        return this.data(step, step.body.map((line) => this.renderLine(line)));
      case "data-file":
        await this.settle(step.timeoutMs);
        return this.dataFile(step);
      case "set":
        this.captures.set(step.name, this.render(step.value));
        return;
      case "close":
        await this.settle(DEFAULT_TIMEOUT_MS);
        await this.connection?.close();
        this.connection = undefined;
        return;
      default:
        return assertNever(step);
    }
  }

  /** The end of the script: replies still owed are read, and a refusal among them fails. */
  private async end(): Promise<void> {
    if (this.connection) await this.settle(DEFAULT_TIMEOUT_MS);
  }

  private async connect(step: Extract<Step, { kind: "connect" }>): Promise<void> {
    const protocol = protocolFor(step.protocol)!;
    const route = this.options.route?.(step);
    const address = route?.address ?? step.host;
    const port = route?.port ?? step.port;
    this.host = step.host;
    this.port = port;
    this.implicitTls = step.implicitTls;
    this.greeted = false;
    this.capabilities = undefined;
    this.session = { count: 0, literalPending: false };
    this.lmtp = { rcpts: [], accepted: [], afterData: [] };
    this.spotter = protocol.createSpotter();
    this.lastReply = undefined;
    this.lastSent = undefined;
    this.owed = 1; // the greeting
    this.emit({ type: "connect", url: step.url, host: step.host, port: step.port, protocol: step.protocol, implicitTls: step.implicitTls });
    if (route) this.note(`sandbox: ${step.url} is served by 127.0.0.1:${port}`);
    const started = Date.now();
    try {
      const openOptions: Parameters<typeof Connection.open>[0] = {
        host: step.host,
        address,
        port,
        timeoutMs: step.timeoutMs,
        protocol,
        listener: {
          reply: (reply) => {
            this.spotter?.server(reply);
            const lines = this.shownLines(reply);
            this.lastReply = lines.join("\n");
            this.emit({ type: "server", lines });
          },
          closed: (by) => this.emit({ type: "closed", by }),
        },
      };
      if (step.implicitTls) openOptions.implicitTls = this.options.ca ? { settings: step.tls, ca: this.options.ca } : { settings: step.tls };
      this.connection = await Connection.open(openOptions);
    } catch (error) {
      if (step.expectRefused && error instanceof HandshakeError) return this.refused(step.tls, error);
      throw new StepConnectionFailure(this.classify(error, step.implicitTls ? "tls" : "connect", step.tls));
    }
    this.protocol = protocol;
    this.emit({ type: "connected", address: this.connection.remoteAddress, port: this.connection.remotePort, ms: Date.now() - started });
    if (this.connection.tls) {
      if (step.expectRefused) return this.notRefused(step.tls);
      this.afterHandshake(step.tls);
    }
  }

  /** `expect tls refused` held: the handshake failed, as the script said it would. */
  private refused(settings: TlsSettings, error: HandshakeError): void {
    this.connection = undefined;
    this.emit({ type: "tls-refused", offered: describeOffer(settings), reason: error.code ? `${error.message} (${error.code})` : error.message });
  }

  private async notRefused(settings: TlsSettings): Promise<void> {
    const facts = this.connection!.tls!;
    facts.offered = describeOffer(settings);
    this.emit({ type: "tls", facts });
    await this.connection!.destroy();
    this.connection = undefined;
    throw new StepFailure({
      message: `expected the server to refuse the handshake (${describeOffer(settings)}), but it negotiated ${facts.version} ${facts.cipher}`,
      expected: "tls refused",
      actual: `${facts.version} ${facts.cipher}`,
    });
  }

  private afterHandshake(settings: TlsSettings): void {
    const verify = settings.verify;
    const facts = this.connection!.tls!;
    facts.offered = describeOffer(settings);
    this.emit({ type: "tls", facts });
    if (facts.authorized) return;
    const reason = facts.authorizationError ?? "unknown";
    if (!verify) {
      this.note(`certificate verification is off: the certificate would have been refused (${describeVerifyError(reason)})`);
      return;
    }
    void this.connection!.destroy();
    throw new StepConnectionFailure(this.classify(new HandshakeError(`certificate verification failed: ${describeVerifyError(reason)} (${reason})`, reason), "certificate", settings));
  }

  private classify(error: unknown, stage: "connect" | "tls" | "certificate", settings?: TlsSettings, afterGoAhead = false): ConnectionFailure {
    const failure = classifyConnectionError(error, { host: this.host, port: this.port, stage });
    failure.message = this.book.redact(failure.message);
    const context: Parameters<typeof hintForConnectionError>[1] = { host: this.host, port: this.port, implicitTls: this.implicitTls, protocol: this.protocol?.name ?? "smtp", stage, afterGoAhead };
    if (settings && (settings.minVersion || settings.maxVersion)) context.pinned = describeOffer(settings);
    const hint = hintForConnectionError(failure.code ?? "", context);
    if (hint && !failure.hint) failure.hint = hint;
    return failure;
  }

  /** Why nothing can be sent: the server has gone, and what it said last. */
  private closedFailure(what: string): StepFailure {
    const last = this.lastReply ? ` after its reply \`${this.lastReply.split("\n").pop()}\`` : "";
    return new StepFailure({
      message: `cannot send ${what}: the server closed the connection${last}`,
      expected: "an open connection",
      actual: this.lastReply ?? "(closed)",
      hint: "a server that closes before the script ends refused the session (a 421 names its reason); if the close is expected, say so with `expect closed`",
    });
  }

  private async write(bytes: string | Buffer, what: string): Promise<void> {
    if (!this.connection || this.connection.closed) throw this.closedFailure(what);
    try {
      await this.connection.write(bytes);
    } catch {
      throw this.closedFailure(what);
    }
  }

  /** Sends one line (CRLF added), owing `replies` replies; the transcript gets `shown`. */
  private async send(wire: string, shown: string, replies = 1): Promise<void> {
    for (const secret of this.spotter?.client(wire) ?? []) this.book.add(secret);
    if (!this.connection || this.connection.closed) throw this.closedFailure(`\`${this.shown(shown)}\``);
    this.connection.sent(wire, replies);
    this.owed += replies;
    const text = this.shown(shown);
    await this.write(`${wire}\r\n`, `\`${text}\``);
    this.lastSent = text;
    this.emit({ type: "client", text, secret: shown !== wire });
  }

  private async sendRaw(bytes: string): Promise<void> {
    // `\xHH` escapes are bytes; text beyond Latin-1 (an emoji, SMTPUTF8) goes as UTF-8.
    const buffer = Buffer.from(bytes, /[^\x00-\xff]/.test(bytes) ? "utf8" : "latin1");
    const lines = buffer.toString("latin1").split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
    for (const line of lines) for (const secret of this.spotter?.client(line) ?? []) this.book.add(secret);
    // The replies raw bytes ask for cannot be counted: the script's own `expect`s take them.
    this.owed = 0;
    this.connection?.sentRaw(lines);
    // A literal finished by raw bytes closes the command: the next line is a new one.
    if (buffer[buffer.length - 1] === 0x0a) this.session.literalPending = false;
    const shown = `(raw) ${this.book.show(buffer)}`;
    await this.write(buffer, shown);
    this.lastSent = shown;
    this.emit({ type: "client", text: shown, secret: false });
  }

  /** A command line as the protocol frames it (IMAP adds the tag). */
  private async sendCommand(line: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const command = this.protocol!.command?.(line, this.session) ?? { wire: line, shown: line };
    if (this.protocol!.name === "lmtp") {
      const rcpt = /^RCPT TO:\s*<([^>]*)>/i.exec(line);
      if (rcpt) this.lmtp.rcpts.push(rcpt[1]!);
      if (/^(MAIL FROM|RSET)\b/i.test(line)) this.lmtp = { rcpts: [], accepted: [], afterData: [] };
    }
    if (!command.untagged) this.session.count += 1;
    this.session.literalPending = Boolean(command.opensLiteral);
    this.session.continuationPending = false;
    if (!command.opensLiteral) return this.send(command.wire, command.shown);
    // RFC 7888: with LITERAL+ the client need not wait, and no reply comes for this line;
    // otherwise the server's `+` go-ahead comes before the literal's data (the next `send`).
    if (this.capabilities?.has("LITERAL+")) {
      const plus = (text: string) => text.replace(/\{(\d+)\}$/, "{$1+}");
      return this.send(plus(command.wire), plus(command.shown), 0);
    }
    await this.send(command.wire, command.shown);
    const reply = await this.take(timeoutMs, "+ (go ahead with the literal)", "send");
    if (reply.status !== "+") {
      this.session.literalPending = false;
      this.putBack(reply);
      throw new StepFailure({ message: "the server did not accept the literal: it sent no + continuation", expected: "+", actual: this.shownReply(reply) });
    }
  }

  private putBack(reply: Reply): void {
    this.connection!.putBack(reply);
    this.owed += 1;
  }

  /**
   * Replies owed to `send`s that no `expect` took are read now, before the next command:
   * a refusal among them fails the run (a script made of `send`s cannot pass on a 421).
   */
  private async settle(timeoutMs: number): Promise<void> {
    while (this.owed > 0 && this.connection) {
      const sent = this.lastSent;
      const reply = await this.take(timeoutMs, "a reply that is not a refusal", "send");
      if (this.protocol!.isRefusal(reply)) {
        // RFC 5321 §3.8: a 421 announces that the server closes the channel.
        const closed = this.connection?.closed || reply.status === "421" ? " and closed the connection" : "";
        const failure: Failure = {
          message: `the server refused ${sent ? `\`${sent}\`` : "the session"}${reply.status ? ` (${reply.status})` : ""}${closed}, and no \`expect\` follows to accept that`,
          expected: "a reply that is not a refusal",
          actual: this.shownReply(reply),
        };
        const hint = hintFor(this.hintContext({ expected: "not a refusal", step: "send", reply: this.shownLines(reply) }));
        failure.hint = hint ?? "to accept a refusal write the `expect` for it (`expect 550`, `expect -ERR`, `expect NO`), or `expect any` to take whatever comes";
        throw new StepFailure(failure);
      }
    }
  }

  private hintContext(extra: Partial<HintContext> & { expected: string; step: string }): HintContext {
    const context: HintContext = { protocol: this.protocol?.name ?? "smtp", encrypted: Boolean(this.connection?.tls), ...extra };
    if (this.lastSent !== undefined && context.lastSent === undefined) context.lastSent = this.lastSent;
    return context;
  }

  /** Takes the next reply, owed to the script; anything else (timeout, close, a broken or
   *  out-of-sync server) fails the step. */
  private async take(timeoutMs: number, expected: string, stepKind: string): Promise<Reply> {
    const owedBefore = this.owed;
    const arrival = await this.connection!.next(timeoutMs);
    if (arrival.kind !== "reply") throw new StepFailure(this.noReplyFailure(arrival, timeoutMs, expected, stepKind, owedBefore));
    if (this.owed > 0) this.owed -= 1;
    const reply = arrival.reply;
    if (reply.unsolicited) throw new StepFailure(this.outOfSync(reply, expected));
    this.session.continuationPending = reply.status === "+";
    this.learnCapabilities(reply);
    return reply;
  }

  private outOfSync(reply: Reply, expected: string): Failure {
    const shown = this.shownReply(reply);
    if (this.connection?.closed && this.connection.unread().length === 0) {
      return {
        message: `the server sent \`${shown.split("\n").pop()}\` unprompted and closed the connection`,
        expected,
        actual: shown,
        hint: "a reply nobody asked for, then a close: the server ended the session (a 421 says why: overload, a timeout, a policy); if that is what the script tests, say `expect closed`",
      };
    }
    return {
      message: "out of sync: this reply arrived while no command was waiting for one (before the command it would answer was sent)",
      expected,
      actual: shown,
      hint: "the server pushes replies unprompted, so every later reply would be read against the wrong command; a server that does this is broken, or something between injects traffic",
    };
  }

  private learnCapabilities(reply: Reply): void {
    const capabilities = this.protocol!.capabilities(reply);
    if (capabilities && (capabilities.size > 0 || this.greeted)) this.capabilities = capabilities;
    this.greeted = true;
  }

  private noReplyFailure(arrival: Exclude<Arrival, { kind: "reply" }>, timeoutMs: number, expected: string, stepKind: string, owed: number): Failure {
    if (arrival.kind === "framing") {
      return { message: arrival.error.message, expected, actual: transcriptParts(arrival.error.received).map((raw) => this.book.show(raw)).join("\n"), hint: "the server is not speaking this protocol, or is broken; mailchat stopped reading to bound memory" };
    }
    const partial = arrival.partial.length > 0 ? transcriptParts(arrival.partial).map((raw) => this.book.show(raw)).join("\n") : "";
    if (arrival.kind === "closed") {
      const last = this.lastReply ? ` (its last reply: \`${this.lastReply.split("\n").pop()}\`)` : "";
      const failure: Failure = partial
        ? { message: "the server closed the connection in the middle of a reply", expected, actual: partial }
        : { message: `the server closed the connection instead of replying${last}`, expected, actual: "" };
      const hint = hintFor(this.hintContext({ expected, step: stepKind, reply: this.lastReply ? this.lastReply.split("\n") : [] }));
      if (hint) failure.hint = hint;
      return failure;
    }
    const failure: Failure = {
      message: partial ? `the reply was not complete after ${timeoutMs / 1000} s (no final line)` : `no reply within ${timeoutMs / 1000} s`,
      expected,
      actual: partial,
    };
    let hint: string | undefined;
    if (!this.greeted && !this.implicitTls) {
      hint = "nothing arrived since the connection opened: if this port speaks implicit TLS (465, 993, 995), use smtps://, imaps:// or pop3s://; otherwise the server may be slow to greet (a tarpit, or reverse-DNS lookups timing out)";
    } else if (owed === 0 && !partial) {
      hint = "no command was waiting for a reply: every reply to the commands sent so far was already taken, so this `expect` waits for something the server has no reason to send (an `expect` too many, or a `send` missing before it)";
    } else {
      hint = hintFor(this.hintContext({ expected, step: stepKind, timedOut: true }));
    }
    if (hint) failure.hint = hint;
    return failure;
  }

  private async expect(step: Extract<Step, { kind: "expect" }>): Promise<void> {
    const connection = this.connection!;
    const started = Date.now();
    if (step.closed) return this.expectClosed(step);
    if (step.silenceMs !== undefined) {
      const arrival = await connection.next(step.silenceMs);
      if (arrival.kind === "timeout" && arrival.partial.length === 0) {
        // The script has said no reply comes; none is owed any more.
        this.owed = 0;
        return;
      }
      if (arrival.kind === "reply") connection.putBack(arrival.reply);
      const actual = arrival.kind === "reply" ? this.shownReply(arrival.reply) : arrival.kind === "closed" ? "(the connection closed)" : arrival.kind === "timeout" ? this.book.show(arrival.partial) : arrival.error.message;
      throw new StepFailure({ message: `expected silence for ${step.silenceMs / 1000} s, but the server sent something`, expected: "silence", actual, span: step.span });
    }
    const expected = step.matchers.map((m) => describeMatcher(m, this.render)).join(" ");
    const reply = await this.take(step.timeoutMs, expected, "expect");
    const recipient = this.lmtpRecipient(reply);
    let judgement: ReturnType<typeof judgeReply>;
    try {
      judgement = judgeReply(reply, step.matchers, {
        capabilities: this.protocol!.capabilities(reply) ?? undefined,
        describeCapabilities: (capabilities) => this.protocol!.describeCapabilities(capabilities),
        render: this.render,
        regexBudgetMs: step.timeoutMs - (Date.now() - started),
      });
    } catch (error) {
      if (error instanceof RegexTimeout) throw new StepFailure({ message: error.message, expected, actual: this.shownReply(reply), span: step.span });
      throw error;
    }
    if (judgement.failure) {
      // The reply is shown as the transcript shows it: masked and escaped.
      const failure: Failure = { ...judgement.failure, actual: this.shownReply(reply) };
      if (failure.diff) failure.diff = { expected: escapeBytes(Buffer.from(failure.diff.expected)), actual: this.shownPart(reply, failure.diff.actual) };
      if (recipient) failure.message += ` (the LMTP reply for <${recipient}>)`;
      const hint = hintFor(this.hintContext({ expected: failure.expected, step: "expect", reply: this.shownLines(reply) }));
      if (hint) failure.hint = hint;
      throw new StepFailure(failure);
    }
    for (const [name, value] of Object.entries(judgement.captures)) this.captures.set(name, value);
  }

  /** Which recipient an LMTP reply belongs to, if it answers a RCPT or the data. */
  private lmtpRecipient(reply: Reply): string | undefined {
    if (this.protocol?.name !== "lmtp") return undefined;
    const forData = this.lmtp.afterData.shift();
    if (forData !== undefined) {
      this.note(`LMTP: this reply is for <${forData}>`);
      return forData;
    }
    const rcpt = this.lmtp.rcpts.shift();
    if (rcpt !== undefined && reply.status?.startsWith("2")) this.lmtp.accepted.push(rcpt);
    return undefined;
  }

  private async expectClosed(step: Extract<Step, { kind: "expect" }>): Promise<void> {
    const connection = this.connection!;
    const deadline = Date.now() + step.timeoutMs;
    for (;;) {
      const arrival = await connection.next(Math.max(deadline - Date.now(), 1));
      if (arrival.kind === "closed") {
        this.connection = undefined;
        this.owed = 0;
        return;
      }
      if (arrival.kind === "reply") continue; // a farewell (221, * BYE) may come first
      if (arrival.kind === "framing") throw new StepFailure({ message: arrival.error.message, expected: "closed", actual: this.book.show(arrival.error.received), span: step.span });
      throw new StepFailure({ message: `the server kept the connection open for ${step.timeoutMs / 1000} s`, expected: "closed", actual: "(open)", span: step.span });
    }
  }

  private async starttls(step: Extract<Step, { kind: "starttls" }>): Promise<void> {
    const protocol = this.protocol!;
    await this.sendCommand(protocol.starttlsCommand);
    const reply = await this.take(step.timeoutMs, "220 (ready to start TLS)", "starttls");
    if (!protocol.starttlsReady(reply)) {
      const failure: Failure = { message: `the server refused ${protocol.starttlsCommand}`, expected: "ready to start TLS", actual: this.shownReply(reply), span: step.span };
      const hint = hintFor(this.hintContext({ expected: "capability STARTTLS", step: "starttls", reply: this.shownLines(reply) }));
      failure.hint = hint ?? "the server does not offer STARTTLS here: check that `capability STARTTLS` is in the EHLO reply, and that the server has a certificate configured";
      throw new StepFailure(failure);
    }
    let upgraded: Awaited<ReturnType<Connection["upgrade"]>>;
    try {
      const upgradeOptions: Parameters<Connection["upgrade"]>[0] = { host: this.host, settings: step.tls, timeoutMs: step.timeoutMs };
      if (this.options.ca) upgradeOptions.ca = this.options.ca;
      upgraded = await this.connection!.upgrade(upgradeOptions);
    } catch (error) {
      this.connection = undefined;
      if (step.expectRefused && error instanceof HandshakeError) return this.refused(step.tls, error);
      throw new StepConnectionFailure(this.classify(error, "tls", step.tls, true));
    }
    this.owed = 0;
    if (step.expectRefused) return this.notRefused(step.tls);
    if (upgraded.dropped > 0) {
      this.note(`discarded ${upgraded.dropped} bytes the server sent in plaintext after its STARTTLS go-ahead (RFC 3207 §4.2: a STARTTLS injection attempt or a broken server)`);
    }
    // RFC 3207 §4.2: the client must discard what it knew of the server before TLS.
    this.capabilities = undefined;
    this.afterHandshake(step.tls);
  }

  private async auth(step: Extract<Step, { kind: "auth" }>): Promise<void> {
    const user = this.renderLine(step.user);
    const secret = this.renderLine(step.secret);
    this.book.add(secret);
    for (const form of secretWireForms(user, secret)) this.book.addExact(form);
    const exchange: Exchange = {
      send: (line, shown) => this.send(line, this.book.showSecrets ? line : (shown ?? line)),
      nextTag: () => `A${++this.session.count}`,
      reply: () => this.take(step.timeoutMs, "a SASL challenge or the final reply", "auth"),
      putBack: (reply) => this.putBack(reply),
      note: (message) => this.note(message),
      capabilities: () => this.capabilities,
    };
    await this.protocol!.authenticate(exchange, { mechanism: step.mechanism, user, secret });
  }

  private async dataGoAhead(timeoutMs: number): Promise<void> {
    const data = this.protocol!.dataCommand!;
    await this.sendCommand(data.command);
    const reply = await this.take(timeoutMs, data.expected, "data");
    if (!data.ready(reply)) {
      const failure: Failure = { message: `the server refused ${data.command}: expected ${data.expected}, got ${reply.status ?? "no code"}`, expected: data.expected, actual: this.shownReply(reply) };
      const hint = hintFor(this.hintContext({ expected: data.expected, step: "data", reply: this.shownLines(reply) }));
      if (hint) failure.hint = hint;
      throw new StepFailure(failure);
    }
  }

  /** The end of data owes one reply, or (LMTP, RFC 2033 §4.2) one per accepted recipient. */
  private endOfData(): void {
    const replies = this.protocol!.name === "lmtp" ? Math.max(1, this.lmtp.accepted.length) : 1;
    this.lmtp.afterData = this.lmtp.accepted;
    this.lmtp.accepted = [];
    this.connection!.sent(".", replies);
    this.owed += replies;
  }

  private async data(step: Extract<Step, { kind: "data" }>, lines: string[]): Promise<void> {
    const nul = lines.findIndex((line) => line.includes("\0"));
    if (nul >= 0) {
      throw new StepFailure({ message: `body line ${nul + 1} holds a NUL byte: \`data\` never sends NUL (RFC 5321 §4.5.2 forbids it in text); use \`send raw\` to test how a server treats one`, expected: "a body without NUL", actual: this.shown(lines[nul]!), span: step.span });
    }
    await this.dataGoAhead(step.timeoutMs);
    const long = lines.filter((line) => Buffer.byteLength(line) > MAX_BODY_LINE_BYTES).length;
    if (long > 0) this.note(`${long} body line(s) exceed RFC 5321's ${MAX_BODY_LINE_BYTES} octets; many servers reject such messages`);
    const wire = lines.map(dotStuff);
    this.endOfData();
    await this.write(encodeData(lines), "the message");
    for (const line of wire) this.emit({ type: "client", text: this.shown(line), secret: false });
    this.emit({ type: "client", text: ".", secret: false });
    this.lastSent = ".";
  }

  private async dataFile(step: Extract<Step, { kind: "data-file" }>): Promise<void> {
    await this.dataGoAhead(step.timeoutMs);
    // Streamed line by line: a large message never sits in memory whole.
    const input = createInterface({ input: createReadStream(step.path), crlfDelay: Infinity });
    let count = 0;
    let bytes = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const chunk = `${batch.join("\r\n")}\r\n`;
      batch = [];
      await this.write(chunk, "the message");
    };
    try {
      for await (const line of input) {
        count += 1;
        if (line.includes("\0")) {
          // Nothing has ended the data yet: dropping the connection leaves no partial message.
          await this.connection?.destroy();
          this.connection = undefined;
          throw new StepFailure({ message: `line ${count} of ${step.path.split("/").pop()} holds a NUL byte: \`data\` never sends NUL (RFC 5321 §4.5.2); the connection was dropped before the end of data, so no message was delivered`, expected: "a message without NUL", actual: this.shown(line.slice(0, 200)), span: step.span });
        }
        const stuffed = dotStuff(line);
        batch.push(stuffed);
        bytes += Buffer.byteLength(stuffed) + 2;
        if (batch.length >= 256) await flush();
      }
    } catch (error) {
      input.close();
      if (error instanceof StepFailure) throw error;
      throw new StepFailure({ message: `cannot read ${step.path}: ${(error as Error).message}`, expected: "a readable message file", actual: "" });
    }
    await flush();
    this.endOfData();
    await this.write(".\r\n", "the end of data");
    this.emit({ type: "client", text: this.shown(`(message from ${step.path.split("/").pop()}: ${count} lines, ${bytes} bytes)`), secret: false });
    this.emit({ type: "client", text: ".", secret: false });
    this.lastSent = ".";
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled step ${JSON.stringify(value)}`);
}

/** What a handshake offered, for reports: "TLSv1.1", "TLSv1.2-TLSv1.3", "default". */
function describeOffer(settings: TlsSettings): string {
  if (settings.minVersion && settings.minVersion === settings.maxVersion) return settings.minVersion;
  if (settings.minVersion || settings.maxVersion) return `${settings.minVersion ?? "default"}-${settings.maxVersion ?? "default"}`;
  return "default versions";
}

export { SECRET_PLACEHOLDER, ConnectError };
