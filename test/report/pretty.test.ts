// The pretty reporter's output, pinned from event fixtures: a new case is a new folder with
// events.json and expected.txt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PrettyReporter } from "../../src/report/pretty.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { FIXTURES } from "../helpers/paths.js";

const root = join(FIXTURES, "report");

function render(events: RunEvent[], color: boolean): string {
  let out = "";
  const reporter = new PrettyReporter({ write: (text) => (out += text), color });
  for (const event of events) reporter.event(event);
  reporter.finish();
  return out;
}

for (const name of readdirSync(root).sort()) {
  test(`pretty: ${name}`, () => {
    const events = JSON.parse(readFileSync(join(root, name, "events.json"), "utf8")) as RunEvent[];
    const actual = render(events, false);
    const expectedFile = join(root, name, "expected.txt");
    if (process.env.MAILCHAT_UPDATE_FIXTURES === "1") writeFileSync(expectedFile, actual);
    assert.equal(actual, readFileSync(expectedFile, "utf8"));
    assert.doesNotMatch(actual, /\x1b\[/);
    assert.match(render(events, true), /\x1b\[/);
  });
}
