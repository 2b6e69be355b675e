// Perfdata as monitoring-plugins' guidelines define it (monitoring-plugin-guidelines,
// monitoring_plugins_interface/03.Output.md: `'label'=value[UOM][;warn[;crit[;min[;max]]]]`;
// definitions/01.range_expressions.md: `[@][start:][end]`, alert outside the range, or
// inside it with `@`, `~` for negative infinity). Each script comparison must alert exactly
// where the script fails: checked here value by value against the guidelines' own reading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { perfItem, rangeOf } from "../../src/report/perfdata.js";
import type { Threshold } from "../../src/runtime/events.js";

/** The guidelines' rule: does `value` exceed the range expression? */
function exceeds(range: string, value: number): boolean {
  const inside = range.startsWith("@");
  const body = inside ? range.slice(1) : range;
  const [startText, endText] = body.includes(":") ? (body.split(":") as [string, string]) : ["0", body];
  const start = startText === "~" ? -Infinity : startText === "" ? 0 : Number(startText);
  const end = endText === "" ? Infinity : Number(endText);
  const within = value >= start && value <= end;
  return inside ? within : !within;
}

const holds = (t: Threshold, value: number) => ({ ">": value > t.value, ">=": value >= t.value, "<=": value <= t.value, "<": value < t.value, "=": value === t.value })[t.comparator];

test("every comparison becomes a range that is exceeded exactly where the comparison fails", () => {
  for (const comparator of [">", ">=", "<=", "<", "="] as const) {
    const threshold: Threshold = { comparator, value: 14 };
    const range = rangeOf(threshold, 1, 2, false);
    for (const value of [-3, 0, 13, 13.99, 14, 14.01, 15, 400]) assert.equal(exceeds(range, value), !holds(threshold, value), `${comparator} 14 as ${range}, value ${value}`);
  }
});

test("the guidelines' examples read as they say", () => {
  assert.equal(exceeds("10", 11), true);
  assert.equal(exceeds("10", -1), true);
  assert.equal(exceeds("10:", 9), true);
  assert.equal(exceeds("~:10", -100), false);
  assert.equal(exceeds("@10:20", 15), true);
});

test("a time is in seconds with its warn and crit, as check_smtp prints them", () => {
  const item = perfItem("greeting", { name: "greeting", value: 148.0123, unit: "ms", limit: { comparator: "<=", value: 5000 }, warn: { comparator: "<=", value: 1000 } });
  assert.equal(item, "'greeting'=0.148012s;1;5;0");
  assert.equal(perfItem("cert_days", { name: "cert-days", value: 45.251, unit: "days", limit: { comparator: ">", value: 14 }, warn: { comparator: ">", value: 30 } }), "'cert_days'=45.25;@~:30;@~:14");
  assert.equal(perfItem("session", { name: "session", value: 12, unit: "ms", limit: { comparator: "<=", value: 10000 } }), "'session'=0.012s;;10;0");
});
