// Real Dovecot and Postfix log lines and a real bounce with Dovecot's LMTP refusal in it, from
// the interop suite's servers (test/interop/servers.ts): a delivery to a user Dovecot does
// not know, and logins with a wrong password over IMAPS and POP3S. Run as root, under the
// interop lock: flock /tmp/mailchat-interop.lock node dist/scripts/bounces/capture-interop.js
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { missingPrerequisites, startMailServers } from "../../test/interop/servers.js";
import { ROOT } from "../diagrams.js";

const out = process.argv[2] ?? join(ROOT, "test", "fixtures", "bounces");
const missing = missingPrerequisites();
if (missing) {
  console.error(`capture-interop: ${missing}`);
  process.exit(2);
}
const servers = await startMailServers();
try {
  const inbox = join(servers.dir, "mail", "alice@mailchat.test", "new");
  const swaks = ["--server", `127.0.0.1:${servers.ports.smtp}`, "--from", "alice@mailchat.test", "--to", "nobody@mailchat.test", "--header", "Subject: mailchat corpus: lmtp-unknown-user"];
  spawnSync("swaks", swaks, { stdio: "ignore" });
  for (const scheme of [`imaps://127.0.0.1:${servers.ports.imaps}/`, `pop3s://127.0.0.1:${servers.ports.pop3s}/`]) {
    spawnSync("curl", ["-s", "--cacert", servers.caFile, "--resolve", "x:1:127.0.0.1", "-k", "-u", "alice@mailchat.test:not-the-password", scheme], { stdio: "ignore", timeout: 20_000 });
  }
  const deadline = Date.now() + 60_000;
  while (!(existsSync(inbox) && readdirSync(inbox).length > 0) && Date.now() < deadline) spawnSync("sleep", ["0.5"]);
  const bounces = existsSync(inbox) ? readdirSync(inbox) : [];
  if (bounces.length === 0) throw new Error("no bounce reached alice@mailchat.test within 60 s");
  mkdirSync(join(out, "lmtp-unknown-user"), { recursive: true });
  copyFileSync(join(inbox, bounces[0]!), join(out, "lmtp-unknown-user", "bounce.eml"));
  writeFileSync(join(out, "lmtp-unknown-user", "command.txt"), `swaks ${swaks.join(" ").replace(String(servers.ports.smtp), "SMTP_PORT")}  (the interop suite's Postfix, delivering over LMTP to its Dovecot)\n`);
  spawnSync("sleep", ["3"]); // Dovecot logs a failed login after its delay for failed auths.
  const ports = new Map(Object.entries(servers.ports).map(([name, port]) => [String(port), `${name.toUpperCase()}_PORT`]));
  const scrub = (text: string) => text.replace(/\b\d{4,5}\b/g, (port) => ports.get(port) ?? port).split(servers.dir).join("/tmp/mailchat-interop-DIR");
  writeFileSync(join(out, "maillog-interop-postfix.txt"), scrub(readFileSync(join(servers.dir, "postfix", "maillog"), "utf8")));
  writeFileSync(join(out, "maillog-interop-dovecot.txt"), scrub(readFileSync(join(servers.dir, "dovecot", "dovecot.log"), "utf8")));
  console.log(`wrote ${out}`);
} finally {
  servers.stop();
}
