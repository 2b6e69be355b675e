// Reads what someone holds — a whole bounce message, the delivery-status part alone, a
// provider's non-delivery report, log lines, or a bare reply — into readings: which
// recipient, which remote host, the reply that decided and the other codes as context.
//
// A whole message is taken apart by postal-mime (dependency-free, handles multipart/report,
// quoted-printable and base64 human parts, and keeps the message/delivery-status part as an
// attachment, as RFC 3464 has it); its fields are then read here (dsn-fields.ts), because
// no parser gives them.
import PostalMime from "postal-mime";
import { dsnReadings, hasDeliveryStatus, readDeliveryStatus } from "./dsn-fields.js";
import { readLogLines } from "./log-lines.js";
import { readProse } from "./ndr-prose.js";
import type { Reading } from "./reading.js";
import { replyLines } from "./reply-lines.js";

export type { FoundReply, Reading } from "./reading.js";
export { enhancedCodeOf, separateNested } from "./reply-lines.js";

/** Readings shown at most: a log pasted whole would otherwise flood the terminal. */
export const MAX_READINGS = 20;

/** A message's header block: field lines (some folded) up to a blank line, naming at least
 *  one field a message has and a bare delivery-status part does not. */
function isMessage(text: string): boolean {
  const head = /^((?:[A-Za-z][\w-]*:[^\n]*\n(?:[ \t][^\n]*\n)*)+)\n/.exec(text.replace(/\r/g, ""));
  return Boolean(head && /^(?:Content-Type|From|Subject|Received|Return-Path|MIME-Version):/im.test(head[1]!));
}

async function readMessage(text: string): Promise<Reading[]> {
  const email = await PostalMime.parse(text, { attachmentEncoding: "utf8" });
  const statusParts = email.attachments.filter((a) => /^message\/(?:global-)?delivery-status$/.test(a.mimeType)).map((a) => String(a.content));
  const human = email.text ?? (email.html ? email.html.replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d)>/gi, "\n").replace(/<[^>]+>/g, " ").replace(/&nbsp;/g, " ").replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&") : "");
  const prose = readProse(human);
  const format = statusParts.length > 0 ? `an RFC 3464 delivery status notification${email.subject ? ` ("${email.subject}")` : ""}` : undefined;
  const fromStatus = statusParts.flatMap((part) => dsnReadings(readDeliveryStatus(part), format!));
  // The delivery-status part is the machine-readable truth; the human part fills in what it
  // lacks (a DSN without a Diagnostic-Code, a remote host only the prose names).
  for (const reading of fromStatus) {
    const same = prose.find((p) => p.recipient && reading.recipient && p.recipient.toLowerCase() === reading.recipient.toLowerCase());
    if (!same) continue;
    if (!reading.remoteHost && same.remoteHost) reading.remoteHost = same.remoteHost;
    if (reading.deciding?.from === "Status" && same.deciding) {
      reading.context.unshift(reading.deciding);
      reading.deciding = same.deciding;
    } else if (same.deciding && !/^[245]\d\d[ -]/.test(reading.deciding?.lines[0] ?? "") && same.deciding.lines.join(" ") !== reading.deciding?.lines.join(" ")) {
      // An MTA's own Diagnostic-Code is often terse ("x-unix; input/output error") where its
      // human part says more ("… error writing message: File too large").
      reading.context.unshift({ lines: same.deciding.lines, from: "the human-readable part" });
    }
  }
  if (fromStatus.length > 0) return fromStatus;
  if (prose.length > 0) return prose.map((p) => ({ ...p, format: `${p.format}${email.subject ? ` ("${email.subject}")` : ""}` }));
  // A message no reader knows: its text may still quote a reply.
  return readBare(human);
}

/** Lines of a bare text read as its reply: more would be a file, not a reply, and matching
 *  all of it against the table would only cost time. */
const MAX_BARE_LINES = 100;

/** A reply as given (the protocol told by its status words), or the first line in the text
 *  with an SMTP code, from that code on. */
function readBare(text: string): Reading[] {
  const lines = text
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.some((line) => /^[+-](?:OK|ERR)\b/.test(line))) return [{ format: "a POP3 reply", protocol: "pop3", deciding: { lines: lines.slice(0, MAX_BARE_LINES), from: "the reply" }, context: [] }];
  if (lines.some((line) => /^(?:\*|[A-Za-z0-9.]+) (?:OK|NO|BAD|BYE)\b/.test(line))) return [{ format: "an IMAP reply", protocol: "imap", deciding: { lines: lines.slice(0, MAX_BARE_LINES), from: "the reply" }, context: [] }];
  const code = /\b[245]\d\d[ -]/;
  const first = lines.findIndex((line) => code.test(line));
  if (first < 0) return lines.length > 0 ? [{ format: "a text without a reply code", protocol: "smtp", deciding: { lines: lines.slice(0, MAX_BARE_LINES), from: "the text" }, context: [] }] : [];
  const start = lines[first]!.slice(code.exec(lines[first]!)!.index).replace(/['")\]]+$/, "");
  const rest = lines.slice(first + 1, first + MAX_BARE_LINES).filter((line) => /^[245]\d\d[ -]/.test(line));
  return [{ format: "an SMTP reply", protocol: "smtp", deciding: { lines: rest.length > 0 ? [start, ...rest] : replyLines(start), from: "the reply" }, context: [] }];
}

export async function readText(text: string): Promise<Reading[]> {
  const clean = text.replace(/^\ufeff/, "");
  let readings: Reading[];
  if (isMessage(clean)) readings = await readMessage(clean);
  else if (hasDeliveryStatus(clean)) readings = dsnReadings(readDeliveryStatus(clean), "the fields of an RFC 3464 delivery-status part");
  else {
    readings = readLogLines(clean);
    if (readings.length === 0) readings = readProse(clean);
    if (readings.length === 0) readings = readBare(clean);
  }
  // In a log, the lines that delivered are not what is being asked about.
  const refusals = readings.filter((r) => r.action !== "sent");
  return refusals.length > 0 ? refusals : readings;
}
