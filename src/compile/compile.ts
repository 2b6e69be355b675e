// AST → checked, compiled steps. Everything that can be known before a byte is sent is
// checked here, so a broken script never touches the network (exit 2). The seams: loading
// and includes (load.ts), names and values (scope.ts), the connection's state
// (connection-state.ts), matchers (matchers.ts), what steps send besides their line
// (payloads.ts); this file walks the statements.
import type * as A from "../../grammar/ast.js";
import { closest, diagnostic, type Diagnostic } from "../../grammar/diagnostic.js";
import { DEFAULT_TIMEOUT_MS, PROBE_WINDOW_MS, SECRET_PLACEHOLDER } from "../limits.js";
import { SCHEMES, formatEndpoint, parseEndpoint } from "../protocols/schemes.js";
import { protocolFor } from "../protocols/index.js";
import type { SaslMechanism } from "../protocols/types.js";
import { ConnectionState } from "./connection-state.js";
import { describeFsError, loadStatements, type Located } from "./load.js";
import { MatcherCompiler } from "./matchers.js";
import { chunkSize, dataBody, messageFile, readLiteral } from "./payloads.js";
import { proxySettings } from "./proxy.js";
import { compileDnsCheck, compileRouting, mxUrl } from "./routing.js";
import { Scope } from "./scope.js";
import { checkConnectionWarn, timingStep } from "./thresholds.js";
import { messagePlan } from "./message.js";
import { isDnsCheck, type CompiledScript, type ConnectionCheck, type Mask, type RuntimeText, type Step } from "./steps.js";

export { describeFsError };

export interface CompileOptions {
  /** Values from `--var NAME=VALUE`. */
  vars?: Record<string, string>;
  /** Values from `--secret NAME=VALUE`: variables like --var, masked in every output. */
  secrets?: Record<string, string>;
  /** The environment `${env.NAME}` reads (process.env by default). */
  env?: Record<string, string | undefined>;
  allowPlaintextAuth?: boolean;
  /** --insecure: verify no certificate. */
  insecure?: boolean;
  /** --timeout: the default wait before the script's own `timeout` statements. */
  defaultTimeoutMs?: number;
  /** Source text to use instead of reading the entry file (tests, stdin, the API). */
  source?: string;
}

export interface CompileResult {
  script?: CompiledScript;
  diagnostics: Diagnostic[];
  /** Every file read, for rendering diagnostics with their source lines. */
  sources: Map<string, string>;
}

const MECHANISMS: readonly SaslMechanism[] = ["plain", "login", "cram-md5", "xoauth2", "user"];

// A step's span and source line. Each step names the two fields rather than spreading
// `{ ...common }`: a spread in code V8 has not yet optimised cost a 10,000-line check ~70 ms
// of its ~280 ms compile (docs/benchmarks.md).
type Common = { span: A.Span; source: string };

export function compile(file: string, options: CompileOptions = {}): CompileResult {
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const located = loadStatements(file, options.source, sources, diagnostics);
  if (diagnostics.length > 0) return { diagnostics, sources };
  const script = new Compiler(file, options, diagnostics).compile(located);
  return diagnostics.length > 0 ? { diagnostics, sources } : { script, diagnostics, sources };
}

class Compiler {
  private readonly steps: Step[] = [];
  private readonly masks: Mask[] = [];
  private readonly scope: Scope;
  private readonly connections: ConnectionState;
  private readonly matchers: MatcherCompiler;
  private timeoutMs: number;
  private allowPlaintextAuth: boolean;
  private readonly sourceLines = new Map<string, { text: string; lines: string[] }>();
  /** The script sent DATA itself and only `expect`s followed: a `data` sends the body alone. */
  private dataSent = false;

  constructor(
    private readonly file: string,
    private readonly options: CompileOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.timeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.allowPlaintextAuth = options.allowPlaintextAuth ?? false;
    this.scope = new Scope(options.env ?? process.env, { vars: options.vars ?? {}, secrets: options.secrets ?? {} }, this.error);
    this.connections = new ConnectionState(this.error);
    this.matchers = new MatcherCompiler(this.scope, this.connections, this.error);
  }

  compile(located: Located[]): CompiledScript {
    // `allow plaintext-auth` is a statement about the whole script, wherever it stands.
    if (located.some((l) => l.statement.kind === "allow")) this.allowPlaintextAuth = true;
    for (const { statement, source } of located) this.statement(statement, source);
    return { file: this.file, steps: this.steps, masks: this.masks, secrets: [...this.scope.secrets], params: this.scope.params };
  }

