// `expect` lines: which matchers apply to the connection's protocol (the descriptor says),
// text and regex patterns (a regex that can backtrack on a hostile reply is refused), and
// the names a regex captures.
import safeRegex from "safe-regex2";
import type * as A from "../../grammar/ast.js";
import type { Diagnostic } from "../../grammar/diagnostic.js";
import { parseTemplate } from "../../grammar/template.js";
import type { ProtocolMatcherKind } from "../protocols/types.js";
import type { OpenConnection, ConnectionState } from "./connection-state.js";
import type { ReportError, Scope } from "./scope.js";
import type { Pattern, StepMatcher } from "./steps.js";
import { checkWithin } from "./thresholds.js";

export interface CompiledExpect {
  matchers: StepMatcher[];
  captures: string[];
  timeoutMs?: number;
  warnMs?: number;
  closed: boolean;
  silenceMs?: number;
}

/** How a protocol-specific matcher reads in an error. */
function describe(m: Extract<A.Matcher, { kind: ProtocolMatcherKind }>): string {
  switch (m.kind) {
    case "code":
      return "a reply code";
    case "enhanced":
      return "an enhanced status code";
    case "pop-status":
    case "status":
      return `\`${m.status}\``;
    case "continuation":
      return "`+`";
    case "response-code":
      return `the response code \`[${m.code}]\``;
    case "untagged":
      return "`untagged`";
  }
}

export class MatcherCompiler {
  constructor(
    private readonly scope: Scope,
    private readonly connections: ConnectionState,
    private readonly error: ReportError,
  ) {}

  expect(s: Extract<A.Statement, { kind: "expect" }>, connection: OpenConnection): CompiledExpect | undefined {
    const out: CompiledExpect = { matchers: [], captures: [], closed: false };
    for (const m of s.matchers) {
      switch (m.kind) {
        case "within":
          if (!checkWithin(m, this.error)) break;
          out.timeoutMs = m.ms;
          if (m.warnMs !== undefined) out.warnMs = m.warnMs;
          break;
        case "closed":
          out.closed = true;
          break;
        case "silence":
          out.silenceMs = m.ms;
          break;
        case "capability":
        case "any":
          out.matchers.push(m);
          break;
        case "untagged": {
          const { kinds, replies } = connection.protocol.matchers;
          if (!this.connections.allows(connection, kinds.includes("untagged"), m.span, "`untagged`", `${connection.protocol.title} ${replies}; \`untagged\` compares IMAP responses`)) break;
          const response = this.scope.text(m.response, "value");
          if (!response) break;
          // `$name` binds a value the step captures, as a regex's named group does.
          if (!m.negated) for (const part of response.parts) if (typeof part === "string") for (const v of part.matchAll(/(?<![\w$])\$([A-Za-z_]\w*)/g)) out.captures.push(v[1]!);
          out.matchers.push({ kind: "untagged", response, negated: m.negated, span: m.span });
          break;
        }
        case "text": {
          const pattern = this.pattern(m.pattern);
          if (!pattern) break;
          if (pattern.kind === "regex" && !m.negated) out.captures.push(...captureNames(pattern.regex));
          out.matchers.push({ kind: "text", pattern, negated: m.negated, span: m.span });
          break;
        }
        case "status": {
          if (!m.tag) {
            this.protocolMatcher(m, connection, out);
            break;
          }
          if (!this.connections.allows(connection, connection.protocol.name === "imap", m.span, "a tagged completion", "tags are IMAP's")) break;
          const tag = this.scope.text(m.tag, "value");
          if (tag) out.matchers.push({ kind: "status", status: m.status, tag, span: m.span });
          break;
        }
        default:
          this.protocolMatcher(m, connection, out);
      }
    }
    if ((out.closed || out.silenceMs !== undefined) && out.matchers.length > 0) {
      this.error("closed-alone", `\`${out.closed ? "closed" : "silence"}\` stands alone in an \`expect\``, s.span, `write the reply's expectation on its own line, then \`expect ${out.closed ? "closed" : "silence …"}\``);
      return undefined;
    }
    if ((out.closed || out.silenceMs !== undefined) && out.warnMs !== undefined) {
      // `closed` waits for a close and `silence` for nothing: neither is a reply with a response time.
      this.error("warn-not-stricter", `\`warn\` holds a reply's response time; \`${out.closed ? "closed" : "silence"}\` has none`, s.span, `write \`expect ${out.closed ? "closed" : "silence …"}\` without \`warn\``);
      return undefined;
    }
    if (out.closed && out.silenceMs !== undefined) {
      this.error("closed-alone", "`closed` and `silence` cannot both hold", s.span);
      return undefined;
    }
    return out;
  }

  private protocolMatcher(m: Extract<A.Matcher, { kind: ProtocolMatcherKind }>, connection: OpenConnection, out: CompiledExpect): void {
    const { kinds, replies } = connection.protocol.matchers;
    if (this.connections.allows(connection, kinds.includes(m.kind), m.span, describe(m), `${connection.protocol.title} ${replies}`)) out.matchers.push(m as StepMatcher);
  }

  pattern(p: A.TextPattern): Pattern | undefined {
    if (p.kind === "regex" && p.regex.source.includes("${")) return this.regexTemplate(p.regex);
    if (p.kind === "regex") return this.safeRegex(p.regex) ? { kind: "regex", regex: new RegExp(p.regex.source, p.regex.flags), source: `/${p.regex.source}/${p.regex.flags}` } : undefined;
    const text = this.scope.text(p.value, "value");
    return text ? { kind: "text", text } : undefined;
  }

  /**
   * `/… ${name} …/`: a value inside a regex matches literally (it is escaped), whether it is
   * known now or captured during the run (`/\* ${n} EXPUNGE/`, `/TAG "${tag}"/`).
   */
  private regexTemplate(regex: A.RegexLiteral): Pattern | undefined {
    const diagnostics: Diagnostic[] = [];
    const template = parseTemplate(regex.source, () => regex.span, diagnostics);
    for (const d of diagnostics) this.error(d.code, d.message, regex.span, d.help);
    const text = this.scope.text(template, "regex");
    if (!text) return undefined;
    // Checked with each value standing for one literal character.
    const probe = text.parts.map((part) => (typeof part === "string" ? part : "x")).join("");
    if (!this.safeRegex({ ...regex, source: probe })) return undefined;
    try {
      new RegExp(probe, regex.flags);
    } catch (error) {
      this.error("bad-regex", `the regex /${regex.source}/ is not valid: ${(error as Error).message}`, regex.span);
      return undefined;
    }
    const pattern: Pattern = { kind: "regex", regex: new RegExp(probe, regex.flags), source: `/${regex.source}/${regex.flags}`, flags: regex.flags };
    if (text.parts.some((part) => typeof part !== "string")) pattern.template = text;
    else pattern.regex = new RegExp(text.parts.join(""), regex.flags);
    return pattern;
  }

  /**
   * A script regex runs against what an untrusted server sends. Nested quantifiers such as
   * `(a+)+` backtrack exponentially on a crafted reply; safe-regex2 (star height) finds them.
   * Matching is bounded at run time too (runtime/bounded-regex.ts); this says so early.
   */
  safeRegex(regex: A.RegexLiteral): boolean {
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
}

function captureNames(regex: RegExp): string[] {
  return [...regex.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
}
