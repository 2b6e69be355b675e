// CST → AST. Checks what the grammar cannot say by itself (a TLS version's spelling, a
// regex's flags, `set x = …` using `=`), each with the span of the offending token.
import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { closest, diagnostic, type Diagnostic } from "./diagnostic.js";
import { mailchatParser } from "./parser.js";
import { literalTemplate, parseTemplate, unescapeString } from "./template.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const OCSP_STATUSES: readonly A.OcspStatusName[] = ["good", "revoked", "unknown", "absent"];
/** As the transcript names them (runtime/chain.ts). */
const KEY_TYPES = ["RSA", "EC", "Ed25519", "Ed448", "RSA-PSS", "DSA"] as const;

export const TLS_VERSIONS: readonly A.TlsVersionName[] = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const REGEX_FLAGS = /^[imsu]*$/;

const BaseVisitor = mailchatParser().getBaseCstVisitorConstructor();

export class AstBuilder extends BaseVisitor {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly file: string) {
    super();
    if (process.env.MAILCHAT_VALIDATE_GRAMMAR === "1") this.validateVisitor();
  }

  // ---- helpers -------------------------------------------------------------------------

  spanOfToken(token: IToken): A.Span {
    return this.spanFrom(token, token);
  }

  spanFrom(first: IToken, last: IToken): A.Span {
    const image = last.image.replace(/\r?\n$/, "");
    return {
      file: this.file,
      line: first.startLine ?? 1,
      column: first.startColumn ?? 1,
      start: first.startOffset,
      end: last.startOffset + Math.max(image.length, 1),
    };
  }

  /** Span of characters [from, to) inside a single-line token. */
  spanInside(token: IToken, from: number, to: number): A.Span {
    return {
      file: this.file,
      line: token.startLine ?? 1,
      column: (token.startColumn ?? 1) + from,
      start: token.startOffset + from,
      end: token.startOffset + Math.max(to, from + 1),
    };
  }

  tokens(children: Children, key: string): IToken[] {
    return (children[key] ?? []) as IToken[];
  }

  token(children: Children, key: string): IToken | undefined {
    return this.tokens(children, key)[0];
  }

  node(children: Children, key: string): CstNode | undefined {
    return (children[key] as CstNode[] | undefined)?.[0];
  }

  /** All tokens below a node, in source order, for statement spans. */
  allTokens(node: CstNode): IToken[] {
    const out: IToken[] = [];
    const walk = (n: CstNode) => {
      for (const list of Object.values(n.children)) {
        for (const child of list ?? []) {
          if ("tokenType" in child) out.push(child);
          else walk(child);
        }
      }
    };
    walk(node);
    return out.sort((a, b) => a.startOffset - b.startOffset);
  }

  /** The first token below a node, in source order, found without collecting them all. */
  firstToken(children: Children): IToken | undefined {
    let first: IToken | undefined;
    for (const key in children) {
      for (const child of children[key] ?? []) {
        const token = "tokenType" in child ? child : this.firstToken(child.children as Children);
        if (token && (!first || token.startOffset < first.startOffset)) first = token;
      }
    }
    return first;
  }

  wordTemplate(token: IToken): A.Template {
    return parseTemplate(token.image, (from, to) => this.spanInside(token, from, to), this.diagnostics);
  }

  stringTemplate(token: IToken): A.Template {
    const whole = () => this.spanOfToken(token);
    const text = unescapeString(token.image.slice(1, -1), (from, to) => this.spanInside(token, from + 1, to + 1), this.diagnostics);
    const template = parseTemplate(text, whole, this.diagnostics);
    template.span = whole();
    return template;
  }

  /** A plain string's text, with escapes resolved and no interpolation. */
  stringText(token: IToken): string {
    const text = unescapeString(token.image.slice(1, -1), (from, to) => this.spanInside(token, from + 1, to + 1), this.diagnostics);
    return text.replace(/\$\$\{/g, "${");
  }

  valueTemplate(node: CstNode): A.Template {
    const children = node.children as Children;
    const word = this.token(children, "WordLike");
    return word ? this.wordTemplate(word) : this.stringTemplate(this.token(children, "StringLiteral")!);
  }

  regex(token: IToken): A.RegexLiteral {
    const lastSlash = token.image.lastIndexOf("/");
    const source = token.image.slice(1, lastSlash);
    const flags = token.image.slice(lastSlash + 1);
    const span = this.spanOfToken(token);
    if (!REGEX_FLAGS.test(flags)) {
      this.diagnostics.push(
        diagnostic("bad-regex", `unknown regex flag in \`${flags}\``, this.spanInside(token, lastSlash + 1, token.image.length), "flags are i, m, s and u"),
      );
    } else {
      try {
        new RegExp(source, flags);
      } catch (error) {
        const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, "");
        this.diagnostics.push(diagnostic("bad-regex", `invalid regex: ${reason}`, span));
      }
    }
    return { source, flags, span };
  }

  textPattern(node: CstNode): A.TextPattern {
    const children = node.children as Children;
    const string = this.token(children, "StringLiteral");
    if (string) return { kind: "text", value: this.stringTemplate(string) };
    return { kind: "regex", regex: this.regex(this.token(children, "RegexLiteral")!) };
  }

  tlsVersion(token: IToken): A.TlsVersionName {
    const found = TLS_VERSIONS.find((v) => v.toLowerCase() === token.image.toLowerCase());
    if (found) return found;
    const aliases: Record<string, A.TlsVersionName> = { "tls1.0": "TLSv1", "tlsv1.0": "TLSv1", "tls1.2": "TLSv1.2", "tls1.3": "TLSv1.3", "tls1.1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3" };
    const alias = aliases[token.image.toLowerCase()];
    const suggestion = alias ?? closest(token.image, TLS_VERSIONS);
    this.diagnostics.push(
      diagnostic(
        "bad-tls-version",
        `\`${token.image}\` is not a TLS version`,
        this.spanOfToken(token),
        suggestion ? `did you mean \`${suggestion}\`? (versions: ${TLS_VERSIONS.join(", ")})` : `versions: ${TLS_VERSIONS.join(", ")}`,
      ),
    );
    return "TLSv1.2";
  }

  comparator(token: IToken): A.Comparator {
    return token.image as A.Comparator;
  }

  // ---- rules ---------------------------------------------------------------------------

  script(ctx: Children): A.Statement[] {
    const out: A.Statement[] = [];
    for (const node of (ctx.statement ?? []) as CstNode[]) {
      const statement = this.visit(node) as A.Statement | undefined;
      if (statement) out.push(statement);
    }
    return out;
  }

  statement(ctx: Children): A.Statement {
    // One alternative, so one child: the statement's own rule.
    for (const key in ctx) return this.visit(ctx[key]![0] as CstNode) as A.Statement;
    throw new Error("a statement node without a child");
  }

  connectStatement(ctx: Children): A.Statement {
    const statement: A.Statement = {
      kind: "connect",
      url: this.valueTemplate(this.node(ctx, "url")!),
      tls: ((ctx.tlsOption ?? []) as CstNode[]).map((n) => this.visit(n) as A.TlsOption),
      span: this.spanOfToken(this.token(ctx, "Connect")!),
    };
    const duration = this.token(ctx, "Duration");
    if (duration) statement.timeoutMs = this.waitDuration(duration);
    const proxy = this.node(ctx, "proxyClause");
    if (proxy) statement.proxy = this.visit(proxy) as A.ProxyClause;
    const name = this.token(ctx, "name");
    if (name) {
      this.checkName(name);
      statement.name = { text: name.image, span: this.spanOfToken(name) };
    }
    const routing = this.connectRouting(ctx);
    if (routing) statement.routing = routing;
    return statement;
  }

  proxyClause(ctx: Children): A.ProxyClause {
    const clause: A.ProxyClause = { version: this.valueTemplate(this.node(ctx, "proxyVersion")!), client: this.valueTemplate(this.node(ctx, "client")!), span: this.spanOfToken(this.token(ctx, "Proxy")!) };
    const server = this.node(ctx, "server");
    if (server) clause.server = this.valueTemplate(server);
    return clause;
  }

  private connectRouting(ctx: Children): A.ConnectRouting | undefined {
    const routing: A.ConnectRouting = {};
    const mx = this.token(ctx, "Mx");
    if (mx) routing.mx = this.spanOfToken(mx);
    for (const option of (ctx.addressOption ?? []) as CstNode[]) {
      const parsed = this.visit(option) as { family: 4 | 6; span: A.Span } | { from: A.Template };
      if ("from" in parsed) routing.from = parsed.from;
      else (routing.families ??= []).push(parsed);
    }
    return Object.keys(routing).length > 0 ? routing : undefined;
  }

  addressOption(ctx: Children): { family: 4 | 6; span: A.Span } | { from: A.Template } {
    const family = this.token(ctx, "Ipv4") ?? this.token(ctx, "Ipv6");
    if (family) return { family: family.tokenType.name === "Ipv4" ? 4 : 6, span: this.spanOfToken(family) };
    return { from: this.valueTemplate(this.node(ctx, "value")!) };
  }

  dnsCheck(ctx: Children): A.ConnectionCheck {
    const first = (Object.values(ctx).flat()[0] as IToken | undefined)!;
    const hosts = (ctx.mxHost ?? []) as IToken[];
    if (this.token(ctx, "Mx")) return { kind: "mx-set", hosts: hosts.map((h) => this.stringTemplate(h)), span: this.spanFrom(this.token(ctx, "Mx")!, hosts[hosts.length - 1]!) };
    const outcome = this.token(ctx, "outcome");
    if (outcome) {
      const kind = this.token(ctx, "Dane") ? "dane" : "mta-sts";
      return { kind, outcome: outcome.image.toLowerCase(), outcomeSpan: this.spanOfToken(outcome), span: this.spanFrom(this.token(ctx, "Dane") ?? this.token(ctx, "MtaSts")!, outcome) };
    }
    const keyword = this.token(ctx, "Local") ?? this.token(ctx, "Rdns")!;
    const local = this.token(ctx, "Local") !== undefined;
    const word = this.token(ctx, "rdnsWord");
    if (word) {
      if (word.image.toLowerCase() !== "confirmed") this.diagnostics.push(diagnostic("bad-rdns", `\`expect rdns\` takes \`confirmed\`, a "name" or a /regex/, not \`${word.image}\``, this.spanOfToken(word), 'write `expect rdns confirmed` (the name maps back to the address) or `expect rdns "mx.example.com"`'));
      return { kind: "rdns", local, expected: { kind: "confirmed" }, span: this.spanFrom(keyword, word) };
    }
    const pattern = this.textPattern(this.node(ctx, "textPattern")!);
    return { kind: "rdns", local, expected: { kind: "pattern", pattern }, span: this.spanOfToken(keyword) };
  }

  useStatement(ctx: Children): A.Statement {
    const name = this.token(ctx, "name")!;
    return { kind: "use", name: name.image, nameSpan: this.spanOfToken(name), span: this.spanFrom(this.token(ctx, "Use")!, name) };
  }

  tlsOption(ctx: Children): A.TlsOption {
    const version = this.token(ctx, "tlsVersion");
    const first = (Object.values(ctx).flat()[0] as IToken | undefined) ?? version!;
    const span = this.spanOfToken(first);
    if (this.token(ctx, "Version")) return { kind: "version", version: this.tlsVersion(version!), span };
    if (this.token(ctx, "Min")) return { kind: "min", version: this.tlsVersion(version!), span };
    if (this.token(ctx, "Max")) return { kind: "max", version: this.tlsVersion(version!), span };
    if (this.token(ctx, "ServerName")) return { kind: "servername", name: this.valueTemplate(this.node(ctx, "value")!), span: this.spanOfToken(this.token(ctx, "ServerName")!) };
    if (this.token(ctx, "Ciphers")) return { kind: "ciphers", ciphers: this.valueTemplate(this.node(ctx, "value")!), span: this.spanOfToken(this.token(ctx, "Ciphers")!) };
    if (this.token(ctx, "Alpn")) return { kind: "alpn", protocols: this.valueTemplate(this.node(ctx, "value")!), span: this.spanOfToken(this.token(ctx, "Alpn")!) };
    for (const [token, kind] of [["Cert", "client-cert"], ["Key", "client-key"], ["Chain", "client-chain"]] as const) {
      const keyword = this.token(ctx, token);
      if (keyword) return { kind, path: this.valueTemplate(this.node(ctx, "value")!), span: this.spanOfToken(keyword) };
    }
    return { kind: "verify-off", span: this.spanOfToken(this.token(ctx, "Verify")!) };
  }

  sendStatement(ctx: Children): A.Statement {
    const keyword = this.token(ctx, "Send")!;
    const text = this.token(ctx, "LineText");
    if (!text) return { kind: "send", line: literalTemplate("", this.spanOfToken(keyword)), span: this.spanOfToken(keyword) };
    // In a `send` line, `#` starts a comment only after white space, so `<a#b@x>` is sent.
    const comment = /[ \t]#/.exec(text.image);
    let kept = withoutTrailingBlanks(comment ? text.image.slice(0, comment.index) : text.image);
    // Sized literals: `{file "PATH"}` or `{"TEXT"}` (`~{…}` for BINARY's literal8); mailchat
    // counts the bytes and writes the `{n}` / `{n+}` itself (IMAP APPEND, ManageSieve
    // PUTSCRIPT). After one, the command may go on (CATENATE's `)`) and hold more (MULTIAPPEND).
    const found = sizedLiterals(kept);
    const literalOf = (at: (typeof found)[number]): A.SizedLiteral => {
      const quote = kept.indexOf('"', at.start);
      const spanOf = (from: number, to: number) => this.spanInside(text, quote + 1 + from, quote + 1 + to);
      const template = parseTemplate(unescapeString(at.body, spanOf, this.diagnostics), spanOf, this.diagnostics);
      const span = this.spanInside(text, at.start, at.end);
      const literal: A.SizedLiteral = at.file ? { kind: "file", path: template, span } : { kind: "text", text: template, span };
      if (at.binary) literal.binary = true;
      return literal;
    };
    const textOf = (from: number, to: number) => parseTemplate(kept.slice(from, to), (a, b) => this.spanInside(text, from + a, from + b), this.diagnostics);
    const tail = kept.slice(found[found.length - 1]?.end ?? 0);
    const open = unclosedLiteral(tail);
    if (open !== undefined) {
      const help = comment && !kept.endsWith('"') ? "a `#` after white space starts a comment, even in the literal: write it `\\x23`" : 'close it: `{"TEXT"}` or `{file "PATH"}`';
      const from = kept.length - tail.length + open;
      this.diagnostics.push(diagnostic("unclosed-literal", "this sized literal is not closed by `}` at the end of the line", this.spanInside(text, from, kept.length), help));
    }
    const line = found.length > 0 ? textOf(0, kept.slice(0, found[0]!.start).replace(/[ \t]+$/, "").length) : parseTemplate(kept, (from, to) => this.spanInside(text, from, to), this.diagnostics);
    const statement: A.Statement = { kind: "send", line, span: this.spanFrom(keyword, text) };
    if (found.length > 0) statement.literal = literalOf(found[0]!);
    // What follows the first literal: text as typed, each piece maybe ending in another literal.
    if (found.length > 1 || (found.length === 1 && found[0]!.end < kept.length)) {
      statement.after = found.slice(1).map((at, i) => ({ text: textOf(found[i]!.end, at.start), literal: literalOf(at) }));
      statement.after.push({ text: textOf(found[found.length - 1]!.end, kept.length) });
    }
    return statement;
  }

  sendRawStatement(ctx: Children): A.Statement {
    const string = this.token(ctx, "StringLiteral")!;
    return { kind: "send-raw", bytes: this.stringTemplate(string), span: this.spanFrom(this.token(ctx, "SendRaw")!, string) };
  }

  expectStatement(ctx: Children): A.Statement {
    const span = this.spanOfToken(this.token(ctx, "Expect")!);
    const tls = this.node(ctx, "tlsCheck");
    const cert = this.node(ctx, "certCheck");
    const timing = this.node(ctx, "timingCheck");
    if (timing) {
      const statement = this.visit(timing) as A.Statement;
      return { ...statement, span: { ...span, end: statement.span.end } };
    }
    const dns = this.node(ctx, "dnsCheck");
    if (tls || cert || dns) {
      const check = this.visit((tls ?? cert ?? dns)!) as A.ConnectionCheck;
      return { kind: "expect-connection", check, span: { ...span, end: check.span.end } };
    }
    const matchers = ((ctx.matcher ?? []) as CstNode[]).map((n) => this.visit(n) as A.Matcher);
    return { kind: "expect", matchers, span: { ...span, end: matchers[matchers.length - 1]?.span.end ?? span.end } };
  }

  tlsCheck(ctx: Children): A.ConnectionCheck {
    const keyword = this.token(ctx, "Tls")!;
    const version = this.token(ctx, "tlsVersion");
    if (version) {
      const warn = this.token(ctx, "warnVersion");
      const check: A.ConnectionCheck = {
        kind: "tls-version",
        comparator: this.comparator(this.token(ctx, "Comparison")!),
        version: this.tlsVersion(version),
        span: this.spanFrom(keyword, warn ?? version),
      };
      if (warn) check.warn = this.tlsVersion(warn);
      return check;
    }
    const refused = this.token(ctx, "Refused");
    if (refused) return { kind: "tls-refused", span: this.spanFrom(keyword, refused) };
    if (this.token(ctx, "Alpn")) return { kind: "tls-alpn", pattern: this.textPattern(this.node(ctx, "textPattern")!), span: this.spanFrom(keyword, this.token(ctx, "Alpn")!) };
    const pattern = this.textPattern(this.node(ctx, "textPattern")!);
    return { kind: "tls-cipher", pattern, span: this.spanFrom(keyword, keyword) };
  }

  certCheck(ctx: Children): A.ConnectionCheck {
    const keyword = this.token(ctx, "Cert")!;
    const span = this.spanOfToken(keyword);
    if (this.token(ctx, "Verified")) return { kind: "cert-verified", span: this.spanFrom(keyword, this.token(ctx, "Verified")!) };
    const duration = this.token(ctx, "Duration");
    if (duration) {
      const warn = this.token(ctx, "warnDuration");
      const check: A.ConnectionCheck = {
        kind: "cert-expires",
        comparator: this.comparator(this.token(ctx, "Comparison")!),
        days: this.expiryDays(duration),
        span: this.spanFrom(keyword, warn ?? duration),
      };
      if (warn) check.warnDays = this.expiryDays(warn);
      return check;
    }
    const other = this.certFact(ctx, keyword);
    if (other) return other;
    const field = this.token(ctx, "Subject") ? "subject" : this.token(ctx, "Issuer") ? "issuer" : "san";
    const patternNode = this.node(ctx, "textPattern")!;
    return { kind: "cert-field", field, pattern: this.textPattern(patternNode), span };
  }

  /** The chain, fingerprint, key, signature and OCSP forms of `expect cert`. */
  private certFact(ctx: Children, keyword: IToken): A.ConnectionCheck | undefined {
    const span = this.spanOfToken(keyword);
    if (this.token(ctx, "Complete")) return { kind: "cert-chain-complete", span: this.spanFrom(keyword, this.token(ctx, "Complete")!) };
    if (this.token(ctx, "Includes")) return { kind: "cert-chain-includes", pattern: this.textPattern(this.node(ctx, "textPattern")!), span };
    if (this.token(ctx, "Signature")) return { kind: "cert-signature", pattern: this.textPattern(this.node(ctx, "textPattern")!), span };
    const fingerprint = this.node(ctx, "fingerprint");
    if (fingerprint) return { kind: "cert-fingerprint", fingerprint: this.valueTemplate(fingerprint), span };
    const ocsp = this.token(ctx, "ocspStatus");
    if (ocsp) {
      const status = OCSP_STATUSES.find((s) => s === ocsp.image.toLowerCase());
      if (!status) {
        const suggestion = closest(ocsp.image.toLowerCase(), OCSP_STATUSES);
        this.diagnostics.push(diagnostic("bad-ocsp-status", `\`${ocsp.image}\` is not an OCSP status`, this.spanOfToken(ocsp), `${suggestion ? `did you mean \`${suggestion}\`? ` : ""}(statuses: ${OCSP_STATUSES.join(", ")})`));
      }
      return { kind: "cert-ocsp", status: status ?? "good", span: this.spanFrom(keyword, ocsp) };
    }
    const key = this.token(ctx, "Key");
    if (!key) return undefined;
    const check: Extract<A.ConnectionCheck, { kind: "cert-key" }> = { kind: "cert-key", span: this.spanFrom(keyword, key) };
    const type = this.token(ctx, "keyType");
    if (type) {
      const known = KEY_TYPES.find((t) => t.toLowerCase() === type.image.toLowerCase());
      if (known) check.keyType = known;
      else this.diagnostics.push(diagnostic("bad-key-type", `\`${type.image}\` is not a key type`, this.spanOfToken(type), `key types: ${KEY_TYPES.join(", ")}`));
      check.span = this.spanFrom(keyword, type);
    }
    const bits = this.token(ctx, "keyBits");
    if (bits) {
      if (!/^\d{2,5}$/.test(bits.image)) this.diagnostics.push(diagnostic("bad-key-size", `\`${bits.image}\` is not a key size in bits`, this.spanOfToken(bits), "write bits, e.g. `expect cert key >= 2048` or `expect cert key EC >= 256`"));
      check.comparator = this.comparator(this.token(ctx, "Comparison")!);
      check.bits = Number(bits.image);
      check.span = this.spanFrom(keyword, bits);
    }
    if (!type && !bits) this.diagnostics.push(diagnostic("bad-key-check", "`expect cert key` needs a key type, a size or both", check.span, "e.g. `expect cert key RSA >= 2048`, `expect cert key EC`, `expect cert key >= 2048`"));
    return check;
  }

  /** Certificate expiry is counted in days (or hours): `30d`. */
  expiryDays(duration: IToken): number {
    const ms = parseDuration(duration.image);
    if (!/d$/.test(duration.image) && !/h$/.test(duration.image)) {
      this.diagnostics.push(diagnostic("bad-duration", "certificate expiry is counted in days", this.spanOfToken(duration), `write \`${Math.max(1, Math.round(ms / 86_400_000))}d\``));
    }
    return ms / 86_400_000;
  }

  timingCheck(ctx: Children): A.Statement {
    const what = (this.token(ctx, "Connect") ?? this.token(ctx, "Handshake") ?? this.token(ctx, "Session"))!;
    const duration = this.token(ctx, "Duration")!;
    const warn = this.token(ctx, "warnDuration");
    const statement: A.Statement = { kind: "expect-timing", measure: what.image.toLowerCase() as A.TimedMeasure, ms: this.waitDuration(duration), span: this.spanFrom(what, warn ?? duration) };
    if (warn) statement.warnMs = this.waitDuration(warn);
    return statement;
  }

  matcher(ctx: Children): A.Matcher {
    const negated = Boolean(this.token(ctx, "Not"));
    const first = this.firstToken(ctx)!;
    const span = this.spanOfToken(first);
    const code = this.token(ctx, "ReplyCode");
    if (code) return { kind: "code", alternatives: code.image.toLowerCase().split("|"), span };
    const enhanced = this.token(ctx, "EnhancedCode");
    if (enhanced) return { kind: "enhanced", code: enhanced.image.toLowerCase(), span };
    const pop = this.token(ctx, "PopStatus");
    if (pop) return { kind: "pop-status", status: pop.image as "+OK" | "-ERR", span };
    const imap = this.token(ctx, "ImapStatus");
    if (imap) return { kind: "status", status: imap.image as "OK" | "NO" | "BAD", span };
    const tagged = this.token(ctx, "TaggedStatus");
    if (tagged) {
      const [, tag, status] = /^(\S+)[ \t]+(\S+)$/.exec(tagged.image)!;
      return { kind: "status", status: status as "OK" | "NO" | "BAD", tag: parseTemplate(tag!, (from, to) => this.spanInside(tagged, from, to), this.diagnostics), span };
    }
    if (this.token(ctx, "Continuation")) return { kind: "continuation", span };
    const responseCode = this.token(ctx, "ResponseCode");
    if (responseCode) return { kind: "response-code", code: responseCode.image.slice(1, -1).toUpperCase(), span };
    const pattern = this.node(ctx, "textPattern");
    if (pattern) return { kind: "text", pattern: this.textPattern(pattern), negated, span };
    const response = this.token(ctx, "response");
    if (response) return { kind: "untagged", response: this.stringTemplate(response), negated, span: this.spanFrom(first, response) };
    const capability = this.node(ctx, "capabilityCheck");
    if (capability) {
      const c = capability.children as Children;
      const name = this.token(c, "name")!;
      const param = this.token(c, "param");
      const matcher: A.Matcher = { kind: "capability", name: name.image, negated, span: this.spanFrom(first, param ?? name) };
      if (param) matcher.param = param.image;
      return matcher;
    }
    const duration = this.token(ctx, "Duration");
    if (this.token(ctx, "Within")) {
      const warn = this.token(ctx, "warnDuration");
      const within: A.Matcher = { kind: "within", ms: this.waitDuration(duration!), span: warn ? this.spanFrom(first, warn) : span };
      if (warn) within.warnMs = this.waitDuration(warn);
      return within;
    }
    if (this.token(ctx, "Silence")) return { kind: "silence", ms: this.waitDuration(duration!), span };
    if (this.token(ctx, "Any")) return { kind: "any", span };
    return { kind: "closed", span };
  }

  // Read by `matcher` directly; present because the visitor must name every rule.
  capabilityCheck(): undefined {
    return undefined;
  }


  starttlsStatement(ctx: Children): A.Statement {
    return {
      kind: "starttls",
      tls: ((ctx.tlsOption ?? []) as CstNode[]).map((n) => this.visit(n) as A.TlsOption),
      span: this.spanOfToken(this.token(ctx, "StartTls")!),
    };
  }

  authStatement(ctx: Children): A.Statement {
    const mechanism = this.token(ctx, "mechanism")!;
    const user = this.node(ctx, "user")!;
    const secret = this.node(ctx, "secret")!;
    const secretTokens = this.allTokens(secret);
    return {
      kind: "auth",
      mechanism: mechanism.image.toLowerCase(),
      mechanismSpan: this.spanOfToken(mechanism),
      user: this.valueTemplate(user),
      secret: this.valueTemplate(secret),
      span: this.spanFrom(this.token(ctx, "Auth")!, secretTokens[secretTokens.length - 1]!),
    };
  }

  dataBlockStatement(ctx: Children): A.Statement {
    const lines = this.tokens(ctx, "BodyLine").map((token) => {
      const text = token.image.replace(/\r?\n$/, "");
      return parseTemplate(text, (from, to) => this.spanInside(token, from, to), this.diagnostics);
    });
    return { kind: "data", body: lines, span: this.spanOfToken(this.token(ctx, "DataBlock")!) };
  }

  pipelineStatement(ctx: Children): A.Statement {
    const sends = ((ctx.sendStatement ?? []) as CstNode[]).map((n) => this.visit(n) as Extract<A.Statement, { kind: "send" }>);
    return { kind: "pipeline", sends, span: this.spanFrom(this.token(ctx, "Pipeline")!, this.token(ctx, "End")!) };
  }

  bdatBlockStatement(ctx: Children): A.Statement {
    const keyword = this.token(ctx, "BdatBlock")!;
    const body = this.tokens(ctx, "BodyLine").map((token) => parseTemplate(token.image.replace(/\r?\n$/, ""), (from, to) => this.spanInside(token, from, to), this.diagnostics));
    const statement: A.Statement = { kind: "bdat", body, span: this.spanOfToken(keyword) };
    const chunk = /chunk[ \t]+([^\s#]+)/i.exec(keyword.image);
    if (chunk) {
      const at = chunk.index + chunk[0].length - chunk[1]!.length;
      statement.chunk = { text: chunk[1]!, span: this.spanInside(keyword, at, at + chunk[1]!.length) };
    }
    return statement;
  }

  bdatFileStatement(ctx: Children): A.Statement {
    const value = this.node(ctx, "value")!;
    const last = this.allTokens({ name: "bdat", children: ctx } as CstNode).filter((t) => !/^\r?\n$/.test(t.image)).pop()!;
    const statement: A.Statement = { kind: "bdat-file", path: this.valueTemplate(value), binary: Boolean(this.token(ctx, "Binary")), span: this.spanFrom(this.token(ctx, "Bdat")!, last) };
    const size = this.token(ctx, "size");
    if (size) statement.chunk = { text: size.image, span: this.spanOfToken(size) };
    return statement;
  }

  probeStatement(ctx: Children): A.Statement {
    const what = this.token(ctx, "what")!;
    const string = this.token(ctx, "StringLiteral")!;
    const statement: A.Statement = { kind: "probe", what: what.image.toLowerCase(), whatSpan: this.spanOfToken(what), bytes: this.stringTemplate(string), span: this.spanFrom(this.token(ctx, "Probe")!, string) };
    const duration = this.token(ctx, "Duration");
    if (duration) statement.windowMs = parseDuration(duration.image);
    return statement;
  }

  dataFileStatement(ctx: Children): A.Statement {
    const value = this.node(ctx, "value")!;
    const valueTokens = this.allTokens(value);
    return { kind: "data-file", path: this.valueTemplate(value), span: this.spanFrom(this.token(ctx, "Data")!, valueTokens[0]!) };
  }

  dataMessageStatement(ctx: Children): A.Statement {
    const parts = ((ctx.messagePart ?? []) as CstNode[]).map((n) => this.visit(n) as A.MessagePart);
    return { kind: "data-message", parts, span: this.spanFrom(this.token(ctx, "Data")!, this.token(ctx, "Message")!) };
  }

  messagePart(ctx: Children): A.MessagePart {
    const keyword = (this.token(ctx, "Header") ?? this.token(ctx, "Body") ?? this.token(ctx, "Attach"))!;
    const last = this.allTokens({ name: "messagePart", children: ctx } as CstNode).pop()!;
    const span = this.spanFrom(keyword, last);
    if (this.token(ctx, "Header")) return { kind: "header", name: this.token(ctx, "name")!.image, value: this.valueTemplate(this.node(ctx, "text")!), span };
    const bodyText = this.token(ctx, "bodyText");
    if (bodyText) return { kind: "body", text: this.stringTemplate(bodyText), span };
    const bodyFile = this.node(ctx, "bodyFile");
    if (bodyFile) return { kind: "body-file", path: this.valueTemplate(bodyFile), span };
    const part: A.MessagePart = { kind: "attach", path: this.valueTemplate(this.node(ctx, "attachment")!), span };
    const filename = this.node(ctx, "filename");
    const contentType = this.node(ctx, "contentType");
    if (filename) part.filename = this.valueTemplate(filename);
    if (contentType) part.contentType = this.valueTemplate(contentType);
    return part;
  }

  setStatement(ctx: Children): A.Statement {
    const name = this.token(ctx, "name")!;
    const comparison = this.token(ctx, "Comparison")!;
    if (comparison.image !== "=") {
      this.diagnostics.push(diagnostic("syntax", `expected \`=\` in \`set\`, found \`${comparison.image}\``, this.spanOfToken(comparison)));
    }
    this.checkName(name);
    const statement: A.Statement = { kind: "set", name: name.image, value: this.valueTemplate(this.node(ctx, "value")!), span: this.spanFrom(this.token(ctx, "Set")!, name) };
    if (this.token(ctx, "Secret")) statement.secret = true;
    return statement;
  }

  paramStatement(ctx: Children): A.Statement {
    const name = this.token(ctx, "name")!;
    this.checkName(name);
    const statement: A.Statement = { kind: "param", name: name.image, span: this.spanFrom(this.token(ctx, "Param")!, name) };
    if (this.token(ctx, "Secret")) statement.secret = true;
    const description = this.token(ctx, "description");
    if (description) statement.description = this.stringText(description);
    const value = this.node(ctx, "value");
    if (value) statement.fallback = this.valueTemplate(value);
    return statement;
  }

  /** A wait: a timer holds at most 2^31-1 ms (~24.8 days); Node would fire a longer one at
   *  once, so a script asking for more is refused rather than silently cut short. */
  waitDuration(token: IToken): number {
    const ms = parseDuration(token.image);
    if (ms > MAX_WAIT_MS) {
      this.diagnostics.push(diagnostic("duration-too-long", `\`${token.image}\` is longer than a wait can be (at most 24 days)`, this.spanOfToken(token), "a mail check waits seconds or minutes; write e.g. `30s` or `5m`"));
      return MAX_WAIT_MS;
    }
    if (ms === 0) {
      this.diagnostics.push(diagnostic("duration-zero", `a wait of \`${token.image}\` ends before anything can arrive`, this.spanOfToken(token), "write e.g. `500ms` or `10s`"));
      return 1;
    }
    return ms;
  }

  checkName(token: IToken): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(token.image)) {
      this.diagnostics.push(diagnostic("bad-name", `\`${token.image}\` is not a variable name`, this.spanOfToken(token), "names are letters, digits and _, starting with a letter"));
    }
  }

  timeoutStatement(ctx: Children): A.Statement {
    const duration = this.token(ctx, "Duration")!;
    return { kind: "timeout", ms: this.waitDuration(duration), span: this.spanFrom(this.token(ctx, "Timeout")!, duration) };
  }

  closeStatement(ctx: Children): A.Statement {
    return { kind: "close", span: this.spanOfToken(this.token(ctx, "Close")!) };
  }

  includeStatement(ctx: Children): A.Statement {
    const value = this.node(ctx, "value")!;
    const template = this.valueTemplate(value);
    if (template.parts.some((p) => p.kind !== "text")) {
      this.diagnostics.push(diagnostic("include-interpolation", "an `include` path cannot hold variables", template.span, "includes are resolved before variables exist"));
    }
    const path = template.parts.map((p) => (p.kind === "text" ? p.text : "")).join("");
    return { kind: "include", path, span: this.spanFrom(this.token(ctx, "Include")!, this.firstToken(value.children as Children)!) };
  }

  allowStatement(ctx: Children): A.Statement {
    const what = this.token(ctx, "what")!;
    const span = this.spanFrom(this.token(ctx, "Allow")!, what);
    if (what.image.toLowerCase() !== "plaintext-auth") {
      const suggestion = closest(what.image, ["plaintext-auth"]);
      this.diagnostics.push(
        diagnostic("unknown-allow", `\`allow ${what.image}\` is not something mailchat can allow`, this.spanOfToken(what), suggestion ? `did you mean \`allow ${suggestion}\`?` : "the only form is `allow plaintext-auth`"),
      );
    }
    return { kind: "allow", what: "plaintext-auth", span };
  }

  maskStatement(ctx: Children): A.Statement {
    const regex = this.regex(this.token(ctx, "RegexLiteral")!);
    const replacement = this.stringText(this.token(ctx, "StringLiteral")!);
    return { kind: "mask", regex, replacement, span: this.spanFrom(this.token(ctx, "Mask")!, this.token(ctx, "StringLiteral")!) };
  }



  // Read by valueTemplate() directly; present because the visitor must name every rule.
  value(): undefined {
    return undefined;
  }

}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A sized literal: `{file "PATH"}`, `{"TEXT"}`, or either after `~` (BINARY, RFC 3516). */
const SIZED_LITERAL = /(~?)\{(?:file[ \t]+"((?:[^"\\]|\\.)*)"|"((?:[^"\\]|\\.)*)")\}/y;

/** The text without the spaces and tabs at its end (a regex `[ \t]+$` is slow on long runs of them). */
function withoutTrailingBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * Each place of a `send` line where a sized literal may open: a `{` (or `~{`) after white space
 * or `(` (CATENATE's `(TEXT {"…"})`), outside the line's quoted strings. `visit` returns the
 * index to go on after (past a literal it read), or `false` to stop.
 */
function eachOpening(line: string, visit: (at: number) => number | false | undefined): void {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
      continue;
    }
    if ((ch === "{" || (ch === "~" && line[i + 1] === "{")) && (i === 0 || /[ \t(]/.test(line[i - 1]!))) {
      const next = visit(i);
      if (next === false) return;
      if (next !== undefined) {
        i = next;
        continue;
      }
    }
    if (ch === '"') quoted = true;
  }
}

/** The sized literals of a `send` line, where they stand. */
function sizedLiterals(line: string): Array<{ start: number; end: number; body: string; file: boolean; binary: boolean }> {
  const found: Array<{ start: number; end: number; body: string; file: boolean; binary: boolean }> = [];
  eachOpening(line, (at) => {
    SIZED_LITERAL.lastIndex = at;
    const match = SIZED_LITERAL.exec(line);
    if (!match) return undefined;
    found.push({ start: at, end: at + match[0].length, body: (match[2] ?? match[3])!, file: match[2] !== undefined, binary: match[1] === "~" });
    return at + match[0].length - 1;
  });
  return found;
}

/**
 * Where `{"` or `{file "` opens a sized literal that runs to the end of the line unclosed: its
 * string, or the `}` after it, missing (a script cut short, a `#` taken for a comment). In IMAP
 * and ManageSieve a `{` there can only begin a literal.
 */
function unclosedLiteral(line: string): number | undefined {
  let open: number | undefined;
  eachOpening(line, (at) => {
    const brace = line[at] === "~" ? at + 1 : at;
    if (!unclosedAt(line, brace)) return undefined;
    open = brace;
    return false;
  });
  return open;
}

const UNCLOSED_LITERAL = /\{(?:file[ \t]+)?"(?:[^"\\]|\\.)*(?:"|\\?)$/y;

function unclosedAt(line: string, at: number): boolean {
  UNCLOSED_LITERAL.lastIndex = at;
  return UNCLOSED_LITERAL.test(line);
}

/** The longest wait a timer can hold: 2^31-1 ms. */
export const MAX_WAIT_MS = 2_147_483_647;

export function parseDuration(image: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(image)!;
  // Digits beyond what a number holds exactly still give a number too large to wait for.
  return Math.min(Number(match[1]) * UNIT_MS[match[2]!]!, Number.MAX_SAFE_INTEGER);
}