  private readonly error = (code: string, message: string, span: A.Span, help?: string): void => {
    this.diagnostics.push(diagnostic(code, message, span, help));
  };

  /** The statement's line as written; each file is split into lines once. */
  private sourceLine(source: string, span: A.Span): string {
    let cached = this.sourceLines.get(span.file);
    if (!cached || cached.text !== source) {
      cached = { text: source, lines: source.split(/\r?\n/) };
      this.sourceLines.set(span.file, cached);
    }
    return (cached.lines[span.line - 1] ?? "").trim();
  }

  private statement(s: A.Statement, source: string): void {
    const common: Common = { span: s.span, source: this.sourceLine(source, s.span) };
    const dataSent = this.dataSent;
    if (s.kind !== "expect" && s.kind !== "param" && s.kind !== "set" && s.kind !== "timeout" && s.kind !== "mask") this.dataSent = false;
    switch (s.kind) {
      case "param":
        return this.scope.param(s);
      case "set": {
        const value = this.scope.text(s.value, "value");
        if (!value) return;
        if (value.parts.every((p) => typeof p === "string")) {
          const known = (value.parts as string[]).join("");
          // `set password secret = …`: masked in every output, like a secret param.
          if (s.secret) this.scope.secrets.add(known);
          return this.scope.define(s.name, known);
        }
        this.scope.define(s.name, undefined);
        this.steps.push({ span: common.span, source: common.source, kind: "set", name: s.name, value, ...(s.secret ? { secret: true } : {}) });
        return;
      }
      case "timeout":
        this.timeoutMs = s.ms;
        return;
      case "allow":
      case "include": // spliced by loadStatements
        return;
      case "mask":
        if (this.matchers.safeRegex(s.regex)) this.masks.push({ regex: new RegExp(s.regex.source, s.regex.flags.includes("g") ? s.regex.flags : `${s.regex.flags}g`), replacement: s.replacement });
        return;
      case "connect":
        return this.connect(s, common);
      case "use":
        if (this.connections.use(s)) this.steps.push({ span: common.span, source: common.source, kind: "use", name: s.name });
        return;
      case "close":
        this.connections.require(s, "close");
        this.connections.close();
        this.steps.push({ span: common.span, source: common.source, kind: "close" });
        return;
      case "send":
        this.send(s, common);
        this.dataSent = this.isDataCommand(s);
        return;
      case "pipeline":
        this.pipeline(s, common);
        this.dataSent = s.sends.length > 0 && this.isDataCommand(s.sends[s.sends.length - 1]!);
        return;
      case "bdat":
      case "bdat-file":
        return this.bdat(s, common);
      case "probe":
        return this.probe(s, common);
      case "send-raw": {
        if (!this.connections.require(s, "send raw")) return;
        const bytes = this.scope.text(s.bytes, "raw");
        if (bytes) this.steps.push({ span: common.span, source: common.source, kind: "send-raw", bytes });
        return;
      }
      case "expect":
        return this.expect(s, common);
      case "expect-connection":
        return this.connectionCheck(s, common);
      case "expect-timing": {
        const connection = this.connections.require(s, "expect");
        const step = connection && timingStep(s, connection, common, this.error);
        if (step) this.steps.push(step);
        return;
      }
      case "starttls":
        return this.starttls(s, common);
      case "auth":
        return this.auth(s, common);
      case "data":
        return this.data(s, common, dataSent);
      case "data-file":
        return this.dataFile(s, common, dataSent);
      case "data-message": {
        const connection = this.connections.require(s, "data message");
        if (!connection || !this.hasData(connection, s.span)) return;
        const message = messagePlan(s, this.scope, this.error);
        if (message) this.steps.push({ span: common.span, source: common.source, kind: "data-message", message, timeoutMs: this.timeoutMs, ...(dataSent ? { commandSent: dataSent } : {}) });
        return;
      }
      default:
        return assertNever(s);
    }
  }

  /** A `send` of the protocol's DATA command (what `data` would otherwise send itself). */
  private isDataCommand(s: Extract<A.Statement, { kind: "send" }>): boolean {
    const command = this.connections.current?.protocol.dataCommand?.command;
    const first = s.line.parts[0];
    return command !== undefined && s.line.parts.length === 1 && first?.kind === "text" && first.text.trim().toUpperCase() === command;
  }

