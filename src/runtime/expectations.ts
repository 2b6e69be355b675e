// Judging a reply (or the connection's TLS facts) against what the script expects.
// Pure: no sockets, no printing; a failure comes back as a value for the reporters.
import type { ConnectionCheck, Pattern, RuntimeText, StepMatcher } from "../compile/steps.js";
import type { Capabilities, Reply } from "../protocols/types.js";
import { escapeRegex } from "../regex-escape.js";
import { escapeBytes } from "../transcript/escape.js";
import { findUntagged, type Bindings } from "../protocols/imap/structure.js";
import { boundedExec } from "./bounded-regex.js";
import type { Failure, TlsFacts } from "./events.js";

/** The reply as text matchers see it: every line as received, joined with \n (LANGUAGE.md). */
export function replyText(reply: Reply): string {
  return reply.lines.join("\n");
}

export type Render = (text: RuntimeText) => string;

export interface Judgement {
  failure?: Failure;
  /** Values of named groups of the regexes that matched. */
  captures: Record<string, string>;
}

function codeMatches(pattern: string, code: string | undefined): boolean {
  if (!code || code.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== "x" && pattern[i] !== code[i]) return false;
  return true;
}

function enhancedMatches(pattern: string, code: string | undefined): boolean {
  if (!code) return false;
  const want = pattern.split(".");
  const got = code.split(".");
  return want.length === got.length && want.every((part, i) => part === "x" || Number(part) === Number(got[i]));
}

export function describeMatcher(matcher: StepMatcher, render: Render): string {
  switch (matcher.kind) {
    case "any":
      return "any";
    case "code":
      return matcher.alternatives.join("|");
    case "enhanced":
      return matcher.code;
    case "pop-status":
      return matcher.status;
    case "status":
      return matcher.tag ? `${render(matcher.tag)} ${matcher.status}` : matcher.status;
    case "continuation":
      return "+";
    case "response-code":
      return `[${matcher.code}]`;
    case "text":
      return `${matcher.negated ? "not " : ""}${describePattern(matcher.pattern, render)}`;
    case "capability":
      return `${matcher.negated ? "not " : ""}capability ${matcher.name}${matcher.param ? ` ${matcher.param}` : ""}`;
    case "untagged":
      return `${matcher.negated ? "not " : ""}untagged ${JSON.stringify(render(matcher.response))}`;
  }
}

export function describePattern(pattern: Pattern, render: Render): string {
  return pattern.kind === "regex" ? pattern.source : JSON.stringify(render(pattern.text));
}

export interface JudgeContext {
  /** The reply read as a capability list, when it is one (read only by `capability`). */
  capabilities: Capabilities | undefined;
  /** How the protocol writes a capability list (IMAP `AUTH=PLAIN`, EHLO `AUTH PLAIN`). */
  describeCapabilities: (capabilities: Capabilities) => string;
  /** The response codes the reply carries, as the protocol writes them. */
  responseCodes: (reply: Reply) => string[];
  render: Render;
  /** A value captured earlier in the run, by name (`$name` in `untagged`). */
  lookup?: (name: string) => string | undefined;
  /** Time a script regex may run before it is stopped (what is left of the step's wait). */
  regexBudgetMs: number;
  /** The untagged lines `untagged` looks at, when not only the reply's own (a tagged completion
   *  of pipelined commands: every untagged line since they went out), as bytes. */
  untaggedLines?: string[] | undefined;
}

/** Checks every matcher of an `expect` against one reply; the first that fails is reported. */
export function judgeReply(reply: Reply, matchers: StepMatcher[], context: JudgeContext): Judgement {
  const text = replyText(reply);
  const captures: Record<string, string> = {};
  // RFC 5321 §4.2.1: one code for every line. A reply whose code changes half-way could make
  // `expect 250` hold on a refusal, so no matcher may pass on it.
  if (reply.inconsistent && matchers.length > 0) {
    return {
      failure: { message: `the reply's code changes within one multi-line reply (${reply.inconsistent}); RFC 5321 §4.2.1 requires the same code on every line`, expected: matchers.map((m) => describeMatcher(m, context.render)).join(" "), actual: text, span: matchers[0]!.span },
      captures,
    };
  }
  for (const matcher of matchers) {
    const failure = judgeOne(matcher, reply, text, context, captures);
    if (failure) return { failure: { ...failure, span: matcher.span }, captures };
  }
  return { captures };
}

/** A matcher kind the runner does not know must fail to compile, never pass by default. */
function assertNever(value: never): never {
  throw new Error(`unhandled matcher ${JSON.stringify(value)}`);
}

