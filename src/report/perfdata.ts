// Performance data as monitoring-plugins' guidelines define it
// (monitoring-plugin-guidelines, monitoring_plugins_interface/03.Output.md):
//   'label'=value[UOM][;warn[;crit[;min[;max]]]]
// with warn and crit as range expressions (definitions/01.range_expressions.md):
// `[@][start:][end]`, a value outside the range (inside with `@`) exceeding the threshold.
import type { Measurement, Threshold } from "../runtime/events.js";

/** Plain decimal notation, never scientific (the guidelines ask for it), trailing zeros cut. */
export function decimal(value: number, places: number): string {
  const fixed = value.toFixed(places);
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/**
 * The range that holds when the script's comparison holds, so that a value the script
 * would fail (or warn on) exceeds it: `> 14` days is `@~:14` (exceeds at 14 or fewer),
 * `>= 14` is `14:`, `<= 5` is `~:5`, `< 5` is `@5:`, `= 3` is `3:3`. Times are never
 * negative, so `<= 5 s` is written `5`, as check_smtp writes its `-w`/`-c`.
 */
export function rangeOf(threshold: Threshold, scale: number, places: number, nonNegative: boolean): string {
  const v = decimal(threshold.value * scale, places);
  switch (threshold.comparator) {
    case ">":
      return `@~:${v}`;
    case ">=":
      return `${v}:`;
    case "<=":
      return nonNegative && threshold.value >= 0 ? v : `~:${v}`;
    case "<":
      return `@${v}:`;
    case "=":
      return `${v}:${v}`;
  }
}

/** Labels may hold anything but `=` and `'`; ours keep to letters, digits and _ . - so that
 *  no metric receiver (Graphite, RRD) stumbles on them, and are quoted as Icinga advises. */
export function perfLabel(text: string): string {
  return `'${text.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60)}'`;
}

const LABEL: Record<Measurement["name"], string> = { connect: "connect", handshake: "handshake", greeting: "greeting", reply: "reply", session: "session", "cert-days": "cert_days" };

/** One measurement as perfdata: times in seconds (6 places, as the plugins print them), days unitless. */
export function perfItem(label: string, m: Measurement): string {
  const time = m.unit === "ms";
  const value = time ? `${decimal(m.value / 1000, 6)}s` : decimal(m.value, 2);
  const range = (t: Threshold | undefined) => (t ? rangeOf(t, time ? 1 / 1000 : 1, time ? 6 : 2, time) : "");
  const fields = [value, range(m.warn), range(m.limit)];
  if (time) fields.push("0");
  return `${perfLabel(label)}=${fields.join(";").replace(/;+$/, "")}`;
}

/** The label a measurement gets: its name, the reply's line, and the run's name among several. */
export function measurementLabel(m: Measurement, run: string | undefined): string {
  const base = m.name === "reply" && m.line !== undefined ? `reply_line${m.line}` : LABEL[m.name];
  return run ? `${run} ${base}` : base;
}
