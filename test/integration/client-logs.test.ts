// The client-log corpus (test/fixtures/client-logs/, README there): debug logs that 24 real
// clients printed against the sandbox and real Postfix/Dovecot, each beside the command that
// made it. Each log captured against the sandbox is imported, and the script is run against
// the sandbox on the same ports (offset 30000): faithful means the run passes, the session
// succeeding where it did and the same refusal expected where it failed. The outcome of every
// log is pinned in outcomes.json, so an import that gets better or worse shows in review;
// MAILCHAT_UPDATE_FIXTURES=1 rewrites it. No password of a log may reach its script.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { SANDBOX_USERS } from "../../src/sandbox/users.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";

const root = join(FIXTURES, "client-logs");
const outcomesFile = join(root, "outcomes.json");
const update = process.env.MAILCHAT_UPDATE_FIXTURES === "1";
const names = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

interface Meta {
  captured_against: string;
  user?: string;
  port: number;
  outcome: "success" | "refused";
}

let sandbox: Sandbox | undefined;
let caFile = "";
const work = mkdtempSync(join(tmpdir(), "mailchat-client-logs-"));

before(async () => {
  sandbox = await startSandbox({ hosts: ["localhost"], portOffset: 30_000 });
  caFile = join(work, "ca.pem");
  writeFileSync(caFile, sandbox.caPem!);
});
after(() => sandbox?.stop());

test("every client log imports to the pinned outcome, and the sandbox logs replay faithfully where pinned", async () => {
  const outcomes: Record<string, string> = {};
  for (const name of names) {
    const dir = join(root, name);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
    const imported = await runCli(["import", join(dir, "log.txt")]);
    const placed = imported.stdout.split("\n").filter((line) => /^\s*(?:send|auth|starttls|data|pipeline)\b/.test(line)).length;
    for (const secret of SANDBOX_USERS.map((user) => user.password)) assert.ok(!imported.stdout.includes(secret), `${name}: a password reached the script`);
    if (imported.code !== 0 || placed === 0) {
      outcomes[name] = `import exit ${imported.code}, ${placed} commands placed`;
      continue;
    }
    if (meta.captured_against !== "sandbox") {
      outcomes[name] = `imported (${placed} commands); captured against ${meta.captured_against}, replayed by the interop suite only`;
      continue;
    }
    const script = join(work, `${name}.mailchat`);
    writeFileSync(script, imported.stdout);
    const password = meta.outcome === "success" ? (SANDBOX_USERS.find((user) => user.address === meta.user)?.password ?? "alice-sandbox-pw") : "wrong-password";
    const env = { MAILCHAT_PASSWORD: password, MAILCHAT_SECRET_2: password, MAILCHAT_SECRET_3: password };
    // A log that does not name its port (smtplib, imaplib) is run as its user would: with the
    // port they know, from the meta data.
    const portless = /^connect \w+:\/\/\$\{host\}$/m.test(imported.stdout);
    const host = portless ? `localhost:${meta.port}` : "localhost";
    const run = await runCli(["run", script, "--var", `host=${host}`, "--ca", caFile, "--timeout", "3s"], { env, timeoutMs: 60_000 });
    outcomes[name] = run.code === 0 ? `faithful (${placed} commands)` : `run exit ${run.code}: ${/^\s{2}(\S.*)$/m.exec(run.stdout)?.[1] ?? ""}`.trimEnd();
  }
  if (update) writeFileSync(outcomesFile, `${JSON.stringify(outcomes, null, 2)}\n`);
  assert.deepEqual(outcomes, JSON.parse(readFileSync(outcomesFile, "utf8")));
});