function judgeOne(matcher: StepMatcher, reply: Reply, text: string, context: JudgeContext, captures: Record<string, string>): Omit<Failure, "span"> | undefined {
  const { render } = context;
  // Described only for a failure: a reply that fits is the common case, and a load run judges
  // millions.
  switch (matcher.kind) {
    case "any":
      return undefined;
    case "code":
      for (const alternative of matcher.alternatives) if (codeMatches(alternative, reply.status)) return undefined;
      return {
        message: reply.status ? `expected reply code ${describeMatcher(matcher, render)}, got ${reply.status}` : `expected reply code ${describeMatcher(matcher, render)}, got a reply without a code`,
        expected: describeMatcher(matcher, render),
        actual: text,
        diff: { expected: matcher.alternatives.join("|"), actual: reply.lines[reply.lines.length - 1] ?? "" },
      };
    case "enhanced":
      if (enhancedMatches(matcher.code, reply.enhanced)) return undefined;
      return {
        message: reply.enhanced ? `expected enhanced status ${describeMatcher(matcher, render)}, got ${reply.enhanced}` : `expected enhanced status ${describeMatcher(matcher, render)}, but the reply carries none`,
        expected: describeMatcher(matcher, render),
        actual: text,
      };
    case "pop-status":
    case "status":
      if (reply.status === matcher.status) return undefined;
      return { message: `expected ${describeMatcher(matcher, render)}, got ${reply.status ?? "a reply without a status"}`, expected: describeMatcher(matcher, render), actual: text };
    case "continuation":
      if (reply.status === "+") return undefined;
      return { message: "expected a continuation request (+)", expected: describeMatcher(matcher, render), actual: text };
    case "response-code": {
      const codes = context.responseCodes(reply);
      const wanted = matcher.code.toUpperCase();
      if (codes.some((code) => code === wanted || code.startsWith(`${wanted}/`))) return undefined;
      return { message: `expected the response code ${describeMatcher(matcher, render)}${codes.length ? `, got ${codes.map((c) => `[${c}]`).join(" ")}` : ", but the reply carries none"}`, expected: describeMatcher(matcher, render), actual: text };
    }
    case "text": {
      const { found, groups } = matchPattern(matcher.pattern, text, render, context.regexBudgetMs);
      if (found !== matcher.negated) {
        if (found) Object.assign(captures, groups);
        return undefined;
      }
      const what = matcher.pattern.kind === "regex" ? `match ${describePattern(matcher.pattern, render)}` : `contain ${describePattern(matcher.pattern, render)}`;
      const failure: Omit<Failure, "span"> = {
        message: matcher.negated ? `expected the reply not to ${what}` : `expected the reply to ${what}`,
        expected: describeMatcher(matcher, render),
        actual: text,
      };
      if (matcher.pattern.kind === "text" && !matcher.negated) failure.diff = { expected: render(matcher.pattern.text), actual: text };
      return failure;
    }
    case "capability": {
      const capabilities = context.capabilities;
      if (!capabilities) {
        return {
          message: `expected ${describeMatcher(matcher, render)}, but this reply is not a capability list`,
          expected: describeMatcher(matcher, render),
          actual: text,
        };
      }
      // `AUTH=PLAIN`, as IMAP servers print it, means the same as `AUTH PLAIN`.
      const [name, param] = matcher.param === undefined && matcher.name.includes("=") ? (matcher.name.split("=", 2) as [string, string]) : [matcher.name, matcher.param];
      const params = capabilities.get(name.toUpperCase());
      const present = params !== undefined && (param === undefined || params.includes(param.toUpperCase()));
      if (present !== matcher.negated) return undefined;
      const offered = context.describeCapabilities(capabilities) || "none";
      return {
        message: matcher.negated ? `expected no ${describeMatcher(matcher, render).replace(/^not /, "")}, but the server offers it` : `expected ${describeMatcher(matcher, render)}, but the server does not offer it`,
        expected: describeMatcher(matcher, render),
        actual: text,
        // As the script wrote it (`AUTH=PLAIN` or `AUTH PLAIN`), next to the list as the server wrote it.
        diff: { expected: `${matcher.negated ? "no " : ""}${matcher.name.toUpperCase()}${matcher.param ? ` ${matcher.param.toUpperCase()}` : ""}`, actual: `offered: ${offered}` },
      };
    }
    case "untagged": {
      // Values bound by earlier matchers of this `expect` count, as do those of earlier steps.
      const bindings: Bindings = { known: (name) => captures[name] ?? context.lookup?.(name), bound: {} };
      const pattern = render(matcher.response);
      // Compared as the bytes came (a BINARY literal need not be UTF-8).
      const found = findUntagged(pattern, context.untaggedLines ?? reply.raw.map((line) => line.toString("latin1")), bindings);
      if ((found !== undefined) !== matcher.negated) {
        if (found !== undefined) for (const [name, value] of Object.entries(bindings.bound)) captures[name] = fromBytes(value);
        return undefined;
      }
      return {
        // The server's line as the transcript shows it: escaped, never raw.
        message: matcher.negated ? `expected no untagged response like ${JSON.stringify(pattern)}, but the server sent \`${escapeBytes(Buffer.from(found ?? "", "latin1"))}\`` : `expected an untagged response like ${JSON.stringify(pattern)} (compared by structure: FETCH and STATUS items in any order, flags as a set, $name binds)`,
        expected: describeMatcher(matcher, render),
        actual: text,
      };
    }
    default:
      return assertNever(matcher);
  }
}

