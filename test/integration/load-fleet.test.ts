// Load runs (--repeat, --concurrency) and fleet runs (--targets, --jobs, JUnit, JSON lines,
// the monitoring-plugin mode), through the CLI against real sockets: a small ESMTP server,
// one that refuses every third session, a dead port and a target that never greets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startEsmtpServer } from "../helpers/esmtp-server.js";
import { FIXTURES } from "../helpers/paths.js";
import { startRawServer } from "../helpers/raw-server.js";

const check = join(FIXTURES, "fleet", "mx-check.mailchat");

describe("load", () => {
  test("--repeat N --concurrency C: every session runs, the JSON report carries the figures", async () => {
    const server = await startEsmtpServer({});
    try {
      const result = await runCli(["run", check, "--var", `port=${server.port}`, "--repeat", "40", "--concurrency", "8", "--reporter", "json"], { timeoutMs: 60_000 });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const { load } = JSON.parse(result.stdout) as { load: { sessions: number; passed: number; concurrency: number; sessionsPerSecond: number; latency: Record<string, { count: number; p50: number; p99: number }> } };
      assert.equal(load.sessions, 40);
      assert.equal(load.passed, 40);
      assert.equal(load.concurrency, 8);
      assert.ok(load.sessionsPerSecond > 0);
      assert.equal(load.latency.session!.count, 40);
      assert.equal(load.latency.expect!.count, 120);
      assert.ok(load.latency.connect!.p50 <= load.latency.connect!.p99);
      assert.equal(server.reads.filter((read) => read.startsWith("EHLO")).length, 40);
    } finally {
      await server.close();
    }
  });

  test("failures are grouped by cause, and the first failed session is shown whole", async () => {
    let sessions = 0;
    const server = await startRawServer((socket) => {
      sessions += 1;
      if (sessions % 3 === 0) return void socket.end("554 5.7.1 too many connections from your host\r\n");
      socket.write("220 mx ESMTP\r\n");
      socket.on("data", (chunk: Buffer) => socket.write(/^QUIT/m.test(chunk.toString()) ? "221 bye\r\n" : "250 ok\r\n"));
    });
    try {
      const result = await runCli(["run", check, "--var", `port=${server.port}`, "--repeat", "30", "--concurrency", "3"], { timeoutMs: 60_000 });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stdout, /✘ 30 sessions of .*mx-check\.mailchat, 3 at a time, in [\d.]+ s: [\d.]+ sessions\/s \(20 passed, 10 failed\)/);
      assert.match(result.stdout, /failures by cause:\n +10× expected reply code 220, got 554 \(first in session \d+, line 6: expect 220\)/);
      assert.match(result.stdout, /session \d+ failed; its transcript follows/);
      assert.match(result.stdout, /S: 554 5\.7\.1 too many connections/);
      assert.doesNotMatch(result.stdout, /\[[-=░█ ]+\]/, "no progress bar when the output is not a terminal");
    } finally {
      await server.close();
    }
  });

  test("bad load flags are refused before anything is sent", async () => {
    for (const [args, message] of [
      [["--repeat", "0"], /--repeat takes a whole number from 1 to 1000000, got `0`/],
      [["--concurrency", "4"], /--concurrency sets how many sessions of a load run go at once: use it with --repeat/],
      [["--repeat", "5", "--reporter", "junit"], /a load run reports as pretty or json, not junit/],
    ] as const) {
      const result = await runCli(["run", check, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });
});

describe("fleet", () => {
  test("--targets with --jobs: a dead and a silent target do not hold the others; JUnit and JSON lines per target; the worst status", async () => {
    const good = await startEsmtpServer({});
    const silent = await startRawServer(() => undefined);
    const dead = await startRawServer(() => undefined);
    const deadPort = dead.port;
    await dead.close();
    const dir = mkdtempSync(join(tmpdir(), "mailchat-fleet-"));
    const targets = join(dir, "targets.txt");
    writeFileSync(targets, `# fleet\n127.0.0.1 port=${good.port}\nhost=127.0.0.1 port=${silent.port}   # never greets\nport=${deadPort} host=127.0.0.1\nlocalhost port=${good.port}\n`);
    try {
      const started = Date.now();
      const result = await runCli(["run", check, "--targets", targets, "--jobs", "4", "--report-junit", join(dir, "fleet.xml"), "--report-jsonl", join(dir, "fleet.jsonl")], { timeoutMs: 60_000 });
      const ms = Date.now() - started;
      assert.equal(result.code, 3, result.stdout);
      assert.ok(ms < 6_000, `the silent target held the run for ${ms} ms`);
      const records = readFileSync(join(dir, "fleet.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { target: string; status: string; exitCode: number; failures: Array<{ message: string }> });
      assert.equal(records.length, 4);
      const byTarget = new Map(records.map((r) => [r.target, r]));
      assert.equal(byTarget.get(`127.0.0.1 port=${good.port}`)!.status, "pass");
      assert.equal(byTarget.get(`localhost port=${good.port}`)!.status, "pass");
      assert.equal(byTarget.get(`host=127.0.0.1 port=${silent.port}`)!.status, "fail");
      assert.match(byTarget.get(`host=127.0.0.1 port=${silent.port}`)!.failures[0]!.message, /no reply within 2 s/);
      assert.equal(byTarget.get(`port=${deadPort} host=127.0.0.1`)!.exitCode, 3);
      const junit = readFileSync(join(dir, "fleet.xml"), "utf8");
      assert.equal(junit.match(/<testsuite /g)?.length, 4);
      assert.match(junit, /mx-check\.mailchat @ 127\.0\.0\.1 port=\d+/);
    } finally {
      await good.close();
      await silent.close();
    }
  });

  test("--jobs: each run is reported whole and in the order given, however the runs finish", async () => {
    const good = await startEsmtpServer({});
    const silent = await startRawServer(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), "mailchat-fleet-"));
    const targets = join(dir, "targets.txt");
    // The first never greets: it ends last, after its 2 s, yet is reported first.
    writeFileSync(targets, `127.0.0.1 port=${silent.port}\n127.0.0.1 port=${good.port}\nlocalhost port=${good.port}\n`);
    try {
      const jsonl = await runCli(["run", check, "--targets", targets, "--jobs", "3", "--reporter", "jsonl"], { timeoutMs: 60_000 });
      const order = jsonl.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { target: string }).target);
      assert.deepEqual(order, [`127.0.0.1 port=${silent.port}`, `127.0.0.1 port=${good.port}`, `localhost port=${good.port}`]);
      const pretty = await runCli(["run", check, "--targets", targets, "--jobs", "3"], { timeoutMs: 60_000 });
      const headers = [...pretty.stdout.matchAll(/mx-check\.mailchat @ (\S+ port=\d+)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(headers)], order);
      // Whole: the lines of one run are not split by another's.
      const runs = pretty.stdout.split(/(?=^\S.*mx-check\.mailchat @ )/m).filter((part) => part.includes("@"));
      for (const run of runs) assert.equal(new Set([...run.matchAll(/mx-check\.mailchat @ (\S+ port=\d+)/g)].map((m) => m[1])).size, 1, run);
    } finally {
      await good.close();
      await silent.close();
    }
  });

  test("a bad targets file is a located error, and nothing is sent", async () => {
    const result = await runCli(["run", check, "--targets", join(FIXTURES, "fleet", "bad-targets.txt")]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /a second host `mx3\.example\.com` on one line\n --> .*bad-targets\.txt:3:17/);
    assert.match(result.stderr, /`9port` is not a variable name\n --> .*bad-targets\.txt:4:22/);
    assert.match(result.stderr, /--targets .*bad-targets\.txt: 2 errors; nothing was sent/);
  });

  test("--reporter nagios: one status line with perfdata, and the plugin's exit status", async () => {
    const good = await startEsmtpServer({});
    try {
      const ok = await runCli(["run", check, "--var", `port=${good.port}`, "--reporter", "nagios"]);
      assert.equal(ok.code, 0, ok.stdout);
      assert.match(ok.stdout, /^MAILCHAT OK - 1 of 1 checks passed \| passed=1;;;0;1 failed=0;;1;0;1 warnings=0;;;0;1 time=[\d.]+s;;;0 '.*mx-check\.mailchat'=[\d.]+s;;;0\n$/);
      const critical = await runCli(["run", check, "--var", "port=1", "--reporter", "nagios"]);
      assert.equal(critical.code, 2, critical.stdout);
      assert.match(critical.stdout, /^MAILCHAT CRITICAL - 1 of 1 checks failed: .*mx-check\.mailchat: line 5: connection to 127\.0\.0\.1:1 refused/);
      const unknown = await runCli(["run", join(FIXTURES, "compile-errors", "bad-scheme", "script.mailchat"), "--reporter", "nagios"]);
      assert.equal(unknown.code, 3, unknown.stdout);
      assert.match(unknown.stdout, /^MAILCHAT UNKNOWN - /);
      const badFlag = await runCli(["run", check, "--jobs", "0", "--reporter", "nagios"]);
      assert.equal(badFlag.code, 3, badFlag.stdout);
      assert.equal(badFlag.stdout, "MAILCHAT UNKNOWN - --jobs takes a whole number from 1 to 1000, got `0`\n");
    } finally {
      await good.close();
    }
  });
});
