// One `mailchat shell` session: what the user types becomes lines of a script, compiled by
// the compiler with everything typed before it and run by the runtime's own steps on one
// RunContext. So `starttls`, `auth`, `data` and `expect` behave exactly as in a script, IMAP
// lines are tagged and literals sized as `send` does it, and the transcript is the run's.
// Each reply the shell reads gets an `expect` (shell/replies.ts) that is judged on that reply
// before it is written, so the script recorded runs green against the same server.
import type { CompiledScript, Step } from "../compile/steps.js";
import { isAbsolute, resolve } from "node:path";
import type { CompileOptions } from "../compile/compile.js";
import type { Diagnostic } from "../../grammar/diagnostic.js";
import type { Capabilities, CredentialSpotter, Reply } from "../protocols/types.js";
import { RunContext } from "../runtime/context.js";
import type { Arrival } from "../runtime/connection.js";
import type { RunEvent, StepInfo } from "../runtime/events.js";
import { judgeReply } from "../runtime/expectations.js";
import { StepConnectionFailure, StepFailure } from "../runtime/failures.js";
import { runStep } from "../runtime/runner.js";
import type { Route } from "../runtime/steps/connect.js";
import type { SecretBook } from "../secrets/book.js";
import { DEFAULT_TIMEOUT_MS, MAX_SCRIPT_BYTES, MAX_SHELL_LINE_BYTES } from "../limits.js";
import { asksForPassword, classify } from "./classify.js";
import { bodyLine, Recording, SESSION_FILE, sendLine, type Entry } from "./recording.js";
import { expectCandidates, withCapability } from "./replies.js";

export interface ShellSessionOptions {
  url: string;
  compile: Omit<CompileOptions, "source" | "env">;
  secrets: SecretBook;
  emit: (event: RunEvent) => void;
  /** The shell's own messages (not the server's). */
  say: (text: string, tone?: "note" | "warning") => void;
  /** Diagnostics of a typed line, rendered as `mailchat check` renders them. */
  diagnostics: (list: Diagnostic[], source: string) => void;
  ca?: string[];
  route?: Route;
  recordedAt: string;
  runCommand: string;
}

/** A place in the recorded script: an entry's n-th `expect`. */
interface ExpectAt {
  entry: Entry;
  index: number;
}

export class ShellSession {
  readonly ctx: RunContext;
  private readonly recording: Recording;
  private readonly script: CompiledScript = { file: SESSION_FILE, steps: [], masks: [], secrets: [], params: [] };
  /** The reply read last and its `expect`, which a typed `expect` replaces. */
  private last: { reply: Reply; at: ExpectAt } | undefined;
  /** The `expect` of the reply whose capability list is in force, to name what is relied on. */
  private capabilitiesAt: ExpectAt | undefined;
  private capabilitiesSeen: Capabilities | undefined;
  /** The command that asked for the capabilities (EHLO …, CAPA): asked again after STARTTLS. */
  private capabilityQuery: string | undefined;
  /** What the credential spotter found in the line sent last. */
  private spotted: string[] = [];
  failedExpectations = 0;
  /** The server broke the protocol (a flood or an endless line that mailchat dropped, a reply
   *  cut off by its close): the session failed, as the same server fails `run` (exit 1). */
  brokeProtocol = false;

  constructor(private readonly options: ShellSessionOptions) {
    this.recording = new Recording(options);
    const emit = (event: RunEvent) => {
      options.emit(event);
      // A flood or an endless line breaks the protocol's bounds (src/limits.ts) while the
      // prompt waits: the connection is dropped, and the user is told why.
      const broken = event.type === "closed" && event.by === "client" ? this.ctx.connection?.brokenUnread : undefined;
      if (broken) {
        this.brokeProtocol = true;
        options.say(`mailchat dropped the connection: ${options.secrets.redact(broken.message)}`, "warning");
      }
    };
    this.ctx = new RunContext(this.script, { emit, secrets: options.secrets, ...(options.ca ? { ca: options.ca } : {}) });
  }

  get open(): boolean {
    return Boolean(this.ctx.connection && !this.ctx.connection.closed);
  }

  /** The capabilities the server offered last, for completion. */
  get capabilities(): Capabilities | undefined {
    return this.ctx.capabilities;
  }

  get protocolCommands(): readonly string[] {
    return this.ctx.protocol?.commands ?? [];
  }

  /** Connects (the `connect` line and the greeting's `expect`): "invalid" when the URL (or
   *  an option) is refused before anything is sent, "failed" when the connection failed. */
  async start(): Promise<"connected" | "invalid" | "failed"> {
    if (await this.statement([`connect ${this.options.url}`])) return "connected";
    return this.recording.entries.length === 0 && !this.ctx.connection && this.refusedAtCompile ? "invalid" : "failed";
  }