  private pipeline(s: Extract<A.Statement, { kind: "pipeline" }>, common: Common): void {
    const connection = this.connections.require(s, "pipeline");
    if (!connection) return;
    const rules = connection.protocol.pipelining;
    if (!this.connections.allows(connection, rules !== undefined, s.span, "`pipeline`", `${connection.protocol.title} has no command pipelining; send the commands one by one`)) return;
    if (s.sends.length === 0) {
      this.error("empty-pipeline", "this `pipeline` holds no `send` line", s.span, "put the commands to send in one write between `pipeline` and `end`, one `send` a line");
      return;
    }
    const lines: RuntimeText[] = [];
    s.sends.forEach((send, index) => {
      if (send.literal) {
        this.error("literal-in-pipeline", "a sized literal cannot go in a `pipeline`: the server must accept it before the next command", send.literal.span, "send this command after `end`");
        return;
      }
      const first = send.line.parts[0];
      const verb = first?.kind === "text" ? first.text.trim().split(/\s+/)[0]!.toUpperCase() : "";
      if (index < s.sends.length - 1 && rules!.lastOnly.includes(verb)) {
        this.error("pipeline-order", `\`${verb}\` may only be the last command of a pipeline: the server's state after it decides what the next command means`, send.span, `end the pipeline with it (${rules!.lastOnly.join(", ")} end a group), and start a new one after its \`expect\``);
        return;
      }
      const line = this.scope.text(send.line, "line");
      if (line) lines.push(line);
    });
    if (lines.length === s.sends.length) this.steps.push({ span: common.span, source: common.source, kind: "pipeline", lines, timeoutMs: this.timeoutMs });
  }

  private bdat(s: Extract<A.Statement, { kind: "bdat" | "bdat-file" }>, common: Common): void {
    const connection = this.connections.require(s, "bdat");
    if (!connection) return;
    if (!this.connections.allows(connection, connection.protocol.chunking === true, s.span, "`bdat`", `${connection.protocol.title} has no BDAT; it is SMTP's and LMTP's (RFC 3030)`)) return;
    const size = s.chunk ? chunkSize(s.chunk, this.error) : undefined;
    if (s.chunk && size === undefined) return;
    const sized = size === undefined ? {} : { chunkBytes: size };
    if (s.kind === "bdat") {
      this.steps.push({ span: common.span, source: common.source, kind: "bdat", body: dataBody(s, this.scope, this.error), timeoutMs: this.timeoutMs, ...sized });
      return;
    }
    const path = messageFile(s, this.scope, this.error);
    if (path) this.steps.push({ span: common.span, source: common.source, kind: "bdat-file", path, binary: s.binary, timeoutMs: this.timeoutMs, ...sized });
  }

