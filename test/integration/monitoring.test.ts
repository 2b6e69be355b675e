// Warning levels and timings, through the CLI against real sockets: a slow server made here
// (it greets and answers after set delays) and the sandbox's TLS. Each reporter shows a
// warning; the nagios reporter says WARNING (1) with perfdata in monitoring-plugins' format.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";
import { onClientLines, startRawServer, type RawServer } from "../helpers/raw-server.js";

const fixture = (name: string) => join(FIXTURES, "monitoring", `${name}.mailchat`);

/** An SMTP server that greets after `greetMs` and answers EHLO after `ehloMs`. */
function slowServer(greetMs: number, ehloMs = 0): Promise<RawServer> {
  return startRawServer((socket: Socket) => {
    setTimeout(() => !socket.destroyed && socket.write("220 slow.test ESMTP\r\n"), greetMs);
    onClientLines(socket, (line) => {
      if (/^EHLO/i.test(line)) setTimeout(() => !socket.destroyed && socket.write("250-slow.test\r\n250 PIPELINING\r\n"), ehloMs);
      else if (/^QUIT/i.test(line)) socket.end("221 2.0.0 bye\r\n");
      else socket.write("250 ok\r\n");
    });
  });
}

/**
 * One perfdata item as monitoring-plugins' guidelines define it
 * (monitoring-plugin-guidelines, monitoring_plugins_interface/03.Output.md):
 * `'label'=value[UOM][;warn[;crit[;min[;max]]]]`, the label without `=` or `'`, the value in
 * plain decimal notation, warn and crit range expressions `[@][start:][end]` with `~` for
 * negative infinity (definitions/01.range_expressions.md).
 */
const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const RANGE = String.raw`@?(?:(?:~|${NUMBER}):)?(?:${NUMBER})?`;
const PERFDATA_ITEM = new RegExp(String.raw`^(?:'[^'=]+'|[^'=\s]+)=${NUMBER}(?:s|ms|us|%|B|KB|MB|TB|c)?(?:;(?:${RANGE})?(?:;(?:${RANGE})?(?:;(?:${NUMBER})?(?:;(?:${NUMBER})?)?)?)?)?$`);