  /** The last statement was refused by the compiler (nothing was sent). */
  private refusedAtCompile = false;

  /** The script recorded so far. */
  text(): string {
    return this.recording.text();
  }

  /** A typed line: a protocol line, a statement or a comment (the shell's `:` commands are the
   *  terminal's). `readMore` reads the lines a `data` or `pipeline` block holds. */
  async typed(line: string, readMore: (until: string) => Promise<string[] | undefined>, readSecret: () => Promise<string | undefined>): Promise<void> {
    if (Buffer.byteLength(line) > MAX_SHELL_LINE_BYTES) {
      this.options.say(`a line of ${Buffer.byteLength(line)} bytes was typed (limit ${MAX_SHELL_LINE_BYTES}): it is not sent; a large message goes in \`data file "…"\``, "warning");
      return;
    }
    if (this.recording.size > MAX_SCRIPT_BYTES) {
      this.options.say(`the script recorded is over ${MAX_SCRIPT_BYTES / 1_048_576} MiB: nothing more is taken (\`:save FILE\`, then start a new session)`, "warning");
      return;
    }
    const typed = classify(line);
    switch (typed.kind) {
      case "empty":
      case "shell":
        return;
      case "comment":
        this.recording.entries.push({ lines: [typed.text], expects: [] });
        return;
      case "protocol":
        return this.protocolLine(typed.text, readMore);
      case "statement":
        return this.typedStatement(typed.keyword, typed.text, readMore, readSecret);
    }
  }

  private async typedStatement(keyword: string, text: string, readMore: (until: string) => Promise<string[] | undefined>, readSecret: () => Promise<string | undefined>): Promise<void> {
    if (keyword === "expect" && !/^expect\s+(?:closed|silence)\b/.test(text)) return this.typedExpect(text);
    if ((keyword === "data" || keyword === "bdat") && /^(?:data|bdat(?:\s+chunk\s+\S+)?)$/.test(text)) {
      const body = await readMore(".");
      if (body === undefined) return;
      await this.statement([text, ...body.map(bodyLine), "."]);
      return;
    }
    if (keyword === "pipeline") {
      const sends = await readMore("end");
      if (sends === undefined) return;
      await this.statement([text, ...sends, "end"]);
      return;
    }
    if (keyword === "auth") {
      const lines = await this.authLine(text, readSecret);
      const relied = this.reliance(`AUTH ${text.split(/\s+/)[1] ?? ""}`);
      if (lines && (await this.statement(lines))) relied();
      return;
    }
    const relied = keyword === "starttls" ? this.reliance(this.ctx.protocol?.starttlsCommand ?? "STARTTLS") : () => undefined;
    const ok = await this.statement([absoluteFile(text)]);
    if (ok) relied();
    if (ok && keyword === "starttls") await this.afterStarttls(readMore);
  }

  /**
   * `auth MECH USER` asks for the password (without echo on a terminal); a password typed on
   * the line is taken out of it. Either way the script reads it from the environment.
   */
  private async authLine(text: string, readSecret: () => Promise<string | undefined>): Promise<string[] | undefined> {
    const words = text.split(/\s+/);
    if (words.length < 3) {
      this.options.say("`auth MECH USER` takes the user name; the password is asked for next (`auth plain alice@example.com`)", "warning");
      return undefined;
    }
    if (asksForPassword(text)) {
      const password = await readSecret();
      if (password === undefined) return undefined;
      return [`${text} \${env.${this.recording.envFor(password)}}`];
    }
    if (words.length === 4 && !words[3]!.includes("${")) {
      this.options.secrets.add(words[3]!);
      return [`${words.slice(0, 3).join(" ")} \${env.${this.recording.envFor(words[3]!)}}`];
    }
    return [text];
  }

  /** A protocol line: `send`, its replies read and shown; credentials it carries are taken
   *  out of the recorded line. After a `DATA` the server accepted, the message is read. */
  private async protocolLine(text: string, readMore: (until: string) => Promise<string[] | undefined>): Promise<void> {
    const verb = text.split(/\s+/)[0]!.toUpperCase();
    const relied = this.reliance(verb);
    const ok = await this.statement([sendLine(absoluteLiteral(text))], (entry) => this.hideCredentials(entry, absoluteLiteral(text)));
    if (!ok) return;
    if (/^(?:EHLO|LHLO|CAPA|CAPABILITY)$/.test(verb)) this.capabilityQuery = text;
    else relied();
    const data = this.ctx.protocol?.dataCommand;
    if (data && verb === data.command && this.last && data.ready(this.last.reply)) {
      this.options.say(`type the message; a line holding a single \`.\` ends it`, "note");
      const body = await readMore(".");
      if (body !== undefined) await this.statement(["data", ...body.map(bodyLine), "."]);
    }
  }

