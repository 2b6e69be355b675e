// Warning thresholds (`warn`) beside failing ones, and the timing expectations. A warning
// threshold is the same comparison as the failing one, against a stricter value: when only
// it does not hold, the step passes with a warning. One laxer than the failing threshold
// could never warn, so it is a compile error rather than a check that cannot fire.
import type * as A from "../../grammar/ast.js";
import type { OpenConnection } from "./connection-state.js";
import type { ReportError } from "./scope.js";
import type { Step } from "./steps.js";

const TLS_ORDER: readonly A.TlsVersionName[] = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** Whether `warn` is stricter than `limit` under the comparator: it must warn before it fails. */
function stricter(comparator: A.Comparator, limit: number, warn: number): boolean {
  switch (comparator) {
    case ">":
    case ">=":
      return warn > limit;
    case "<":
    case "<=":
      return warn < limit;
    case "=":
      return false;
  }
}

/** `within 5s warn 1s`: the warning time must be shorter than the failing one. */
export function checkWithin(m: Extract<A.Matcher, { kind: "within" }>, error: ReportError): boolean {
  if (m.warnMs === undefined || m.warnMs < m.ms) return true;
  error("warn-not-stricter", `the warning threshold (${seconds(m.warnMs)}) must be shorter than the failing one (${seconds(m.ms)}): a reply slower than ${seconds(m.ms)} fails before it could warn`, m.span, `write the failing time first: \`within ${seconds(m.warnMs).replace(" ", "")} warn ${seconds(m.ms).replace(" ", "")}\``);
  return false;
}

/** `expect cert expires > 14d warn 30d`, `expect tls version >= TLSv1.2 warn TLSv1.3`. */
export function checkConnectionWarn(c: A.ConnectionCheck, error: ReportError): boolean {
  if (c.kind === "cert-expires" && c.warnDays !== undefined && !stricter(c.comparator, c.days, c.warnDays)) {
    const why = c.comparator === "=" ? "`=` has no stricter value to warn at" : `it must be ${c.comparator.startsWith(">") ? "more" : "fewer"} days than the failing one (${c.days}d), so that it warns first`;
    error("warn-not-stricter", `the warning threshold (${c.warnDays}d) cannot warn: ${why}`, c.span, c.comparator.startsWith(">") ? `e.g. \`expect cert expires > ${c.days}d warn ${c.days * 2}d\`` : undefined);
    return false;
  }
  if (c.kind === "tls-version" && c.warn !== undefined && !stricter(c.comparator, TLS_ORDER.indexOf(c.version), TLS_ORDER.indexOf(c.warn))) {
    const why = c.comparator === "=" ? "`=` has no stricter version to warn at" : `it must be ${c.comparator.startsWith(">") ? "newer" : "older"} than ${c.version}, so that it warns first`;
    error("warn-not-stricter", `the warning version (${c.warn}) cannot warn: ${why}`, c.span, c.comparator.startsWith(">") ? "e.g. `expect tls version >= TLSv1.2 warn TLSv1.3`" : undefined);
    return false;
  }
  return true;
}

/** `expect connect|handshake|session within DUR [warn DUR]` as a step, or undefined after an error. */
export function timingStep(s: Extract<A.Statement, { kind: "expect-timing" }>, connection: OpenConnection, common: { span: A.Span; source: string }, error: ReportError): Step | undefined {
  if (s.warnMs !== undefined && s.warnMs >= s.ms) {
    error("warn-not-stricter", `the warning threshold (${seconds(s.warnMs)}) must be shorter than the failing one (${seconds(s.ms)})`, s.span, `write the failing time first: \`expect ${s.measure} within ${seconds(s.warnMs).replace(" ", "")} warn ${seconds(s.ms).replace(" ", "")}\``);
    return undefined;
  }
  if (s.measure === "handshake" && !connection.encrypted) {
    error("not-encrypted", "`expect handshake` times the TLS handshake, but the connection is not encrypted at this point", s.span, "put it after `starttls`, or connect with an implicit-TLS scheme");
    return undefined;
  }
  const step: Step = { span: common.span, source: common.source, kind: "timing", measure: s.measure, limitMs: s.ms };
  if (s.warnMs !== undefined) step.warnMs = s.warnMs;
  return step;
}