  private probe(s: Extract<A.Statement, { kind: "probe" }>, common: Common): void {
    const connection = this.connections.require(s, "probe");
    if (!connection) return;
    if (s.what !== "end-of-data") {
      const suggestion = closest(s.what, ["end-of-data"]);
      this.error("unknown-probe", `\`${s.what}\` is not a probe mailchat knows`, s.whatSpan, `${suggestion ? `did you mean \`${suggestion}\`? ` : ""}probes: end-of-data`);
      return;
    }
    if (!this.hasData(connection, s.span)) return;
    const ending = this.scope.text(s.bytes, "raw");
    if (!ending) return;
    if (ending.parts.length === 1 && ending.parts[0] === "\r\n.\r\n") {
      this.error("canonical-probe", "`\\r\\n.\\r\\n` is the canonical end of data: every server ends the message on it", s.bytes.span, "probe a non-canonical ending, e.g. \"\\n.\\n\" or \"\\r\\n.\\r\\r\\n\" (docs/language.md lists the nine)");
      return;
    }
    this.steps.push({ span: common.span, source: common.source, kind: "probe-end-of-data", ending, timeoutMs: this.timeoutMs, windowMs: s.windowMs ?? PROBE_WINDOW_MS });
  }

  private connect(s: Extract<A.Statement, { kind: "connect" }>, common: Common): void {
    const name = s.name?.text ?? "";
    if (this.connections.isOpen(name)) {
      if (name) this.error("already-connected", `session \`${name}\` is already open`, s.name!.span, `close it first (\`use ${name}\`, then \`close\`), or give this connection another name`);
      else this.error("already-connected", "the script is already connected", s.span, "add `close` (or `expect closed`) before connecting again, or name the connections to hold several (`connect URL as NAME`)");
      return;
    }
    const written = this.scope.known(s.url, "a `connect` URL", "connect-capture");
    if (written === undefined) return;
    const url = s.routing?.mx ? mxUrl(written) : written;
    const endpoint = parseEndpoint(url);
    if ("error" in endpoint) {
      const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1];
      const suggestion = scheme && !SCHEMES[scheme.toLowerCase()] ? closest(scheme, Object.keys(SCHEMES)) : undefined;
      this.error("bad-url", endpoint.error, s.url.span, suggestion ? `did you mean \`${suggestion}://\`?` : endpoint.help);
      return;
    }
    const scheme = SCHEMES[endpoint.scheme]!;
    const protocol = protocolFor(scheme.protocol)!;
    if (!scheme.implicitTls && s.tls.length > 0) {
      this.error("tls-options-plain", `TLS options on \`${endpoint.scheme}://\` have no effect: the connection starts in plaintext`, s.tls[0]!.span, `put them on \`starttls\`, or use an implicit-TLS scheme (${implicitSchemes()})`);
      return;
    }
    const tls = this.connections.tlsSettings(s.tls, this.scope, Boolean(this.options.insecure));
    const proxy = s.proxy ? proxySettings(s.proxy, endpoint, this.scope, this.error) : undefined;
    if (proxy === null) return;
    // Reported, but the connection is taken as open: the steps after it are checked as usual.
    if (endpoint.socket !== undefined && scheme.implicitTls) this.connections.nameToVerify(tls, s.span);
    const routing = compileRouting(s.routing, scheme.protocol, this.scope, this.error);
    this.connections.open({ name, protocol, scheme: endpoint.scheme, implicitTls: scheme.implicitTls, encrypted: scheme.implicitTls, ...(endpoint.socket !== undefined ? { socket: endpoint.socket } : {}), ...(routing?.mx ? { mx: true } : {}) });
    this.steps.push({
      span: common.span,
      source: common.source,
      kind: "connect",
      url: formatEndpoint(endpoint),
      scheme: endpoint.scheme,
      protocol: scheme.protocol,
      host: endpoint.host,
      port: endpoint.port,
      ...(endpoint.socket !== undefined ? { socket: endpoint.socket } : {}),
      ...(proxy ? { proxy } : {}),
      implicitTls: scheme.implicitTls,
      timeoutMs: s.timeoutMs ?? this.timeoutMs,
      tls,
      ...(name ? { name } : {}),
      ...(routing ? { routing } : {}),
    });
  }

  private send(s: Extract<A.Statement, { kind: "send" }>, common: Common): void {
    const connection = this.connections.require(s, "send");
    if (!connection) return;
    const line = this.scope.text(s.line, "line");
    if (!line) return;
    const step: Extract<Step, { kind: "send" }> = { span: common.span, source: common.source, kind: "send", line, timeoutMs: this.timeoutMs };
    if (s.literal || s.after) {
      const literals = [s.literal, ...(s.after ?? []).map((piece) => piece.literal)].filter((l) => l !== undefined);
      for (const literal of literals) {
        if (!this.connections.allows(connection, connection.protocol.literal !== undefined, literal.span, "a sized literal", `${connection.protocol.title} has no literals; they are IMAP's and ManageSieve's`)) return;
        if (literal.binary && !this.connections.allows(connection, connection.protocol.name === "imap", literal.span, "a binary literal `~{…}`", "literal8 is IMAP's BINARY extension (RFC 3516)")) return;
      }
    }
    if (s.literal) {
      const literal = readLiteral(s.literal, this.scope, this.error);
      if (!literal) return;
      step.literal = literal;
    }
    if (s.after) {
      const after: NonNullable<typeof step.after> = [];
      for (const piece of s.after) {
        const text = this.scope.text(piece.text, "line");
        if (!text) return;
        if (!piece.literal) {
          after.push({ text });
          continue;
        }
        const literal = readLiteral(piece.literal, this.scope, this.error);
        if (!literal) return;
        after.push({ text, literal });
      }
      step.after = after;
    }
    this.steps.push(step);
  }

  private expect(s: Extract<A.Statement, { kind: "expect" }>, common: Common): void {
    const connection = this.connections.require(s, "expect");
    if (!connection) return;
    const compiled = this.matchers.expect(s, connection);
    if (!compiled) return;
    for (const name of compiled.captures) this.scope.define(name, undefined);
    const step: Step = { span: common.span, source: common.source, kind: "expect", matchers: compiled.matchers, timeoutMs: compiled.timeoutMs ?? this.timeoutMs, closed: compiled.closed, captures: compiled.captures };
    if (compiled.silenceMs !== undefined) step.silenceMs = compiled.silenceMs;
    if (compiled.timeoutMs !== undefined) step.within = true;
    if (compiled.warnMs !== undefined) step.warnMs = compiled.warnMs;
    this.steps.push(step);
    if (compiled.closed) this.connections.close();
  }

  private connectionCheck(s: Extract<A.Statement, { kind: "expect-connection" }>, common: Common): void {
    const connection = this.connections.require(s, "expect");
    if (!connection) return;
    const c = s.check;
    if (!checkConnectionWarn(c, this.error)) return;
    if (isDnsCheck(c)) {
      const check = compileDnsCheck(c, connection, this.scope, this.matchers, this.error);
      if (check) this.steps.push({ span: common.span, source: common.source, kind: "check", check });
      return;
    }
    if (!connection.encrypted && c.kind !== "tls-refused") {
      this.error("not-encrypted", "the connection is not encrypted at this point, so it has no TLS facts to check", s.span, `put this after \`starttls\`, or connect with an implicit-TLS scheme (${implicitSchemes()})`);
      return;
    }
    if (c.kind === "tls-refused") {
      // Binds to the handshake just before it: the implicit-TLS connect or the starttls.
      const previous = this.steps[this.steps.length - 1];
      if (!previous || !((previous.kind === "connect" && previous.implicitTls) || previous.kind === "starttls")) {
        this.error("tls-refused-placement", "`expect tls refused` must follow the handshake it judges", s.span, `put it right after \`starttls\` or after \`connect\` to an implicit-TLS scheme (${implicitSchemes()})`);
        return;
      }
      previous.expectRefused = true;
      // A refused handshake leaves no connection to use.
      this.connections.close();
      return;
    }
    switch (c.kind) {
      case "tls-version":
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "tls-version", comparator: c.comparator, version: c.version, ...(c.warn ? { warn: c.warn } : {}) } });
      case "cert-verified":
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "cert-verified" } });
      case "cert-expires":
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "cert-expires", comparator: c.comparator, days: c.days, ...(c.warnDays !== undefined ? { warnDays: c.warnDays } : {}) } });
      case "tls-cipher":
      case "cert-field": {
        const pattern = this.matchers.pattern(c.pattern);
        if (!pattern) return;
        this.steps.push({ span: common.span, source: common.source, kind: "check", check: c.kind === "tls-cipher" ? { kind: "tls-cipher", pattern } : { kind: "cert-field", field: c.field, pattern } });
        return;
      }
      case "tls-alpn":
      case "cert-chain-includes":
      case "cert-signature": {
        const pattern = this.matchers.pattern(c.pattern);
        if (pattern) this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: c.kind, pattern } });
        return;
      }
      case "cert-chain-complete":
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "cert-chain-complete" } });
      case "cert-ocsp":
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "cert-ocsp", status: c.status } });
      case "cert-key": {
        const check: Extract<ConnectionCheck, { kind: "cert-key" }> = { kind: "cert-key" };
        if (c.keyType) check.keyType = c.keyType;
        if (c.comparator && c.bits !== undefined) Object.assign(check, { comparator: c.comparator, bits: c.bits });
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check });
      }
      case "cert-fingerprint": {
        const written = this.scope.known(c.fingerprint, "a certificate fingerprint");
        if (written === undefined) return;
        // As OpenSSL, Node and Postfix print it: hex, colons or not, any case; `sha256:` may lead.
        const sha256 = written.replace(/^sha256:/i, "").replace(/:/g, "").toUpperCase();
        if (!/^[0-9A-F]{64}$/.test(sha256)) {
          this.error("bad-fingerprint", `\`${written}\` is not a SHA-256 fingerprint`, c.fingerprint.span, "64 hex digits, colons allowed, as `openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints them");
          return;
        }
        return void this.steps.push({ span: common.span, source: common.source, kind: "check", check: { kind: "cert-fingerprint", sha256 } });
      }
    }
  }

  private starttls(s: Extract<A.Statement, { kind: "starttls" }>, common: Common): void {
    const connection = this.connections.require(s, "starttls");
    if (!connection) return;
    if (connection.encrypted) {
      const why = connection.implicitTls ? `\`${connection.scheme}://\` is already TLS from the first byte` : "`starttls` already ran on this connection";
      this.error("already-encrypted", `the connection is already encrypted: ${why}`, s.span, "remove this `starttls`");
      return;
    }
    const tls = this.connections.tlsSettings(s.tls, this.scope, Boolean(this.options.insecure));
    if (connection.socket !== undefined) this.connections.nameToVerify(tls, s.span);
    connection.encrypted = true;
    this.steps.push({ span: common.span, source: common.source, kind: "starttls", tls, timeoutMs: this.timeoutMs });
  }

  private auth(s: Extract<A.Statement, { kind: "auth" }>, common: Common): void {
    const connection = this.connections.require(s, "auth");
    if (!connection) return;
    const mechanism = MECHANISMS.find((m) => m === s.mechanism.toLowerCase());
    const spoken = connection.protocol.mechanisms;
    if (!mechanism) {
      const suggestion = closest(s.mechanism, [...MECHANISMS]);
      this.error("unknown-mechanism", `\`${s.mechanism}\` is not a SASL mechanism mailchat speaks`, s.mechanismSpan, `${suggestion ? `did you mean \`${suggestion}\`? ` : ""}${connection.protocol.title} speaks ${spoken.join(", ")}`);
      return;
    }
    if (!spoken.includes(mechanism)) {
      const help = mechanism === "user" ? `\`auth user\` is POP3's USER/PASS pair; ${connection.protocol.title} speaks ${spoken.join(", ")}` : `${connection.protocol.title} speaks ${spoken.join(", ")}`;
      this.error("wrong-protocol", `\`auth ${mechanism}\` does not apply to ${connection.protocol.title} (this connection is \`${connection.scheme}://\`)`, s.mechanismSpan, help);
      return;
    }
    if (!connection.encrypted && !this.allowPlaintextAuth) {
      this.error(
        "plaintext-auth",
        "`auth` would send credentials over an unencrypted connection",
        s.span,
        "add `starttls` before `auth` (or use an implicit-TLS scheme); if you mean to test plaintext AUTH, add `allow plaintext-auth` or pass --allow-plaintext-auth",
      );
      return;
    }
    const user = this.scope.text(s.user, "line");
    const secret = this.scope.text(s.secret, "line");
    if (!user || !secret) return;
    if (secret.parts.every((p) => typeof p === "string")) this.scope.secrets.add((secret.parts as string[]).join(""));
    // A password written into the script must not reach reports through the step's source line.
    const written = s.secret.parts.some((p) => p.kind === "text" && p.text !== "");
    const typed = this.sourceLines.get(s.span.file)?.text.slice(s.secret.span.start, s.secret.span.end) ?? "";
    const shownSource = written && typed ? common.source.replace(typed, SECRET_PLACEHOLDER) : common.source;
    this.steps.push({ span: common.span, source: shownSource, kind: "auth", mechanism, user, secret, timeoutMs: this.timeoutMs });
  }

  private data(s: Extract<A.Statement, { kind: "data" }>, common: Common, commandSent: boolean): void {
    const connection = this.connections.require(s, "data");
    if (!connection || !this.hasData(connection, s.span)) return;
    this.steps.push({ span: common.span, source: common.source, kind: "data", body: dataBody(s, this.scope, this.error), timeoutMs: this.timeoutMs, ...(commandSent ? { commandSent } : {}) });
  }

  private dataFile(s: Extract<A.Statement, { kind: "data-file" }>, common: Common, commandSent: boolean): void {
    const connection = this.connections.require(s, "data file");
    if (!connection || !this.hasData(connection, s.span)) return;
    const path = messageFile(s, this.scope, this.error);
    if (path) this.steps.push({ span: common.span, source: common.source, kind: "data-file", path, timeoutMs: this.timeoutMs, ...(commandSent ? { commandSent } : {}) });
  }

  private hasData(connection: NonNullable<ConnectionState["current"]>, span: A.Span): boolean {
    return this.connections.allows(connection, connection.protocol.dataCommand !== undefined, span, "`data`", `${connection.protocol.title} has no DATA command`);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled statement ${JSON.stringify(value)}`);
}

function implicitSchemes(): string {
  return Object.entries(SCHEMES)
    .filter(([, scheme]) => scheme.implicitTls)
    .map(([name]) => name)
    .join(", ");
}
