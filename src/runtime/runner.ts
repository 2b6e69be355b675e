// Executes compiled steps against a live server, one at a time, and reports what happens as
// events. The first failed step ends the run: what follows depends on it.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { CompiledScript, RuntimeText, Step, TlsSettings } from "../compile/steps.js";
import { hintFor, hintForConnectionError, type HintContext } from "../hints.js";
import { DEFAULT_TIMEOUT_MS, MAX_BODY_LINE_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { protocolFor } from "../protocols/index.js";
import { dotStuff } from "../protocols/smtp.js";
import type { Capabilities, CommandSession, Exchange, Protocol, Reply } from "../protocols/types.js";
import { redact, secretWireForms } from "../sasl/index.js";
import { classifyConnectionError } from "./classify.js";
import { Connection, ConnectError, type Arrival } from "./connection.js";
import { EXIT, type ConnectionFailure, type Failure, type RunEvent, type RunStatus, type StepInfo } from "./events.js";
import { describeMatcher, judgeConnection, judgeReply, replyText } from "./expectations.js";
import { HandshakeError, describeVerifyError } from "./tls.js";

export interface RunOptions {
  emit: (event: RunEvent) => void;
  /** Extra trust anchors (PEM): --ca, the sandbox's CA. */
  ca?: string[];
  showSecrets?: boolean;
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

class Runner {
  private connection: Connection | undefined;
  private protocol: Protocol | undefined;
  private capabilities: Capabilities | undefined;
  private readonly captures = new Map<string, string>();
  private readonly secretForms: string[] = [];
  private lastSent: string | undefined;
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
    for (const secret of script.secrets) this.secretForms.push(...secretWireForms("", secret));
  }

  private finished = false;

  private emit(event: RunEvent): void {
    // A socket may report its close after the run has ended; the report is complete by then.
    if (this.finished) return;
    this.options.emit(event);
  }

  private shown(text: string): string {
    return this.options.showSecrets ? text : redact(text, this.secretForms);
  }

  async run(): Promise<RunResult> {
    const started = Date.now();
    this.emit({ type: "run-start", file: this.script.file, steps: this.script.steps.length, time: new Date(started).toISOString() });
    let status: RunStatus = "pass";
    for (const [index, step] of this.script.steps.entries()) {
      const info: StepInfo = { index, kind: step.kind, source: step.source, span: step.span };
      const stepStarted = Date.now();
      this.emit({ type: "step-start", step: info });
      try {
        await this.step(step);
        this.emit({ type: "step-end", step: info, status: "pass", ms: Date.now() - stepStarted });
      } catch (error) {
        if (error instanceof StepFailure) {
          status = "fail";
          this.emit({ type: "step-end", step: info, status: "fail", ms: Date.now() - stepStarted, failure: error.failure });
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
      throw new StepFailure({ message: "a captured value holds a line break (CR or LF); mailchat never sends one inside a line", expected: "one line", actual: JSON.stringify(line) });
    }
    return line;
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case "connect":
        return this.connect(step);
      case "send":
        return this.sendCommand(this.renderLine(step.line), step.timeoutMs);
      case "send-raw": {
        const bytes = this.render(step.bytes);
        // `\xHH` escapes are bytes; text beyond Latin-1 (an emoji, SMTPUTF8) goes as UTF-8.
        await this.write(Buffer.from(bytes, /[^\x00-\xff]/.test(bytes) ? "utf8" : "latin1"));
        this.emit({ type: "client", text: this.shown(`(raw) ${JSON.stringify(bytes)}`), secret: false });
        return;
      }
      case "expect":
        return this.expect(step);
      case "check": {
        const failure = judgeConnection(step.check, this.connection?.tls, this.render);
        if (failure) throw new StepFailure({ ...failure, span: step.span });
        return;
      }
      case "starttls":
        return this.starttls(step);
      case "auth":
        return this.auth(step);
      case "data":
        return this.data(step, step.body.map((line) => this.renderLine(line)));
      case "data-file":
        return this.dataFile(step);
      case "set":
        this.captures.set(step.name, this.render(step.value));
        return;
      case "close":
        await this.connection?.close();
        this.connection = undefined;
        return;
    }
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
    this.emit({ type: "connect", url: step.url, host: step.host, port: step.port, protocol: step.protocol, implicitTls: step.implicitTls });
    if (route) this.emit({ type: "note", message: `sandbox: ${step.url} is served by 127.0.0.1:${port}` });
    const started = Date.now();
    try {
      const openOptions: Parameters<typeof Connection.open>[0] = {
        host: step.host,
        address,
        port,
        timeoutMs: step.timeoutMs,
        protocol,
        listener: {
          // An IMAP literal spans lines: each is shown on its own transcript line.
          reply: (reply) => this.emit({ type: "server", lines: reply.lines.flatMap((line) => line.split(/\r?\n/)).map((line) => this.shown(line)) }),
          closed: (by) => this.emit({ type: "closed", by }),
        },
      };
      if (step.implicitTls) openOptions.implicitTls = this.options.ca ? { settings: step.tls, ca: this.options.ca } : { settings: step.tls };
      this.connection = await Connection.open(openOptions);
    } catch (error) {
      if (step.expectRefused && error instanceof HandshakeError) return this.refused(step.tls, error);
      throw new StepConnectionFailure(this.classify(error, step.implicitTls ? "tls" : "connect"));
    }
    this.protocol = protocol;
    this.emit({ type: "connected", address: this.connection.remoteAddress, port: this.connection.remotePort, ms: Date.now() - started });
    if (this.connection.tls) {
      if (step.expectRefused) return this.notRefused(step);
      this.afterHandshake(step.tls);
    }
  }

  /** `expect tls refused` held: the handshake failed, as the script said it would. */
  private refused(settings: TlsSettings, error: HandshakeError): void {
    this.connection = undefined;
    this.emit({ type: "tls-refused", offered: describeOffer(settings), reason: error.code ? `${error.message} (${error.code})` : error.message });
  }

  private async notRefused(step: Step): Promise<void> {
    const facts = this.connection!.tls!;
    facts.offered = describeOffer((step as { tls: TlsSettings }).tls);
    this.emit({ type: "tls", facts });
    await this.connection!.destroy();
    this.connection = undefined;
    throw new StepFailure({
      message: `expected the server to refuse the handshake (${describeOffer((step as { tls: TlsSettings }).tls)}), but it negotiated ${facts.version} ${facts.cipher}`,
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
      this.emit({ type: "note", message: `certificate verification is off: the certificate would have been refused (${describeVerifyError(reason)})` });
      return;
    }
    this.connection!.destroy();
    throw new StepConnectionFailure(this.classify(new HandshakeError(`certificate verification failed: ${describeVerifyError(reason)} (${reason})`, reason), "certificate"));
  }

  private classify(error: unknown, stage: "connect" | "tls" | "certificate"): ConnectionFailure {
    const failure = classifyConnectionError(error, { host: this.host, port: this.port, stage });
    const hint = hintForConnectionError(failure.code ?? "", { host: this.host, port: this.port, implicitTls: this.implicitTls, protocol: this.protocol?.name ?? "smtp" });
    if (hint && !failure.hint) failure.hint = hint;
    return failure;
  }

  private async write(bytes: string | Buffer): Promise<void> {
    try {
      await this.connection!.write(bytes);
    } catch (error) {
      throw new StepFailure({
        message: "cannot send: the server has closed the connection",
        expected: "an open connection",
        actual: (error as Error).message,
      });
    }
  }

  private async send(wire: string, shown: string): Promise<void> {
    this.connection!.sent(wire);
    await this.write(`${wire}\r\n`);
    this.lastSent = this.shown(shown);
    this.emit({ type: "client", text: this.lastSent, secret: shown !== wire });
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
    if (!command.opensLiteral) return this.send(command.wire, command.shown);
    // RFC 7888: with LITERAL+ the client need not wait; otherwise the server's `+` go-ahead
    // comes before the literal's data (the next `send`).
    if (this.capabilities?.has("LITERAL+")) {
      const plus = (text: string) => text.replace(/\{(\d+)\}$/, "{$1+}");
      return this.send(plus(command.wire), plus(command.shown));
    }
    await this.send(command.wire, command.shown);
    const reply = await this.nextReply(timeoutMs, "+ (go ahead with the literal)", "send");
    if (reply.status !== "+") {
      this.session.literalPending = false;
      this.connection!.putBack(reply);
      throw new StepFailure({ message: "the server did not accept the literal: it sent no + continuation", expected: "+", actual: replyText(reply) });
    }
  }

  private hintContext(extra: Partial<HintContext> & { expected: string; step: string }): HintContext {
    const context: HintContext = { protocol: this.protocol?.name ?? "smtp", encrypted: Boolean(this.connection?.tls), ...extra };
    if (this.lastSent !== undefined && context.lastSent === undefined) context.lastSent = this.lastSent;
    return context;
  }

  /** Waits for the next reply; anything else (timeout, close, a broken server) fails the step. */
  private async nextReply(timeoutMs: number, expected: string, stepKind: string): Promise<Reply> {
    const arrival = await this.connection!.next(timeoutMs);
    if (arrival.kind === "reply") {
      this.learnCapabilities(arrival.reply);
      return arrival.reply;
    }
    throw new StepFailure(this.noReplyFailure(arrival, timeoutMs, expected, stepKind));
  }

  private learnCapabilities(reply: Reply): void {
    const capabilities = this.protocol!.capabilities(reply);
    if (capabilities && (capabilities.size > 0 || this.greeted)) this.capabilities = capabilities;
    this.greeted = true;
  }

  private noReplyFailure(arrival: Exclude<Arrival, { kind: "reply" }>, timeoutMs: number, expected: string, stepKind: string): Failure {
    if (arrival.kind === "framing") {
      return { message: arrival.error.message, expected, actual: arrival.error.received, hint: "the server is not speaking this protocol, or is broken; mailchat stopped reading to bound memory" };
    }
    const partial = this.shown(arrival.partial);
    if (arrival.kind === "closed") {
      const failure: Failure = partial
        ? { message: "the server closed the connection in the middle of a reply", expected, actual: partial }
        : { message: "the server closed the connection instead of replying", expected, actual: "" };
      const hint = hintFor(this.hintContext({ expected, step: stepKind }));
      if (hint) failure.hint = hint;
      return failure;
    }
    const failure: Failure = {
      message: partial ? `the reply was not complete after ${timeoutMs / 1000} s (no final line)` : `no reply within ${timeoutMs / 1000} s`,
      expected,
      actual: partial,
    };
    const hint = !this.greeted && !this.implicitTls
      ? "nothing arrived since the connection opened: if this port speaks implicit TLS (465, 993, 995), use smtps://, imaps:// or pop3s://; otherwise the server may be slow to greet (a tarpit, or reverse-DNS lookups timing out)"
      : hintFor(this.hintContext({ expected, step: stepKind, timedOut: true }));
    if (hint) failure.hint = hint;
    return failure;
  }

  private async expect(step: Extract<Step, { kind: "expect" }>): Promise<void> {
    const connection = this.connection!;
    if (step.closed) return this.expectClosed(step);
    if (step.silenceMs !== undefined) {
      const arrival = await connection.next(step.silenceMs);
      if (arrival.kind === "timeout" && !arrival.partial) return;
      if (arrival.kind === "reply") connection.putBack(arrival.reply);
      const actual = arrival.kind === "reply" ? replyText(arrival.reply) : arrival.kind === "closed" ? "(the connection closed)" : arrival.kind === "timeout" ? arrival.partial : arrival.error.message;
      throw new StepFailure({ message: `expected silence for ${step.silenceMs / 1000} s, but the server sent something`, expected: "silence", actual: this.shown(actual), span: step.span });
    }
    const expected = step.matchers.map((m) => describeMatcher(m, this.render)).join(" ");
    const reply = await this.nextReply(step.timeoutMs, expected, "expect");
    const recipient = this.lmtpRecipient(reply);
    const judgement = judgeReply(reply, step.matchers, this.protocol!.capabilities(reply) ?? undefined, this.render);
    if (judgement.failure) {
      const failure = { ...judgement.failure, actual: this.shown(judgement.failure.actual) };
      if (recipient) failure.message += ` (the LMTP reply for <${recipient}>)`;
      const hint = hintFor(this.hintContext({ expected: failure.expected, step: "expect", reply: reply.lines.map((l) => this.shown(l)) }));
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
      this.emit({ type: "note", message: `LMTP: this reply is for <${forData}>` });
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
        return;
      }
      if (arrival.kind === "reply") continue; // a farewell (221, * BYE) may come first
      if (arrival.kind === "framing") throw new StepFailure({ message: arrival.error.message, expected: "closed", actual: arrival.error.received, span: step.span });
      throw new StepFailure({ message: `the server kept the connection open for ${step.timeoutMs / 1000} s`, expected: "closed", actual: "(open)", span: step.span });
    }
  }

  private async starttls(step: Extract<Step, { kind: "starttls" }>): Promise<void> {
    const protocol = this.protocol!;
    await this.sendCommand(protocol.starttlsCommand);
    const reply = await this.nextReply(step.timeoutMs, "220 (ready to start TLS)", "starttls");
    if (!protocol.starttlsReady(reply)) {
      const failure: Failure = { message: `the server refused ${protocol.starttlsCommand}`, expected: "ready to start TLS", actual: replyText(reply), span: step.span };
      const hint = hintFor(this.hintContext({ expected: "capability STARTTLS", step: "starttls", reply: reply.lines }));
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
      throw new StepConnectionFailure(this.classify(error, "tls"));
    }
    if (step.expectRefused) return this.notRefused(step);
    if (upgraded.dropped > 0) {
      this.emit({ type: "note", message: `discarded ${upgraded.dropped} bytes the server sent in plaintext after its STARTTLS go-ahead (RFC 3207 §4.2: a STARTTLS injection attempt or a broken server)` });
    }
    // RFC 3207 §4.2: the client must discard what it knew of the server before TLS.
    this.capabilities = undefined;
    this.afterHandshake(step.tls);
  }

  private async auth(step: Extract<Step, { kind: "auth" }>): Promise<void> {
    const user = this.renderLine(step.user);
    const secret = this.renderLine(step.secret);
    this.secretForms.push(...secretWireForms(user, secret));
    const exchange: Exchange = {
      send: (line, shown) => this.send(line, this.options.showSecrets ? line : (shown ?? line)),
      nextTag: () => `A${++this.session.count}`,
      reply: () => this.nextReply(step.timeoutMs, "a SASL challenge or the final reply", "auth"),
      putBack: (reply) => this.connection!.putBack(reply),
      note: (message) => this.emit({ type: "note", message: this.shown(message) }),
      capabilities: () => this.capabilities,
    };
    await this.protocol!.authenticate(exchange, { mechanism: step.mechanism, user, secret });
  }

  private async dataGoAhead(timeoutMs: number): Promise<void> {
    const data = this.protocol!.dataCommand!;
    await this.sendCommand(data.command);
    const reply = await this.nextReply(timeoutMs, data.expected, "data");
    if (!data.ready(reply)) {
      const failure: Failure = { message: `the server refused ${data.command}: expected ${data.expected}, got ${reply.status ?? "no code"}`, expected: data.expected, actual: replyText(reply) };
      const hint = hintFor(this.hintContext({ expected: data.expected, step: "data", reply: reply.lines }));
      if (hint) failure.hint = hint;
      throw new StepFailure(failure);
    }
  }

  private async data(step: Extract<Step, { kind: "data" }>, lines: string[]): Promise<void> {
    await this.dataGoAhead(step.timeoutMs);
    this.lmtpDataSent();
    const long = lines.filter((line) => Buffer.byteLength(line) > MAX_BODY_LINE_BYTES).length;
    if (long > 0) this.emit({ type: "note", message: `${long} body line(s) exceed RFC 5321's ${MAX_BODY_LINE_BYTES} octets; many servers reject such messages` });
    const wire = lines.map(dotStuff);
    await this.write(`${[...wire, "."].join("\r\n")}\r\n`);
    for (const line of wire) this.emit({ type: "client", text: this.shown(line), secret: false });
    this.emit({ type: "client", text: ".", secret: false });
    this.lastSent = ".";
  }

  private lmtpDataSent(): void {
    this.lmtp.afterData = this.lmtp.accepted;
    this.lmtp.accepted = [];
  }

  private async dataFile(step: Extract<Step, { kind: "data-file" }>): Promise<void> {
    await this.dataGoAhead(step.timeoutMs);
    this.lmtpDataSent();
    // Streamed line by line: a large message never sits in memory whole.
    const input = createInterface({ input: createReadStream(step.path), crlfDelay: Infinity });
    let count = 0;
    let bytes = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const chunk = `${batch.join("\r\n")}\r\n`;
      batch = [];
      await this.write(chunk);
    };
    try {
      for await (const line of input) {
        const stuffed = dotStuff(line);
        batch.push(stuffed);
        count += 1;
        bytes += Buffer.byteLength(stuffed) + 2;
        if (batch.length >= 256) await flush();
      }
    } catch (error) {
      if (error instanceof StepFailure) throw error;
      throw new StepFailure({ message: `cannot read ${step.path}: ${(error as Error).message}`, expected: "a readable message file", actual: "" });
    }
    await flush();
    await this.write(".\r\n");
    this.emit({ type: "client", text: `(message from ${step.path.split("/").pop()}: ${count} lines, ${bytes} bytes)`, secret: false });
    this.emit({ type: "client", text: ".", secret: false });
    this.lastSent = ".";
  }
}

/** What a handshake offered, for reports: "TLSv1.1", "TLSv1.2-TLSv1.3", "default". */
function describeOffer(settings: TlsSettings): string {
  if (settings.minVersion && settings.minVersion === settings.maxVersion) return settings.minVersion;
  if (settings.minVersion || settings.maxVersion) return `${settings.minVersion ?? "default"}-${settings.maxVersion ?? "default"}`;
  return "default versions";
}

export { SECRET_PLACEHOLDER, ConnectError };
