// docs/hints.md, generated from the hint tables (never written by hand): `npm run hints-doc`
// writes it; a test keeps it in step.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONNECTION_ERRORS, hintRows } from "../src/hints/index.js";
import { DELIVERY_TEXTS } from "../src/hints/delivery-texts.js";
import { PROVIDER_ROWS } from "../src/hints/providers.js";
import { ROOT } from "./diagrams.js";

export const HINTS_DOC_PATH = join(ROOT, "docs", "hints.md");

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function hintsDoc(): string {
  const among = (rows: readonly { id: string }[]) => (id: string) => rows.some((row) => row.id === id);
  const groups: Array<[string, (id: string) => boolean]> = [
    ["Providers', gateways' and servers' own codes (each checked at the source it names)", among(PROVIDER_ROWS)],
    ["Mail servers' own words in bounces and logs (no reply code)", among(DELIVERY_TEXTS)],
    ["How a step failed", (id) => !hintRows().find((r) => r.id === id)!.example],
    ["Documented server texts", (id) => !/^(imap|pop3)-|^enhanced-/.test(id) || ["pop3-in-use", "imap-unavailable"].includes(id)],
    ["IMAP and POP3 response codes", (id) => /^(imap|pop3)-/.test(id)],
    ["SMTP enhanced status codes (by detail)", (id) => /^enhanced-x\.\d+\.\d+$/.test(id)],
    ["SMTP enhanced status codes (by subject, when the detail is not registered)", (id) => /^enhanced-subject-/.test(id)],
  ];
  const out = [
    "# Hints",
    "",
    "Generated from `src/hints/` by `npm run hints-doc`; do not edit by hand.",
    "",
    "A failed step shows the server's own words and, where the table knows the cause, a hint: the likely cause and the next check. The first row that fits wins; `mailchat explain` shows the same hint for what you hold — a reply, a whole bounce message (`mailchat explain --file bounce.eml`), or log lines — after saying what it read (the recipient, the remote host, the reply that decided). Rows for registry codes that a documented text already explains are left out (the text's row wins).",
    "",
    "Provider codes not in the table, because no public source for them was found: Yahoo's `[BL21]`, `[PH01]` and `[TSS09]`, and Cisco Secure Email (IronPort) reply texts. A code without a row still gets its enhanced status code's registered meaning.",
    "",
  ];
  const used = new Set<string>();
  for (const [title, belongs] of groups) {
    const rows = hintRows().filter((row) => !used.has(row.id) && belongs(row.id));
    for (const row of rows) used.add(row.id);
    out.push(`## ${title} (${rows.length})`, "", "| id | example reply | hint | source |", "| --- | --- | --- | --- |");
    for (const row of rows) out.push(`| ${row.id} | ${row.example ? `\`${cell(row.example.reply.join(" / "))}\`` : "—"} | ${cell(row.hint)} | ${cell(row.source)} |`);
    out.push("");
  }
  const sample = { host: "mx.example.com", port: 25, implicitTls: false, plainSchemes: "smtp://", stage: "tls" as const, pinned: "TLSv1.2", afterGoAhead: true };
  // Rows that apply only to a UNIX socket are shown for one.
  const onSocket = { ...sample, socket: "/run/dovecot/lmtp" };
  const forSocket = (row: (typeof CONNECTION_ERRORS)[number]) => Boolean(row.when?.({ ...onSocket, stage: row.stage ?? "connect" }) && !row.when({ ...sample, stage: row.stage ?? "connect" }));
  out.push(`## Connection and TLS errors (${CONNECTION_ERRORS.length})`, "", "| error codes | stage | hint (for mx.example.com:25, or the socket /run/dovecot/lmtp) | source |", "| --- | --- | --- | --- |");
  for (const row of CONNECTION_ERRORS) out.push(`| ${row.codes.join(", ")}${forSocket(row) ? " (UNIX socket)" : ""} | ${row.stage ?? "any"} | ${cell(row.hint({ ...(forSocket(row) ? onSocket : sample), stage: row.stage ?? "connect" }))} | ${cell(row.source)} |`);
  out.push("");
  return out.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(HINTS_DOC_PATH, hintsDoc());
  console.log(`wrote ${HINTS_DOC_PATH}`);
}
