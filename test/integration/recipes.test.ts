// Every shipped recipe passes against the normal sandbox, and the ones that check for a known
// problem fail, with the right hint, under the fault profile that reproduces it.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

// These ask DNS for a domain's MX, TLSA and MTA-STS, which the sandbox does not stand in for:
// test/integration/dns-routing.test.ts runs them against a DNS server, the interop suite against
// unbound, NSD and Postfix.
const ASK_DNS = new Set(["mail-gets-through", "mta-sts-dane"]);
const recipes = readdirSync(join(REPO_ROOT, "recipes")).filter((f) => f.endsWith(".mailchat")).map((f) => f.replace(/\.mailchat$/, "")).filter((name) => !ASK_DNS.has(name));

describe("recipes against the normal sandbox", () => {
  for (const name of recipes) {
    test(`${name} passes`, async () => {
      const result = await runCli(["run", "--sandbox", `recipe:${name}`]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });
  }
});

const FAULTS: Array<{ profile: string; recipe: string; exit: number; expect: RegExp }> = [
  { profile: "strip-starttls", recipe: "smtp-starttls-offered", exit: 1, expect: /hint: STARTTLS is missing.*middlebox/ },
  { profile: "strip-starttls", recipe: "tls-not-supported", exit: 1, expect: /remote SMTP service does not support TLS/ },
  { profile: "bad-credentials", recipe: "auth-plain", exit: 1, expect: /hint: the server rejected the credentials/ },
  { profile: "bad-credentials", recipe: "imap-login", exit: 1, expect: /NO \[AUTHENTICATIONFAILED\][\s\S]*hint: the server rejected the credentials/ },
  { profile: "expired-cert", recipe: "cert-expiry", exit: 3, expect: /CERT_HAS_EXPIRED[\s\S]*hint: the server's certificate has expired/ },
  { profile: "self-signed", recipe: "cert-expiry", exit: 3, expect: /hint: the server uses a self-signed certificate/ },
  { profile: "self-signed", recipe: "cert-chain", exit: 3, expect: /hint: the server uses a self-signed certificate/ },
  { profile: "tls12-only", recipe: "tls-versions", exit: 3, expect: /hint: no TLS version is acceptable to both sides/ },
  { profile: "relay-denied", recipe: "submission-relay", exit: 1, expect: /554 [\d.]+ <someone@example.net>: Relay access denied[\s\S]*hint: the server will not relay/ },
  { profile: "plaintext-pop3-login-disabled", recipe: "pop3-plaintext-login", exit: 1, expect: /hint: the server refuses passwords over an unencrypted connection/ },
  { profile: "lf-only-timeout", recipe: "smtp-starttls-offered", exit: 0, expect: /✔/ },
];

describe("recipes under fault profiles", () => {
  for (const fault of FAULTS) {
    test(`${fault.recipe} under ${fault.profile}`, async () => {
      const result = await runCli(["run", "--sandbox", "--sandbox-profile", fault.profile, `recipe:${fault.recipe}`]);
      assert.equal(result.code, fault.exit, result.stdout + result.stderr);
      assert.match(result.stdout, fault.expect);
    });
  }

  test("sieve-check-script with a script the server refuses: NO with its line, and the hint", async () => {
    const result = await runCli(["run", "--sandbox", "recipe:sieve-check-script", "--var", `script=${join(REPO_ROOT, "test", "fixtures", "run", "broken.sieve")}`]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /C: CHECKSCRIPT \{\d+\+\}\nC: \(literal from .*broken\.sieve: \d+ bytes\)/);
    assert.match(result.stdout, /NO "line 1: error: require command: unknown Sieve capability `no-such-extension'/);
    assert.match(result.stdout, /hint: the server's Sieve compiler refused the script/);
  });

  test("lf-only-timeout: a line ended by a bare LF is never seen, and the server says so", async () => {
    const result = await runCli(["run", "--sandbox", "--sandbox-profile", "lf-only-timeout", "test/fixtures/run/bare-lf.mailchat"]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /451 4\.7\.0 Timeout waiting for client input/);
    assert.match(result.stdout, /hint: the server never saw the end of the line/);
  });
});
