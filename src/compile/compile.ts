// AST → checked, compiled steps. Everything that can be known before a byte is sent is
// checked here, so a broken script never touches the network (exit 2).
import { readFileSync, accessSync, constants as fsConstants } from "node:fs";
import safeRegex from "safe-regex2";
import { dirname, relative, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/index.js";
import { closest, diagnostic, type Diagnostic } from "../../grammar/diagnostic.js";
import { SCHEMES, parseEndpoint, formatEndpoint } from "../protocols/schemes.js";
import { protocolFor } from "../protocols/index.js";
import { DEFAULT_TIMEOUT_MS, MAX_INCLUDE_DEPTH, MAX_SCRIPT_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import type { CompiledScript, Mask, Pattern, ProtocolName, RuntimeText, SaslMechanism, Step, StepMatcher, TlsSettings } from "./steps.js";

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

const MECHANISMS: Record<string, SaslMechanism> = { plain: "plain", login: "login", "cram-md5": "cram-md5", xoauth2: "xoauth2", user: "user" };

type Variable = { known: true; value: string } | { known: false };

interface Connection {
  protocol: ProtocolName;
  encrypted: boolean;
  scheme: string;
}

interface Located {
  statement: A.Statement;
  source: string;
}

/** Reads the entry file and splices `include`s, refusing cycles and unreadable files. */
function loadStatements(file: string, options: CompileOptions, sources: Map<string, string>, diagnostics: Diagnostic[]): Located[] {
  const out: Located[] = [];
  let total = 0;
  let stopped = false;
  const visit = (path: string, text: string, stack: string[]) => {
    sources.set(path, text);
    total += text.length;
    const parsed = parse(text, path);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.script) return;
    for (const statement of parsed.script.statements) {
      if (statement.kind !== "include") {
        out.push({ statement, source: text });
        continue;
      }
      if (stopped) return;
      const target = resolve(dirname(path), statement.path);
      if (stack.length > MAX_INCLUDE_DEPTH) {
        diagnostics.push(diagnostic("include-depth", `\`include\` nested more than ${MAX_INCLUDE_DEPTH} files deep`, statement.span, "an include chain this deep is a loop by another name: flatten it"));
        stopped = true;
        return;
      }
      if (total > MAX_SCRIPT_BYTES) {
        diagnostics.push(diagnostic("include-size", `the script with its includes is larger than ${MAX_SCRIPT_BYTES / 1_048_576} MiB`, statement.span, "a file included many times over (directly or through others) multiplies; include each shared file once"));
        stopped = true;
        return;
      }
      if (stack.includes(target)) {
        diagnostics.push(diagnostic("include-cycle", `\`include\` cycle: ${[...stack, target].map((p) => p.split("/").pop()).join(" → ")}`, statement.span, "an included file must not include the file that includes it"));
        continue;
      }
      let included: string;
      try {
        included = readFileSync(target, "utf8");
      } catch (error) {
        diagnostics.push(diagnostic("include-unreadable", `cannot read included file ${statement.path}: ${describeFsError(error)}`, statement.span, `paths are relative to ${dirname(path)}`));
        continue;
      }
      visit(relative(process.cwd(), target) || target, included, [...stack, target]);
    }
  };
  const entry = resolve(file);
  let text = options.source;
  if (text === undefined) {
    try {
      text = readFileSync(entry, "utf8");
    } catch (error) {
      diagnostics.push(diagnostic("file-unreadable", `cannot read ${file}: ${describeFsError(error)}`));
      return out;
    }
  }
  visit(file, text, [entry]);
  return out;
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return (error as Error).message;
}

export function compile(file: string, options: CompileOptions = {}): CompileResult {
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const located = loadStatements(file, options, sources, diagnostics);
  if (diagnostics.length > 0) return { diagnostics, sources };
  const compiler = new Compiler(file, options, diagnostics);
  const script = compiler.compile(located);
  return diagnostics.length > 0 ? { diagnostics, sources } : { script, diagnostics, sources };
}

class Compiler {
  private readonly vars = new Map<string, Variable>();
  private readonly env: Record<string, string | undefined>;
  private readonly steps: Step[] = [];
  private readonly masks: Mask[] = [];
  private readonly secrets = new Set<string>();
  private readonly params: CompiledScript["params"] = [];
  private connection: Connection | undefined;
  private timeoutMs: number;
  private allowPlaintextAuth: boolean;

  constructor(
    private readonly file: string,
    private readonly options: CompileOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.allowPlaintextAuth = options.allowPlaintextAuth ?? false;
    for (const [name, value] of Object.entries(options.vars ?? {})) this.vars.set(name, { known: true, value });
    for (const [name, value] of Object.entries(options.secrets ?? {})) {
      this.vars.set(name, { known: true, value });
      this.secrets.add(value);
    }
  }

  compile(located: Located[]): CompiledScript {
    // `allow plaintext-auth` is a statement about the whole script, wherever it stands.
    if (located.some((l) => l.statement.kind === "allow")) this.allowPlaintextAuth = true;
    for (const { statement, source } of located) this.statement(statement, source);
    return { file: this.file, steps: this.steps, masks: this.masks, secrets: [...this.secrets], params: this.params };
  }

  private error(code: string, message: string, span: A.Span, help?: string): void {
    this.diagnostics.push(diagnostic(code, message, span, help));
  }

  private push(step: Step): void {
    this.steps.push(step);
  }

  private readonly sourceTexts = new Map<string, string>();

  /** The characters a span covers in its file. */
  private sourceText(span: A.Span): string {
    const text = this.sourceTexts.get(span.file) ?? "";
    return text.slice(span.start, span.end) || "\u0000";
  }

  private readonly sourceLines = new Map<string, string[]>();

  /** The statement's line as written; each file is split into lines once. */
  private sourceLine(source: string, span: A.Span): string {
    let lines = this.sourceLines.get(span.file);
    if (!lines || this.sourceTexts.get(span.file) !== source) {
      this.sourceTexts.set(span.file, source);
      lines = source.split(/\r?\n/);
      this.sourceLines.set(span.file, lines);
    }
    return (lines[span.line - 1] ?? "").trim();
  }

  private statement(s: A.Statement, source: string): void {
    const common = { span: s.span, source: this.sourceLine(source, s.span) };
    switch (s.kind) {
      case "param":
        return this.param(s);
      case "set": {
        const value = this.text(s.value, { kind: "value" });
        if (!value) return;
        if (value.parts.every((p) => typeof p === "string")) {
          this.vars.set(s.name, { known: true, value: (value.parts as string[]).join("") });
        } else {
          this.vars.set(s.name, { known: false });
          this.push({ ...common, kind: "set", name: s.name, value });
        }
        return;
      }
      case "timeout":
        this.timeoutMs = s.ms;
        return;
      case "allow":
        return;
      case "include":
        return; // spliced by loadStatements
      case "mask":
        if (!this.safePattern(s.regex)) return;
        this.masks.push({ regex: new RegExp(s.regex.source, withGlobal(s.regex.flags)), replacement: s.replacement });
        return;
      case "connect":
        return this.connect(s, common);
      case "close":
        this.requireConnection(s, "close");
        this.connection = undefined;
        this.push({ ...common, kind: "close" });
        return;
      case "send": {
        if (!this.requireConnection(s, "send")) return;
        const line = this.text(s.line, { kind: "line" });
        if (line) this.push({ ...common, kind: "send", line, timeoutMs: this.timeoutMs });
        return;
      }
      case "send-raw": {
        if (!this.requireConnection(s, "send raw")) return;
        const bytes = this.text(s.bytes, { kind: "raw" });
        if (bytes) this.push({ ...common, kind: "send-raw", bytes });
        return;
      }
      case "expect":
        return this.expect(s, common);
      case "expect-connection":
        return this.connectionCheck(s, common);
      case "starttls":
        return this.starttls(s, common);
      case "auth":
        return this.auth(s, common);
      case "data": {
        const connection = this.requireConnection(s, "data");
        if (!connection) return;
        if (!this.protocolAllows(connection, ["smtp", "lmtp"], s.span, "`data`", "POP3 and IMAP have no DATA command")) return;
        const body: RuntimeText[] = [];
        for (const line of s.body) {
          const text = this.text(line, { kind: "line" });
          if (!text) continue;
          if (text.parts.some((p) => typeof p === "string" && p.includes("\0"))) {
            this.error("nul-in-data", "a `data` body line holds a NUL byte", line.span, "RFC 5321 §4.5.2 forbids NUL in message text and `data` never sends one; use `send raw` to test how a server treats it");
            continue;
          }
          body.push(text);
        }
        this.push({ ...common, kind: "data", body, timeoutMs: this.timeoutMs });
        return;
      }
      case "data-file": {
        const connection = this.requireConnection(s, "data file");
        if (!connection) return;
        if (!this.protocolAllows(connection, ["smtp", "lmtp"], s.span, "`data`", "POP3 and IMAP have no DATA command")) return;
        const text = this.text(s.path, { kind: "value" });
        if (!text) return;
        if (text.parts.some((p) => typeof p !== "string")) {
          this.error("data-file-capture", "a `data file` path cannot use a value captured during the run", s.path.span);
          return;
        }
        const path = resolve(dirname(s.span.file), (text.parts as string[]).join(""));
        try {
          accessSync(path, fsConstants.R_OK);
        } catch (error) {
          this.error("data-file-unreadable", `cannot read message file ${(text.parts as string[]).join("")}: ${describeFsError(error)}`, s.path.span, `paths are relative to ${dirname(s.span.file)}`);
          return;
        }
        this.push({ ...common, kind: "data-file", path, timeoutMs: this.timeoutMs });
        return;
      }
    }
  }

  private param(s: Extract<A.Statement, { kind: "param" }>): void {
    const given = this.options.vars?.[s.name];
    let value = given;
    if (value === undefined && s.fallback) {
      const fallback = this.text(s.fallback, { kind: "value" });
      if (!fallback) return;
      if (fallback.parts.some((p) => typeof p !== "string")) {
        this.error("param-default-capture", "a `param` default cannot use a value captured during the run", s.fallback.span);
        return;
      }
      value = (fallback.parts as string[]).join("");
    }
    if (value === undefined) {
      const description = s.description ? ` (${s.description})` : "";
      this.error("missing-param", `the script needs a value for \`${s.name}\`${description}`, s.span, `pass --var ${s.name}=VALUE, or give the param a default`);
      return;
    }
    this.vars.set(s.name, { known: true, value });
    if (s.secret || this.options.secrets?.[s.name] !== undefined) this.secrets.add(value);
    const entry: CompiledScript["params"][number] = { name: s.name, value: s.secret ? SECRET_PLACEHOLDER : value };
    if (s.description) entry.description = s.description;
    this.params.push(entry);
  }

  private connect(s: Extract<A.Statement, { kind: "connect" }>, common: { span: A.Span; source: string }): void {
    if (this.connection) {
      this.error("already-connected", "the script is already connected", s.span, "add `close` (or `expect closed`) before connecting again");
      return;
    }
    const text = this.text(s.url, { kind: "value" });
    if (!text) return;
    if (text.parts.some((p) => typeof p !== "string")) {
      this.error("connect-capture", "a `connect` URL cannot use a value captured during the run", s.url.span);
      return;
    }
    const url = (text.parts as string[]).join("");
    const endpoint = parseEndpoint(url);
    if ("error" in endpoint) {
      const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1];
      const suggestion = scheme ? closest(scheme, Object.keys(SCHEMES)) : undefined;
      this.error("bad-url", endpoint.error, s.url.span, suggestion ? `did you mean \`${suggestion}://\`?` : endpoint.help);
      return;
    }
    const scheme = SCHEMES[endpoint.scheme]!;
    if (!protocolFor(scheme.protocol)) {
      this.error("unsupported-protocol", `${scheme.protocol.toUpperCase()} (\`${endpoint.scheme}://\`) is not supported by this version of mailchat yet`, s.url.span, "supported: smtp, submission, smtps, lmtp");
      return;
    }
    if (!scheme.implicitTls && s.tls.length > 0) {
      this.error("tls-options-plain", `TLS options on \`${endpoint.scheme}://\` have no effect: the connection starts in plaintext`, s.tls[0]!.span, "put them on `starttls`, or use an implicit-TLS scheme (smtps, pop3s, imaps)");
      return;
    }
    const tls = this.tlsSettings(s.tls);
    this.connection = { protocol: scheme.protocol, encrypted: scheme.implicitTls, scheme: endpoint.scheme };
    this.push({
      ...common,
      kind: "connect",
      url: formatEndpoint(endpoint),
      scheme: endpoint.scheme,
      protocol: scheme.protocol,
      host: endpoint.host,
      port: endpoint.port,
      implicitTls: scheme.implicitTls,
      timeoutMs: s.timeoutMs ?? this.timeoutMs,
      tls,
    });
  }

  private tlsSettings(options: A.TlsOption[]): TlsSettings {
    const settings: TlsSettings = { verify: !this.options.insecure };
    for (const option of options) {
      switch (option.kind) {
        case "version":
          settings.minVersion = option.version;
          settings.maxVersion = option.version;
          break;
        case "min":
          settings.minVersion = option.version;
          break;
        case "max":
          settings.maxVersion = option.version;
          break;
        case "servername": {
          const name = this.knownText(option.name, "servername");
          if (name !== undefined) settings.servername = name;
          break;
        }
        case "ciphers": {
          const ciphers = this.knownText(option.ciphers, "ciphers");
          if (ciphers !== undefined) settings.ciphers = ciphers;
          break;
        }
        case "verify-off":
          settings.verify = false;
          break;
      }
    }
    const order = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
    if (settings.minVersion && settings.maxVersion && order.indexOf(settings.minVersion) > order.indexOf(settings.maxVersion)) {
      const span = options.find((o) => o.kind === "min" || o.kind === "version")!.span;
      this.error("tls-range", `min ${settings.minVersion} is above max ${settings.maxVersion}: no TLS version is left`, span);
    }
    return settings;
  }

  private knownText(template: A.Template, what: string): string | undefined {
    const text = this.text(template, { kind: "value" });
    if (!text) return undefined;
    if (text.parts.some((p) => typeof p !== "string")) {
      this.error("capture-not-allowed", `\`${what}\` cannot use a value captured during the run`, template.span);
      return undefined;
    }
    return (text.parts as string[]).join("");
  }

  private requireConnection(s: A.Statement, what: string): Connection | undefined {
    if (this.connection) return this.connection;
    const before = this.steps.some((step) => step.kind === "connect") ? "the connection was closed before it" : "no `connect` comes before it";
    this.error("not-connected", `\`${what}\` needs a connection, but ${before}`, s.span, "add `connect URL` first, e.g. `connect smtp://mx.example.com`");
    return undefined;
  }

  private protocolAllows(connection: Connection, protocols: ProtocolName[], span: A.Span, what: string, why: string): boolean {
    if (protocols.includes(connection.protocol)) return true;
    this.error("wrong-protocol", `${what} does not apply to ${connection.protocol.toUpperCase()} (this connection is \`${connection.scheme}://\`)`, span, why);
    return false;
  }

  private expect(s: Extract<A.Statement, { kind: "expect" }>, common: { span: A.Span; source: string }): void {
    const connection = this.requireConnection(s, "expect");
    if (!connection) return;
    const matchers: StepMatcher[] = [];
    const captures: string[] = [];
    let timeoutMs = this.timeoutMs;
    let closed = false;
    let silenceMs: number | undefined;
    for (const m of s.matchers) {
      switch (m.kind) {
        case "within":
          timeoutMs = m.ms;
          break;
        case "closed":
          closed = true;
          break;
        case "silence":
          silenceMs = m.ms;
          break;
        case "code":
        case "enhanced":
          if (this.protocolAllows(connection, ["smtp", "lmtp"], m.span, m.kind === "code" ? "a reply code" : "an enhanced status code", "POP3 replies with +OK/-ERR, IMAP with OK/NO/BAD")) matchers.push(m);
          break;
        case "pop-status":
          if (this.protocolAllows(connection, ["pop3"], m.span, `\`${m.status}\``, "only POP3 answers +OK/-ERR")) matchers.push(m);
          break;
        case "imap-status":
        case "continuation":
          if (this.protocolAllows(connection, m.kind === "continuation" ? ["imap", "pop3"] : ["imap"], m.span, m.kind === "continuation" ? "`+`" : `\`${m.status}\``, m.kind === "continuation" ? "continuation requests are IMAP's and POP3's (during AUTH)" : "only IMAP answers with tagged OK/NO/BAD")) matchers.push(m);
          break;
        case "response-code":
          if (this.protocolAllows(connection, ["imap", "pop3"], m.span, `the response code \`[${m.code}]\``, "response codes are IMAP's (RFC 5530) and POP3's (RFC 2449); SMTP has enhanced status codes (5.7.8)")) matchers.push(m);
          break;
        case "capability":
          matchers.push({ ...m });
          break;
        case "any":
          matchers.push(m);
          break;
        case "text": {
          const pattern = this.pattern(m.pattern);
          if (!pattern) break;
          if (pattern.kind === "regex" && !m.negated) captures.push(...captureNames(pattern.regex));
          matchers.push({ kind: "text", pattern, negated: m.negated, span: m.span });
          break;
        }
      }
    }
    if ((closed || silenceMs !== undefined) && matchers.length > 0) {
      this.error("closed-alone", `\`${closed ? "closed" : "silence"}\` stands alone in an \`expect\``, s.span, `write the reply's expectation on its own line, then \`expect ${closed ? "closed" : "silence …"}\``);
      return;
    }
    if (closed && silenceMs !== undefined) {
      this.error("closed-alone", "`closed` and `silence` cannot both hold", s.span);
      return;
    }
    for (const name of captures) this.vars.set(name, { known: false });
    const step: Step = { ...common, kind: "expect", matchers, timeoutMs, closed, captures };
    if (silenceMs !== undefined) step.silenceMs = silenceMs;
    this.push(step);
    if (closed) this.connection = undefined;
  }

  /**
   * A script regex runs against what an untrusted server sends. Nested quantifiers such as
   * `(a+)+` backtrack exponentially on a crafted reply; safe-regex2 (star height) finds them.
   * Matching is bounded at run time too (runtime/bounded-regex.ts); this says so early.
   */
  private safePattern(regex: A.RegexLiteral): boolean {
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex.source, regex.flags);
    } catch {
      return true; // the parser reports invalid regexes
    }
    if (safeRegex(compiled)) return true;
    this.error("unsafe-regex", `the regex /${regex.source}/ can backtrack for minutes on a hostile reply (a quantifier inside a quantified group)`, regex.span, "rewrite it without nested quantifiers, e.g. `(a+)+` → `a+`, `(\\w+\\s?)*` → `[\\w\\s]*`");
    return false;
  }

  private pattern(p: A.TextPattern): Pattern | undefined {
    if (p.kind === "regex" && !this.safePattern(p.regex)) return undefined;
    if (p.kind === "regex") return { kind: "regex", regex: new RegExp(p.regex.source, p.regex.flags), source: `/${p.regex.source}/${p.regex.flags}` };
    const text = this.text(p.value, { kind: "value" });
    return text ? { kind: "text", text } : undefined;
  }

  private connectionCheck(s: Extract<A.Statement, { kind: "expect-connection" }>, common: { span: A.Span; source: string }): void {
    const connection = this.requireConnection(s, "expect");
    if (!connection) return;
    if (!connection.encrypted && s.check.kind !== "tls-refused") {
      this.error("not-encrypted", "the connection is not encrypted at this point, so it has no TLS facts to check", s.span, "put this after `starttls`, or connect with an implicit-TLS scheme (smtps, pop3s, imaps)");
      return;
    }
    const c = s.check;
    if (c.kind === "tls-refused") {
      // Binds to the handshake just before it: the implicit-TLS connect or the starttls.
      const previous = this.steps[this.steps.length - 1];
      if (!previous || !((previous.kind === "connect" && previous.implicitTls) || previous.kind === "starttls")) {
        this.error("tls-refused-placement", "`expect tls refused` must follow the handshake it judges", s.span, "put it right after `starttls` or after `connect` to an implicit-TLS scheme (smtps, pop3s, imaps)");
        return;
      }
      previous.expectRefused = true;
      // A refused handshake leaves no connection to use.
      this.connection = undefined;
      return;
    }
    switch (c.kind) {
      case "tls-version":
        this.push({ ...common, kind: "check", check: { kind: "tls-version", comparator: c.comparator, version: c.version } });
        return;
      case "tls-cipher": {
        const pattern = this.pattern(c.pattern);
        if (pattern) this.push({ ...common, kind: "check", check: { kind: "tls-cipher", pattern } });
        return;
      }
      case "cert-verified":
        this.push({ ...common, kind: "check", check: { kind: "cert-verified" } });
        return;
      case "cert-expires":
        this.push({ ...common, kind: "check", check: { kind: "cert-expires", comparator: c.comparator, days: c.days } });
        return;
      case "cert-field": {
        const pattern = this.pattern(c.pattern);
        if (pattern) this.push({ ...common, kind: "check", check: { kind: "cert-field", field: c.field, pattern } });
        return;
      }
    }
  }

  private starttls(s: Extract<A.Statement, { kind: "starttls" }>, common: { span: A.Span; source: string }): void {
    const connection = this.requireConnection(s, "starttls");
    if (!connection) return;
    if (connection.encrypted) {
      const why = SCHEMES[connection.scheme]!.implicitTls ? `\`${connection.scheme}://\` is already TLS from the first byte` : "`starttls` already ran on this connection";
      this.error("already-encrypted", `the connection is already encrypted: ${why}`, s.span, "remove this `starttls`");
      return;
    }
    const tls = this.tlsSettings(s.tls);
    connection.encrypted = true;
    this.push({ ...common, kind: "starttls", tls, timeoutMs: this.timeoutMs });
  }

  private auth(s: Extract<A.Statement, { kind: "auth" }>, common: { span: A.Span; source: string }): void {
    const connection = this.requireConnection(s, "auth");
    if (!connection) return;
    const mechanism = MECHANISMS[s.mechanism];
    if (!mechanism) {
      const suggestion = closest(s.mechanism, Object.keys(MECHANISMS));
      this.error("unknown-mechanism", `\`${s.mechanism}\` is not a SASL mechanism mailchat speaks`, s.mechanismSpan, suggestion ? `did you mean \`${suggestion}\`? (mechanisms: plain, login, cram-md5, xoauth2; user for POP3)` : "mechanisms: plain, login, cram-md5, xoauth2; user for POP3");
      return;
    }
    if (mechanism === "user" && connection.protocol !== "pop3") {
      this.error("wrong-protocol", "`auth user` is POP3's USER/PASS pair", s.mechanismSpan, connection.protocol === "imap" ? "for IMAP's LOGIN command write `auth login`" : "for SMTP use `auth plain` or `auth login`");
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
    const user = this.text(s.user, { kind: "line" });
    const secret = this.text(s.secret, { kind: "line" });
    if (!user || !secret) return;
    if (secret.parts.every((p) => typeof p === "string")) {
      const value = (secret.parts as string[]).join("");
      if (value) this.secrets.add(value);
    }
    // A password written into the script must not reach reports through the step's source line.
    const written = s.secret.parts.some((p) => p.kind === "text" && p.text !== "");
    const shownSource = written ? common.source.replace(this.sourceText(s.secret.span), SECRET_PLACEHOLDER) : common.source;
    this.push({ ...common, source: shownSource, kind: "auth", mechanism, user, secret, timeoutMs: this.timeoutMs });
  }

  /**
   * Resolves a template: params, --var, `set` and the environment now; captured values stay
   * as references. `line` texts must not gain a CR or LF from a variable (command injection).
   */
  private text(template: A.Template, context: { kind: "line" | "raw" | "value" }): RuntimeText | undefined {
    const parts: RuntimeText["parts"] = [];
    let ok = true;
    for (const part of template.parts) {
      if (part.kind === "text") {
        parts.push(part.text);
        continue;
      }
      const fallback = part.fallback?.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
      let value: string | undefined;
      if (part.kind === "env") {
        value = this.env[part.name] ?? fallback;
        if (value === undefined) {
          this.error("unset-env", `the environment variable \`${part.name}\` is not set`, part.span, `export ${part.name}=… before running, or write \`\${env.${part.name}:-default}\``);
          ok = false;
          continue;
        }
      } else {
        const variable = this.vars.get(part.name);
        if (!variable) {
          if (fallback !== undefined) {
            value = fallback;
          } else {
            const suggestion = closest(part.name, [...this.vars.keys()]);
            this.error(
              "unknown-variable",
              `\`\${${part.name}}\` is not defined at this point`,
              part.span,
              suggestion ? `did you mean \`\${${suggestion}}\`?` : `declare it with \`param ${part.name}\` and pass --var ${part.name}=VALUE, or \`set ${part.name} = …\` before this line`,
            );
            ok = false;
            continue;
          }
        } else if (!variable.known) {
          const ref: { capture: string; fallback?: string; span: A.Span } = { capture: part.name, span: part.span };
          if (fallback !== undefined) ref.fallback = fallback;
          parts.push(ref);
          continue;
        } else {
          value = variable.value;
        }
      }
      if (context.kind === "line" && /[\r\n]/.test(value)) {
        const name = part.kind === "env" ? `env.${part.name}` : part.name;
        this.error("line-break-in-value", `the value of \`\${${name}}\` holds a line break (CR or LF)`, part.span, "mailchat ends every line itself and never sends a line break from a variable (it would smuggle a second command); use `send raw` for exact bytes");
        ok = false;
        continue;
      }
      parts.push(value);
    }
    if (!ok) return undefined;
    // Merge adjacent strings so the runtime sees the fewest parts.
    const merged: RuntimeText["parts"] = [];
    for (const p of parts) {
      const last = merged[merged.length - 1];
      if (typeof p === "string" && typeof last === "string") merged[merged.length - 1] = last + p;
      else merged.push(p);
    }
    return { parts: merged };
  }
}

function withGlobal(flags: string): string {
  return flags.includes("g") ? flags : `${flags}g`;
}

function captureNames(regex: RegExp): string[] {
  return [...regex.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
}
