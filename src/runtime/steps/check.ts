// `expect tls …` / `expect cert …` (and the DNS facts, asked of DNS in dns-checks.ts): a fact of the connection judged against the failing
// threshold, then against the warning one (`warn`), which is the same comparison with a
// stricter value: so its message is the check's own, read as a warning.
import { isDnsCheck, type ConnectionCheck, type Step } from "../../compile/steps.js";
import type { RunContext } from "../context.js";
import type { Measurement } from "../events.js";
import { judgeHandshake } from "../certificate-expectations.js";
import { StepFailure } from "../failures.js";
import { dnsCheck } from "./dns-checks.js";

export function check(ctx: RunContext, step: Extract<Step, { kind: "check" }>): void | Promise<void> {
  if (isDnsCheck(step.check)) return dnsCheck(ctx, step.check);
  const tls = ctx.connection?.tls;
  if (step.check.kind === "cert-expires") measureExpiry(ctx, step.check, step.span.line);
  const failure = judgeHandshake(step.check, tls, ctx.render);
  if (failure) throw new StepFailure({ ...failure, span: step.span });
  const stricter = warningCheck(step.check);
  const warning = stricter && judgeHandshake(stricter, tls, ctx.render);
  if (warning) ctx.warn({ ...warning, message: `warning: ${warning.message}`, span: step.span });
}

/** The check with its warning value in place of the failing one, when it has one. */
function warningCheck(check: ConnectionCheck): ConnectionCheck | undefined {
  if (check.kind === "cert-expires" && check.warnDays !== undefined) return { kind: "cert-expires", comparator: check.comparator, days: check.warnDays };
  if (check.kind === "tls-version" && check.warn !== undefined) return { kind: "tls-version", comparator: check.comparator, version: check.warn };
  return undefined;
}

/** Days left on the leaf certificate, with the script's thresholds (monitoring perfdata). */
function measureExpiry(ctx: RunContext, check: Extract<ConnectionCheck, { kind: "cert-expires" }>, line: number): void {
  const validTo = ctx.connection?.tls?.certificate?.validTo;
  if (!validTo) return;
  const days = (new Date(validTo).getTime() - Date.now()) / 86_400_000;
  const measurement: Measurement = { name: "cert-days", value: days, unit: "days", line, limit: { comparator: check.comparator, value: check.days } };
  if (check.warnDays !== undefined) measurement.warn = { comparator: check.comparator, value: check.warnDays };
  ctx.measure(measurement);
}
