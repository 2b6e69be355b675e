// Times held to thresholds: `expect connect|handshake|session within DUR [warn DUR]`, and
// the response time of `expect … within DUR [warn DUR]`. Every one is reported as a
// measurement (with its thresholds) whether it holds or not, for the monitoring perfdata.
import type { Step } from "../../compile/steps.js";
import type { RunContext } from "../context.js";
import type { Measurement } from "../events.js";
import { StepFailure } from "../failures.js";

export const formatMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")} s` : `${ms < 10 ? ms.toFixed(1).replace(/\.0$/, "") : Math.round(ms)} ms`);

export interface TimeToHold {
  name: Measurement["name"];
  ms: number;
  limitMs: number;
  warnMs?: number;
  line: number;
  /** What was timed, in words: "the reply to `EHLO x`", "the TCP connect". */
  what: string;
  command?: string;
}

/** Reports the time, then fails the step above the limit and warns above the warning. */
export function holdTime(ctx: RunContext, time: TimeToHold): void {
  const measurement: Measurement = { name: time.name, value: time.ms, unit: "ms", line: time.line, limit: { comparator: "<=", value: time.limitMs } };
  if (time.command) measurement.command = time.command;
  if (time.warnMs !== undefined) measurement.warn = { comparator: "<=", value: time.warnMs };
  ctx.measure(measurement);
  const took = `${time.what} took ${formatMs(time.ms)}`;
  if (time.ms > time.limitMs) {
    throw new StepFailure({ message: `${took}, more than the ${formatMs(time.limitMs)} allowed`, expected: `within ${formatMs(time.limitMs)}`, actual: formatMs(time.ms) });
  }
  if (time.warnMs !== undefined && time.ms > time.warnMs) {
    ctx.warn({ message: `${took}, more than the ${formatMs(time.warnMs)} warning threshold (it must stay within ${formatMs(time.limitMs)})`, expected: `warn ${formatMs(time.warnMs)}`, actual: formatMs(time.ms) });
  }
}

const WHAT: Record<Extract<Step, { kind: "timing" }>["measure"], string> = {
  connect: "the TCP connect",
  handshake: "the TLS handshake",
  session: "the session",
};

export function timing(ctx: RunContext, step: Extract<Step, { kind: "timing" }>): void {
  const timings = ctx.connection!.timings;
  const ms = step.measure === "connect" ? timings.connectMs : step.measure === "handshake" ? (timings.handshakeMs ?? 0) : (timings.endedAt ?? performance.now()) - timings.startedAt;
  const time: TimeToHold = { name: step.measure, ms, limitMs: step.limitMs, line: step.span.line, what: WHAT[step.measure] };
  if (step.warnMs !== undefined) time.warnMs = step.warnMs;
  holdTime(ctx, time);
}