function perfdata(stdout: string): Map<string, string[]> {
  const items = stdout.split("\n")[0]!.split(" | ")[1]!.split(" ");
  for (const item of items) assert.match(item, PERFDATA_ITEM, `perfdata item ${item} is not in the plugin format`);
  return new Map(items.map((item) => [item.slice(0, item.indexOf("=")).replace(/'/g, ""), item.slice(item.indexOf("=") + 1).split(";")]));
}

describe("warning levels", () => {
  let server: RawServer;
  before(async () => (server = await slowServer(150)));
  after(() => server.close());

  test("a greeting slower than `warn` passes with a warning: exit 0, the warning shown where it happened", async () => {
    const result = await runCli(["run", fixture("slow-greeting-warns"), "--var", `port=${server.port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /S: 220 slow\.test ESMTP\n⚠ .*slow-greeting-warns\.mailchat:4:1 {2}expect 220 within 5s warn 50ms\n {2}the greeting took \d+ ms, more than the 50 ms warning threshold \(it must stay within 5 s\)\n/);
    assert.match(result.stdout, /⚠ .*slow-greeting-warns\.mailchat: 8 steps passed, 1 warning, in [\d.]+ s\n$/);
  });

  test("--fail-on-warning makes the warning exit 1", async () => {
    const result = await runCli(["run", fixture("slow-greeting-warns"), "--var", `port=${server.port}`, "--fail-on-warning"]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
  });

  test("--reporter nagios: WARNING, exit 1, each asserted time in the perfdata with its warn and crit", async () => {
    const result = await runCli(["run", fixture("slow-greeting-warns"), "--var", `port=${server.port}`, "--reporter", "nagios"]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /^MAILCHAT WARNING - 1 of 1 checks passed, 1 with warnings: .*slow-greeting-warns\.mailchat: line 4: the greeting took \d+ ms, more than the 50 ms warning threshold/);
    const items = perfdata(result.stdout);
    assert.deepEqual(items.get("warnings"), ["1", "", "", "0", "1"]);
    const greeting = items.get("greeting")!;
    // The server greets 150 ms after it accepts; timers on a loaded machine may fire a little early.
    assert.ok(Number(greeting[0]!.replace(/s$/, "")) >= 0.1, `greeting ${greeting[0]}`);
    assert.deepEqual(greeting.slice(1), ["0.05", "5", "0"]);
    assert.deepEqual(items.get("connect")!.slice(1), ["4", "5", "0"]);
    assert.deepEqual(items.get("reply_line7")!.slice(1), ["4", "5", "0"]);
    assert.deepEqual(items.get("session")!.slice(1), ["", "10", "0"]);
  });

  test("every reporter shows the warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailchat-warn-"));
    const base = join(dir, "report");
    const result = await runCli(["run", fixture("slow-greeting-warns"), "--var", `port=${server.port}`, "--reporter", "json", "--report-junit", `${base}.xml`, "--report-tap", `${base}.tap`, "--report-html", `${base}.html`, "--report-jsonl", `${base}.jsonl`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const json = JSON.parse(result.stdout) as { runs: Array<{ status: string; steps: Array<{ line: number; status: string; warning?: { message: string } }>; measures: Array<{ name: string; value: number; warn?: { value: number } }> }>; summary: { passed: number; warnings: number } };
    const run = json.runs[0]!;
    assert.equal(run.status, "warning");
    assert.deepEqual(json.summary, { files: 1, passed: 1, failed: 0, errors: 0, warnings: 1 });
    const warned = run.steps.filter((s) => s.status === "warning");
    assert.deepEqual(warned.map((s) => s.line), [4]);
    assert.match(warned[0]!.warning!.message, /the greeting took/);
    assert.deepEqual(run.measures.map((m) => m.name), ["connect", "greeting", "greeting", "connect", "reply", "session"]);
    assert.equal(run.measures[2]!.warn!.value, 50);
    const junit = readFileSync(`${base}.xml`, "utf8");
    assert.match(junit, /<property name="mailchat\.status" value="warning"\/>/);
    assert.match(junit, /<testcase [^>]*name="4: expect 220 within 5s warn 50ms"[^>]*>\s*<system-out>WARNING: the greeting took \d+ ms/);
    assert.doesNotMatch(junit, /<failure/);
    const tap = readFileSync(`${base}.tap`, "utf8");
    assert.match(tap, /^ok 2 - .*:4 expect 220 within 5s warn 50ms\n {2}---\n {2}severity: warning\n {2}message: "the greeting took/m);
    assert.doesNotMatch(tap, /not ok/);
    const html = readFileSync(`${base}.html`, "utf8");
    assert.match(html, /<h1>mailchat: 1 of 1 script passed, 1 with warnings<\/h1>/);
    assert.match(html, /<h2 class="warning">⚠ .*slow-greeting-warns\.mailchat — warning/);
    assert.match(html, /<div class="warn"><pre><strong>⚠ .*expect 220 within 5s warn 50ms<\/strong>\nthe greeting took/);
    const jsonl = JSON.parse(readFileSync(`${base}.jsonl`, "utf8")) as { status: string; exitCode: number; warnings: Array<{ line: number }> };
    assert.equal(jsonl.status, "warning");
    assert.equal(jsonl.exitCode, 0);
    assert.deepEqual(jsonl.warnings.map((w) => w.line), [4]);
  });

  test("a session longer than `warn` warns, longer than its limit fails", async () => {
    const warns = await runCli(["run", fixture("session-warns"), "--var", `port=${server.port}`]);
    assert.equal(warns.code, 0, warns.stdout);
    assert.match(warns.stdout, /the session took \d+ ms, more than the 100 ms warning threshold \(it must stay within 10 s\)/);
    const fails = await runCli(["run", fixture("session-too-long"), "--var", `port=${server.port}`]);
    assert.equal(fails.code, 1, fails.stdout);
    assert.match(fails.stdout, /the session took \d+ ms, more than the 100 ms allowed/);
  });

  test("certificate expiry and TLS version warn at their `warn` value (the sandbox's certificate)", async () => {
    const result = await runCli(["run", "--sandbox", fixture("cert-expiry-warns"), "--reporter", "nagios"]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /^MAILCHAT WARNING - .*line 4: warning: expected the certificate to expire in > 3650 days, it expires in \d+ days/);
    const items = perfdata(result.stdout);
    // `> 14d` fails at 14 days or fewer: the range that holds is {14 .. ∞} without 14, so
    // crit is "inside {-∞ .. 14}" (`@~:14`); warn likewise at 3650.
    assert.deepEqual(items.get("cert_days")!.slice(1), ["@~:3650", "@~:14"]);
    assert.ok(Number(items.get("cert_days")![0]) > 14);
    assert.deepEqual(items.get("handshake")!.slice(1), ["9", "10", "0"]);
  });
});

describe("response times", () => {
  test("`within` is the reply's response time: a greeting queued late fails even though it is already there", async () => {
    const first = await slowServer(150);
    const second = await slowServer(400);
    try {
      const result = await runCli(["run", fixture("queued-greeting-too-late"), "--var", `port=${first.port}`, "--var", `slower=${second.port}`]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /the greeting took \d+ ms, more than the 100 ms allowed/);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("a reply that has not come within `within` of its command being sent fails, naming the command", async () => {
    const server = await slowServer(0, 300);
    try {
      const result = await runCli(["run", fixture("slow-reply-fails"), "--var", `port=${server.port}`]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /no reply within 0\.1 s of `EHLO monitor\.example\.com` being sent/);
    } finally {
      await server.close();
    }
  });
});
