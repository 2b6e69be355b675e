// What the readers of pasted sessions share: the labels people put before each side, reply
// shapes, a tool's command line, a shell prompt, typing marks, and which lines can be the
// client's.
import type { ProtocolName } from "../../compile/steps.js";
import type { Entry } from "../entries.js";

/** The labels people put before each side of a session: `C:`/`S:`, `CLIENT:`/`SERVER:`,
 *  `<Client>:`/`<Server>:`, `>`/`<`, in any case. */
export const CLIENT_LABEL = /^\s*(?:c|client|<client>)\s*:\s?|^\s*>\s/i;
export const SERVER_LABEL = /^\s*(?:s|server|<server>)\s*:\s?|^\s*<\s/i;

export const SMTP_REPLY = /^\d{3}(?:[ -]|$)/;
export const POP3_REPLY = /^(?:\+OK|-ERR)\b/;
export const IMAP_SERVER = /^(?:\* |\+ |\+$)/;

/** The command line that started the session: `telnet mx 25`, `openssl s_client -connect mx:465 -starttls smtp`. */
export function commandLine(line: string, n: number): Entry | undefined {
  // `user@host:path$ `: the user without an @ and the host without `:`/`~`, so the regex has
  // one way to match (`\S+@\S+[:~]` took minutes on a line of `a@a:a@a:…`).
  const stripped = line.replace(/^\s*(?:[$#>]|[A-Za-z]:\\[^>]*>|[^\s@]+@[^\s@:~]+[:~][^$#]*[$#])\s*/, "");
  let match = /^(?:telnet|nc|ncat|netcat)\s+(?:-\S+\s+)*(\S+)\s+(\d+)/.exec(stripped);
  if (match) return { kind: "connect", host: match[1]!, port: Number(match[2]), line: n };
  // Named in the prose above the session (`Run openssl s_client -connect mx:25 -starttls smtp`).
  match = /(?:^|\s)openssl\s+s_client\b(.*)$/.exec(stripped);
  if (match) {
    const args = match[1]!;
    const connect = /-connect\s+(\[[^\]]+\]|[^\s:]+):(\d+)/.exec(args);
    const entry: Entry = { kind: "connect", line: n };
    if (connect) {
      entry.host = connect[1]!.replace(/^\[|\]$/g, "");
      entry.port = Number(connect[2]);
    }
    return entry;
  }
  match = /^swaks\b.*?(?:--server|-s)\s+(\S+?)(?::(\d+))?(?:\s|$)/.exec(stripped);
  if (match) return { kind: "connect", host: match[1]!, ...(match[2] ? { port: Number(match[2]) } : {}), line: n };
  return undefined;
}

/** A shell prompt, with or without a command after it: `$ `, `root@mx:~# `, `C:\\> `. */
export const SHELL_PROMPT = /^\s*(?:\$|[\w.-]+@[\w.-]+:[^\s#$]*[#$]|\[[\w.-]+@[\w.-]+ [^\]]*\][#$]|[A-Za-z]:\\[^>]*>)(?:\s|$)/;

/** What a person's typing leaves in a paste: `<ENTER>`, `[Enter]`, `⏎` at the end of a line. */
export const TYPING_MARKS = ["<ENTER>", "<enter>", "[ENTER]", "[Enter]", "\u23CE", "\u21B5", "<CR>", "<CRLF>"];

export function withoutTypingArtefacts(line: string): string {
  // Not `\s*(?:<ENTER>|…)\s*$`: on a long run of blanks that regex is quadratic.
  const trimmed = line.trimEnd();
  const mark = TYPING_MARKS.find((m) => trimmed.endsWith(m));
  return mark ? trimmed.slice(0, -mark.length).trimEnd() : line;
}

export const TELNET_CHATTER = /^(?:Connection to host lost|Trying \S+|Connected to \S+|Escape character is|Connection closed by foreign host|Connection to \S+ closed|telnet> |\^\])/;

export const VERBS: Record<string, RegExp> = {
  smtp: /^(?:HELO|EHLO|LHLO|MAIL|RCPT|DATA|BDAT|RSET|VRFY|EXPN|HELP|NOOP|QUIT|STARTTLS|AUTH|ETRN|TURN|ATRN|XCLIENT|XFORWARD|SEND|SOML|SAML)$/i,
  pop3: /^(?:USER|PASS|APOP|STAT|LIST|RETR|DELE|NOOP|RSET|QUIT|TOP|UIDL|CAPA|STLS|AUTH|UTF8|LANG)$/i,
  imap: /^(?:CAPABILITY|NOOP|LOGOUT|STARTTLS|AUTHENTICATE|LOGIN|SELECT|EXAMINE|CREATE|DELETE|RENAME|SUBSCRIBE|UNSUBSCRIBE|LIST|LSUB|NAMESPACE|STATUS|APPEND|IDLE|DONE|CHECK|CLOSE|UNSELECT|EXPUNGE|SEARCH|FETCH|STORE|COPY|MOVE|UID|ENABLE|ID|GETQUOTA|GETQUOTAROOT|SETQUOTA|GETACL|SETACL|MYRIGHTS|LISTRIGHTS|COMPRESS|GETMETADATA|SETMETADATA|XLIST)$/i,
};
VERBS.lmtp = VERBS.smtp!;

/**
 * Whether a line the paste gives no side to can be the client's: a command of the protocol,
 * or what answers a continuation (base64 after `334`/`+`, a literal's text). Prose between
 * the steps of an article (`1. Establishing Connection`, `The server agrees and …`) is not.
 */
export function plausibleClientLine(protocol: ProtocolName, line: string, previous: Entry | undefined): boolean {
  const continued = previous?.kind === "server" && /^(?:334(?:[ -]|$)|\+(?: |$))/.test(previous.text);
  if (continued || previous?.kind === "client" && /\{\d+\+?\}$/.test(previous.text)) return true;
  const verbs = VERBS[protocol];
  if (!verbs) return true;
  const words = line.trim().split(/\s+/);
  const verb = protocol === "imap" ? words[1] ?? "" : words[0]!;
  return verbs.test(verb.replace(/:.*$/, ""));
}

export const lastSeen = new WeakMap<Entry[], Map<(entry: Entry) => boolean, { length: number; entry: Entry | undefined }>>();

/** The last entry that passes `test`. Entries are only appended while a paste is read, so a
 *  call looks only at those added since the previous call with the same test: a scan back
 *  from every line would be quadratic in a long paste of prose (a megabyte took minutes). */
export function lastOf(entries: Entry[], test: (entry: Entry) => boolean): Entry | undefined {
  const seen = lastSeen.get(entries) ?? new Map<(entry: Entry) => boolean, { length: number; entry: Entry | undefined }>();
  lastSeen.set(entries, seen);
  const before = seen.get(test);
  let last = before?.entry;
  for (let i = before?.length ?? 0; i < entries.length; i++) if (test(entries[i]!)) last = entries[i];
  seen.set(test, { length: entries.length, entry: last });
  return last;
}

export const said = (entry: Entry) => entry.kind === "client" || entry.kind === "server";
export const isClient = (entry: Entry) => entry.kind === "client";
/** What decides whether a message body is open: a reply (a `354` opens one) or its `.`. */
export const bodyMark = (entry: Entry) => entry.kind === "server" || (entry.kind === "client" && entry.text === ".");

export function lastSaid(entries: Entry[]): Entry | undefined {
  return lastOf(entries, said);
}

/** Inside a message body typed after `354` (up to its `.`): any text is the client's. */
export function inMessage(entries: Entry[]): boolean {
  const mark = lastOf(entries, bodyMark);
  return mark?.kind === "server" && mark.text.startsWith("354");
}

/** The session has begun: a tool's command line after this is prose, not its start. */
export function sessionBegun(entries: Entry[]): boolean {
  return entries.some((e) => e.kind === "client" || e.kind === "server" || e.kind === "connect");
}

export function notACommand(protocol: ProtocolName): string {
  return `not ${/^[aeiou]/i.test(protocol) ? "an" : "a"} ${protocol.toUpperCase()} command (prose, or a line the page wrapped)`;
}


// `CN = mx.example.com` → `CN=mx.example.com`, by a split: `\s*=\s*` is quadratic on blanks.
export function tightEquals(text: string): string {
  const parts = text.split("=");
  return parts.map((part, i) => (i > 0 ? part.trimStart() : part)).map((part, i) => (i < parts.length - 1 ? part.trimEnd() : part)).join("=");
}