  /** A typed credential (IMAP LOGIN, POP3 PASS) goes out as typed but is recorded as
   *  `${env.MAILCHAT_PASSWORD}`; one the line cannot show as text (base64) is refused. */
  private hideCredentials(entry: Entry, text: string): boolean {
    if (this.spotted.length === 0) return true;
    // `AUTH PLAIN <base64>` typed by hand is the `auth plain USER` statement, the password
    // left to the environment (as `import` writes it): a script cannot base64 a variable.
    const plain = this.typedPlain(text);
    if (plain === null) {
      this.options.say("this AUTH PLAIN went out over plaintext: it is not recorded (a script says it as `auth plain USER`, which needs `starttls` first or --allow-plaintext-auth)", "warning");
      return false;
    }
    if (plain) {
      const user = /^[^\s"#$]+$/.test(plain.user) ? plain.user : JSON.stringify(plain.user).replace(/\$\{/g, () => "\\${");
      entry.lines = [`auth plain ${user} \${env.${this.recording.envFor(plain.password)}}`];
      return true;
    }
    const found = this.spotted.filter((secret) => text.includes(secret));
    if (found.length === 0) {
      this.options.say("this line carries a credential in a form the script cannot read from the environment (base64): it is not recorded; use `auth MECH USER` instead, which asks for the password", "warning");
      return false;
    }
    // The text around each credential is escaped as any typed line is; the credential becomes a reference.
    let parts = [text];
    for (const secret of found.sort((a, b) => b.length - a.length)) {
      const reference = `\${env.${this.recording.envFor(secret)}}`;
      parts = parts.flatMap((part) => (part.startsWith("\u0000") ? [part] : part.split(secret).flatMap((piece, i) => (i === 0 ? [piece] : [`\u0000${reference}`, piece]))));
    }
    if (/\s#/.test(text)) {
      this.options.say("this line holds ` #` and a credential: it is not recorded (write it without the comment sign)", "warning");
      return false;
    }
    entry.lines = [`send ${parts.map((part) => (part.startsWith("\u0000") ? part.slice(1) : part.replace(/\$\{/g, () => "$${"))).join("")}`];
    return true;
  }

  /**
   * The capability a command relies on, to be named in the `expect` of the reply that offered
   * it once the command went through (asked before it runs: STARTTLS voids the list).
   */
  private reliance(capability: string): () => void {
    const offered = this.ctx.capabilities;
    const at = this.capabilitiesAt;
    const none = () => undefined;
    if (!at || !offered || offered !== this.capabilitiesSeen) return none;
    const [word, ...params] = capability.toUpperCase().split(/\s+/);
    // POP3 lists its mechanisms as SASL; `capability AUTH PLAIN` means the same there.
    const keyword = word === "AUTH" && !offered.has("AUTH") && offered.has("SASL") ? "SASL" : word!;
    const listed = offered.get(keyword)?.map((p) => p.toUpperCase());
    if (!listed || !params.every((p) => listed.includes(p))) return none;
    return () => {
      if (at.entry.expects[at.index] !== "expect any") at.entry.expects[at.index] = withCapability(at.entry.expects[at.index]!, capability.toUpperCase());
    };
  }

  /** The capabilities are asked again after TLS (RFC 3207 §4.2: what was offered before is void). */
  private async afterStarttls(readMore: (until: string) => Promise<string[] | undefined>): Promise<void> {
    if (this.ctx.protocol?.greetsAfterTls || !this.capabilityQuery || !this.open) return;
    this.options.say("the capabilities are asked again over TLS", "note");
    await this.protocolLine(this.capabilityQuery, readMore);
  }

  /** `expect …` typed: judges the reply read last, and replaces the `expect` the shell wrote. */
  private async typedExpect(text: string): Promise<void> {
    const last = this.last;
    if (!last || !this.ctx.connection) {
      this.options.say("no reply to check yet: `expect` judges the reply read last", "warning");
      return;
    }
    const { entry, index } = last.at;
    const saved = entry.expects[index]!;
    entry.expects.splice(index, 1);
    const { result, first, source } = this.recording.compileWith([text]);
    if (!result.script) {
      entry.expects.splice(index, 0, saved);
      this.options.diagnostics(result.diagnostics, source);
      return;
    }
    entry.expects.splice(index, 0, saved);
    const step = result.script.steps.find((s) => s.span.line >= first)!;
    this.ctx.putBack(last.reply);
    if (!(await this.run(step))) {
      this.failedExpectations += 1;
      this.options.say("not recorded: the reply does not hold it (the shell's own `expect` stays)", "warning");
      return;
    }
    entry.expects[index] = text;
    this.options.say("✔ holds; recorded in place of the shell's `expect`", "note");
  }

  /**
   * Lines of a statement: compiled after what came before, their steps run, then the replies
   * owed read, each with its `expect`. Recorded only when every step held (`adjust` may
   * change what is recorded once the lines have gone out, or refuse to record them).
   */
  private async statement(lines: string[], adjust?: (entry: Entry) => boolean): Promise<boolean> {
    const { result, first, source } = this.recording.compileWith(lines);
    this.refusedAtCompile = !result.script;
    if (!result.script) {
      this.options.diagnostics(result.diagnostics, source);
      return false;
    }
    this.script.masks = result.script.masks;
    for (const secret of result.script.secrets) this.options.secrets.add(secret);
    const steps = result.script.steps.filter((step) => step.span.line >= first);
    this.spotted = [];
    for (const step of steps) {
      if (!(await this.run(step))) {
        if (step.kind === "expect") this.failedExpectations += 1;
        if (this.open) this.options.say("not recorded: it did not complete", "warning");
        await this.drain(undefined);
        return false;
      }
    }
    const entry: Entry = { lines, expects: [] };
    const recorded = adjust ? adjust(entry) : true;
    if (recorded) this.recording.entries.push(entry);
    await this.drain(recorded ? entry : undefined);
    return true;
  }

  /** Runs one compiled step, reporting it as the runner does; false when it failed. */
  private async run(step: Step): Promise<boolean> {
    const info: StepInfo = { index: 0, kind: step.kind, source: step.source, span: step.span };
    this.ctx.emit({ type: "step-start", step: info });
    const started = Date.now();
    const wrapped = step.kind === "connect";
    try {
      await runStep(this.ctx, step, this.options.route);
      if (wrapped) this.watchCredentials();
      this.ctx.emit({ type: "step-end", step: info, status: "pass", ms: Date.now() - started });
      return true;
    } catch (error) {
      if (error instanceof StepFailure) {
        this.ctx.emit({ type: "step-end", step: info, status: "fail", ms: Date.now() - started, failure: this.ctx.clean(error.failure) });
        return false;
      }
      if (error instanceof StepConnectionFailure) {
        this.ctx.emit({ type: "step-end", step: info, status: "error", ms: Date.now() - started, connectionFailure: error.failure });
        await this.ctx.connection?.destroy();
        this.ctx.connection = undefined;
        return false;
      }
      throw error;
    }
  }

  /** The user and password of an SMTP/LMTP/POP3 `AUTH PLAIN <base64>` line, when the script
   *  can say it with `auth plain` here: over TLS, or with plaintext AUTH allowed (null when
   *  it cannot, the line having gone out over plaintext). */
  private typedPlain(text: string): { user: string; password: string } | null | undefined {
    const blob = /^AUTH PLAIN ([A-Za-z0-9+/]+={0,2})$/i.exec(text)?.[1];
    if (!blob || this.ctx.protocol?.name === "imap") return undefined;
    const parts = Buffer.from(blob, "base64").toString("utf8").split("\0");
    if (parts.length !== 3 || !parts[1] || !parts[2]) return undefined;
    if (!this.ctx.connection?.tls && !this.options.compile.allowPlaintextAuth) return null;
    return { user: parts[1], password: parts[2] };
  }

  /** The protocol's credential spotter, told every client line, also tells the shell. */
  private watchCredentials(): void {
    const inner = this.ctx.spotter;
    if (!inner) return;
    const spotter: CredentialSpotter = {
      client: (line) => {
        const found = inner.client(line);
        this.spotted.push(...found);
        return found;
      },
      server: (reply) => inner.server(reply),
    };
    this.ctx.spotter = spotter;
  }

  /** Every reply owed is read and shown; `entry` records an `expect` for each. */
  private async drain(entry: Entry | undefined): Promise<void> {
    const timeoutMs = this.options.compile.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    while (this.ctx.owed > 0 && this.ctx.connection) {
      const connection = this.ctx.connection;
      const arrival = await connection.next(timeoutMs);
      if (arrival.kind !== "reply") {
        this.noReply(arrival, timeoutMs);
        return;
      }
      connection.putBack(arrival.reply);
      const reply = arrival.reply;
      const target = entry ?? { lines: [], expects: [] };
      const index = target.expects.length;
      const chosen = this.chooseExpect(reply, target);
      if (!chosen) throw new Error(`the session's script no longer compiles after \`${target.lines.join(" ")}\``);
      target.expects.push(chosen.text);
      if (!(await this.run(chosen.step))) {
        if (!entry) continue;
        // The shell's own `expect` held when judged; a failure here is the connection's.
        target.expects.pop();
        return;
      }
      const at = { entry: target, index };
      this.last = { reply, at };
      this.explainRefusal(reply);
      if (this.ctx.capabilities && this.ctx.capabilities !== this.capabilitiesSeen) {
        this.capabilitiesSeen = this.ctx.capabilities;
        this.capabilitiesAt = entry ? at : undefined;
      }
    }
  }

  /** A refusal is shown with the hint a script's failure would carry (src/hints/). */
  private explainRefusal(reply: Reply): void {
    if (!this.ctx.protocol?.isRefusal(reply)) return;
    const hint = this.ctx.hint({ expected: "not a refusal", step: "send", reply: this.ctx.shownLines(reply), situation: "refused-unexpected" });
    if (hint) this.options.say(`hint: ${hint}`, "warning");
  }

  /** The most precise `expect` that holds on this reply, compiled where it will stand. */
  private chooseExpect(reply: Reply, entry: Entry): { text: string; step: Step } | undefined {
    const protocol = this.ctx.protocol!;
    let fallback: { text: string; step: Step } | undefined;
    for (const text of expectCandidates(reply, protocol)) {
      const recorded = this.recording.entries.includes(entry);
      const extra = recorded ? [] : [...entry.lines, ...entry.expects, text];
      if (recorded) entry.expects.push(text);
      const { result, first } = this.recording.compileWith(extra);
      if (recorded) entry.expects.pop();
      // Recorded entries stand at the end of the script; the new `expect` is its last line.
      const line = recorded ? first - 1 : first + extra.length - 1;
      const step = result.script?.steps.find((s) => s.span.line === line);
      if (!step || step.kind !== "expect") continue;
      fallback ??= { text, step };
      // The run's own matcher context, as the `expect` step would judge it.
      const context = Object.assign(this.ctx.judgeContext, { capabilities: protocol.capabilities(reply) ?? undefined, untaggedLines: undefined, regexBudgetMs: 1_000 });
      const judged = judgeReply(reply, step.matchers, context);
      if (!judged.failure) return { text, step };
    }
    return fallback;
  }

  private noReply(arrival: Exclude<Arrival, { kind: "reply" }>, timeoutMs: number): void {
    if (arrival.kind === "closed") {
      if (arrival.partial.length === 0) return this.options.say("the server closed the connection", "warning");
      // What came of the reply is shown, as a telnet would have shown it.
      this.ctx.emit({ type: "server", lines: this.ctx.shownBytes(arrival.partial).split("\n") });
      this.brokeProtocol = true;
      this.options.say("the server closed the connection in the middle of a reply: the lines above are all it sent", "warning");
      return;
    }
    if (arrival.kind === "framing") {
      this.options.say(`the connection was dropped: ${this.options.secrets.redact(arrival.error.message)}`, "warning");
      void this.ctx.connection?.destroy();
      return;
    }
    this.options.say(`no reply within ${timeoutMs / 1000} s; a reply that comes later is shown when it arrives, and this line is not recorded`, "warning");
  }

  /** Ends the session: QUIT/LOGOUT's close is awaited, anything else closed from our side. */
  async close(): Promise<void> {
    const connection = this.ctx.connection;
    if (!connection) return;
    await connection.close({ afterFarewell: this.ctx.current.saidFarewell });
    this.ctx.connection = undefined;
  }

}

/** A sized literal's `{file "msg.eml"}` ending a typed line, recorded absolute as `data file`'s. */
function absoluteLiteral(text: string): string {
  const match = /\{file "([^"\\$]*)"\}\s*$/.exec(text);
  if (!match || isAbsolute(match[1]!)) return text;
  return `${text.slice(0, match.index)}{file "${resolve(match[1]!)}"}`;
}

/**
 * `data file "msg.eml"` typed at the prompt means the current directory; a script resolves
 * paths from its own, so the path is recorded absolute and the script runs wherever it is saved.
 */
function absoluteFile(text: string): string {
  const match = /^((?:data|bdat)\s+file\s+)"([^"\\$]*)"/.exec(text);
  if (!match || isAbsolute(match[2]!)) return text;
  return `${match[1]}"${resolve(match[2]!)}"${text.slice(match[0].length)}`;
}
