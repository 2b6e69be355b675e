// Volatile text in transcripts — what differs between two runs of the same session — is
// replaced before golden files are compared or written. Built-in rules cover what always
// varies; a script adds its own with `mask /regex/ "replacement"`. A mask never touches the
// `C: `/`S: `/`*: ` prefix nor a reply code, so a changed code always shows in the diff.
import type { Mask } from "../compile/steps.js";

const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";

/** The built-in rules, in the order they apply (documented in docs/golden.md). */
export const BUILT_IN_MASKS: ReadonlyArray<Mask & { name: string }> = [
  // RFC 5322 dates in banners and Received-style text: "Mon, 23 Nov 2026 23:17:01 +0000".
  { name: "rfc5322-date", regex: new RegExp(`(?:${DAY},?\\s+)?\\d{1,2}\\s+${MONTH}\\s+\\d{4}\\s+\\d{2}:\\d{2}(?::\\d{2})?(?:\\s*(?:[+-]\\d{4}|[A-Z]{2,5}))?(?:\\s*\\([A-Z]{2,5}\\))?`, "g"), replacement: "<date>" },
  // ctime-style dates (Exim, Sendmail): "Mon Nov 23 23:17:01 2026".
  { name: "ctime-date", regex: new RegExp(`${DAY}\\s+${MONTH}\\s+\\d{1,2}\\s+\\d{2}:\\d{2}:\\d{2}(?:\\s+\\d{4})?`, "g"), replacement: "<date>" },
  // ISO 8601 timestamps and dates: certificate expiry, JSON-ish replies.
  { name: "iso-date", regex: /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g, replacement: "<date>" },
  // Queue ids: Postfix/sandbox "queued as 4F2A1B3C9D", Exim "id=1rABCD-0001AB-CD".
  { name: "queue-id", regex: /(queued as |id=)[A-Za-z0-9._-]{4,}/gi, replacement: "$1<queue-id>" },
  // IMAP: UIDVALIDITY changes when a mailbox is recreated.
  { name: "uidvalidity", regex: /(UIDVALIDITY )\d+/g, replacement: "$1<uidvalidity>" },
  // Gmail and others: "250 2.0.0 OK  1700000000 d2e1a72fcca58-…gsmtp": a Unix time and an id.
  { name: "unix-time", regex: /\b1[5-9]\d{8}\b/g, replacement: "<unix-time>" },
  { name: "gsmtp-id", regex: /\b[a-z0-9]{10,}\.\d+ - gsmtp\b/g, replacement: "<id> - gsmtp" },
  // Message-ids and session ids in headers and replies.
  { name: "message-id", regex: /(message-id:\s*)<[^>\s]+>/gi, replacement: "$1<message-id>" },
  // MIME boundaries: nodemailer's (`data message`) hold 16 random hex digits each run.
  { name: "mime-boundary", regex: /(_NmP-)[0-9a-f]{16}(-Part_)/g, replacement: "$1<boundary>$2" },
  { name: "session-id", regex: /\b(session|sess|sid|conn(?:ection)?[-_ ]?id)([=: ]+)[A-Za-z0-9._-]{6,}/gi, replacement: "$1$2<session-id>" },
  // Dovecot's LMTP and LDA name each delivery's session: "250 2.0.0 <bob@x> r1IWIIrlFGtnGwAAg+zDdQ Saved".
  { name: "dovecot-delivery-id", regex: /(<[^>\s]*> )[A-Za-z0-9+/]{22}( Saved\b)/g, replacement: "$1<session-id>$2" },
  // Timings: Dovecot "(0.001 + 0.000 secs)", "in 12 ms", "0.3 seconds".
  { name: "timing", regex: /\(\d+\.\d+(?: \+ \d+\.\d+)* secs?\)|\b\d+(?:\.\d+)? ?(?:ms|secs?|seconds)\b/g, replacement: "<time>" },
  // A bare clock time left over: "23:17:01".
  { name: "clock", regex: /\b\d{2}:\d{2}:\d{2}\b/g, replacement: "<time>" },
];

// CRAM-MD5 challenges hold a timestamp and a random part; LOGIN's prompts stay readable.
const SASL_CHALLENGE = /^(?!VXNlcm5hbWU6$|UGFzc3dvcmQ6$|dXNlcm5hbWU6$|cGFzc3dvcmQ6$)[A-Za-z0-9+/=]{16,}$/;

const PREFIX = /^((?:[CS*]): (?:\d{3}[ -]|(?:[A-Za-z0-9]+ )?(?:\+OK|-ERR|OK|NO|BAD) )?)/;

/** Applies the built-in rules, then the script's own, to one transcript line. */
export function maskLine(line: string, scriptMasks: readonly Mask[]): string {
  const prefix = PREFIX.exec(line)?.[1] ?? "";
  let body = line.slice(prefix.length);
  if (prefix === "S: 334 " && SASL_CHALLENGE.test(body)) return `${prefix}<challenge>`;
  for (const mask of [...BUILT_IN_MASKS, ...scriptMasks]) {
    mask.regex.lastIndex = 0;
    body = body.replace(mask.regex, mask.replacement);
  }
  return prefix + body;
}

export function maskTranscript(lines: readonly string[], scriptMasks: readonly Mask[]): string[] {
  return lines.map((line) => maskLine(line, scriptMasks));
}