/** A value bound from a response's bytes, as text: UTF-8 where the bytes are, else one
 *  character a byte (as `send raw` reads it back). */
function fromBytes(value: string): string {
  if (!/[\x80-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) ? text : value;
}

export function matchPattern(pattern: Pattern, text: string, render: Render, budgetMs = 1_000): { found: boolean; groups: Record<string, string> } {
  if (pattern.kind === "text") return { found: text.includes(render(pattern.text)), groups: {} };
  // Values captured during the run match literally inside the regex.
  const regex = pattern.template ? new RegExp(pattern.template.parts.map((part) => (typeof part === "string" ? part : escapeRegex(render({ parts: [part] })))).join(""), pattern.flags) : pattern.regex;
  const match = boundedExec(regex, text, budgetMs, pattern.source);
  if (!match) return { found: false, groups: {} };
  const groups: Record<string, string> = {};
  for (const [name, value] of Object.entries(match.groups ?? {})) if (value !== undefined) groups[name] = value;
  return { found: true, groups };
}

const TLS_ORDER = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export function compare(actual: number, comparator: string, wanted: number): boolean {
  switch (comparator) {
    case "=":
      return actual === wanted;
    case ">=":
      return actual >= wanted;
    case "<=":
      return actual <= wanted;
    case ">":
      return actual > wanted;
    case "<":
      return actual < wanted;
  }
  return false;
}

/** The checks of the version, the cipher and the leaf certificate; the others are in certificate-expectations.ts. */
export type LeafCheck = Extract<ConnectionCheck, { kind: "tls-version" | "tls-cipher" | "cert-verified" | "cert-expires" | "cert-field" }>;

/** `expect tls …` / `expect cert …`: facts of the connection, no reply consumed. */
export function judgeConnection(check: LeafCheck, tls: TlsFacts | undefined, render: Render): Omit<Failure, "span"> | undefined {
  if (!tls) return { message: "the connection is not encrypted", expected: "TLS", actual: "plaintext" };
  const cert = tls.certificate;
  switch (check.kind) {
    case "tls-version": {
      const ok = compare(TLS_ORDER.indexOf(tls.version), check.comparator, TLS_ORDER.indexOf(check.version));
      return ok ? undefined : { message: `expected TLS version ${check.comparator} ${check.version}, negotiated ${tls.version}`, expected: `${check.comparator} ${check.version}`, actual: tls.version };
    }
    case "tls-cipher": {
      const { found } = matchPattern(check.pattern, tls.cipher, render);
      return found ? undefined : { message: `expected the cipher to match ${describePattern(check.pattern, render)}`, expected: describePattern(check.pattern, render), actual: tls.cipher };
    }
    case "cert-verified":
      return tls.authorized
        ? undefined
        : { message: `the certificate did not verify: ${tls.authorizationError ?? "unknown reason"}`, expected: "verified", actual: tls.authorizationError ?? "not verified" };
    case "cert-expires": {
      if (!cert) return { message: "the server sent no certificate", expected: "a certificate", actual: "none" };
      const days = (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000;
      const ok = compare(days, check.comparator, check.days);
      return ok
        ? undefined
        : {
            message: days < 0 ? `the certificate expired ${Math.ceil(-days)} days ago (${cert.validTo.slice(0, 10)})` : `expected the certificate to expire in ${check.comparator} ${check.days} days, it expires in ${Math.floor(days)} days (${cert.validTo.slice(0, 10)})`,
            expected: `expires ${check.comparator} ${check.days}d`,
            actual: `expires ${cert.validTo} (in ${Math.floor(days)} days)`,
          };
    }
    case "cert-field": {
      if (!cert) return { message: "the server sent no certificate", expected: "a certificate", actual: "none" };
      if (check.field === "san") {
        const found = cert.subjectAltNames.some((name) => (check.pattern.kind === "text" ? name === render(check.pattern.text) : matchPattern(check.pattern, name, render).found));
        const actual = cert.subjectAltNames.join(", ") || "no subjectAltName";
        return found ? undefined : { message: `expected the certificate's names to include ${describePattern(check.pattern, render)}`, expected: describePattern(check.pattern, render), actual };
      }
      const value = check.field === "subject" ? cert.subject : cert.issuer;
      const { found } = matchPattern(check.pattern, value, render);
      return found ? undefined : { message: `expected the certificate's ${check.field} to match ${describePattern(check.pattern, render)}`, expected: describePattern(check.pattern, render), actual: value };
    }
  }
}
