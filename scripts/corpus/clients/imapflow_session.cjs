// Node imapflow with its default pino logger and logRaw: true (JSON lines with the raw
// protocol). usage: node imapflow_session.cjs HOST PORT SECURE CAFILE USER PASSWORD
const fs = require("node:fs");
const { ImapFlow } = require("imapflow");

const [host, port, secure, cafile, user, pass] = process.argv.slice(2);
const client = new ImapFlow({ host, port: Number(port), secure: secure === "ssl", auth: { user, pass }, tls: { ca: fs.readFileSync(cafile) }, logRaw: true });
(async () => {
  await client.connect();
  const lock = await client.getMailboxLock("INBOX");
  try {
    if (client.mailbox.exists) await client.fetchOne("1", { flags: true, size: true, envelope: true });
  } finally {
    lock.release();
  }
  await client.logout();
})().catch((error) => {
  console.error("failed:", error.message);
  process.exitCode = 1;
});
