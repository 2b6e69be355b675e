// Pasted sessions → one neutral list of what each side said. Understands telnet/nc pastes,
// `openssl s_client` output, swaks output and mailchat's own golden format.
import type { ProtocolName } from "../compile/steps.js";
import { SCHEMES } from "../protocols/index.js";
import { parseLine } from "../transcript/lines.js";
import { clientLogShape, readClientLog } from "./client-log.js";

export type Entry =
  /** `bytes`: the exact bytes of a golden line (escaped there); `raw`: a `send raw` line. */
  | { kind: "client"; text: string; line: number; bytes?: Buffer; raw?: Buffer }
  | { kind: "server"; text: string; line: number }
  | { kind: "connect"; host?: string; port?: number; url?: string; line: number }
  | { kind: "tls"; version?: string; cipher?: string; line: number }
  | { kind: "cert"; subject?: string; issuer?: string; verified?: boolean; line: number }
  | { kind: "starttls-done"; line: number }
  | { kind: "closed"; line: number }
  | { kind: "unplaced"; text: string; line: number; why: string };

export type Format = "golden" | "swaks" | "openssl" | "labelled" | "client-log" | "telnet";

/** The labels people put before each side of a session: `C:`/`S:`, `CLIENT:`/`SERVER:`,
 *  `<Client>:`/`<Server>:`, `>`/`<`, in any case. */
const CLIENT_LABEL = /^\s*(?:c|client|<client>)\s*:\s?|^\s*>\s/i;
const SERVER_LABEL = /^\s*(?:s|server|<server>)\s*:\s?|^\s*<\s/i;

function labelledSides(lines: string[]): { client: number; server: number; other: number } {
  let client = 0;
  let server = 0;
  let other = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    if (CLIENT_LABEL.test(line)) client += 1;
    else if (SERVER_LABEL.test(line)) server += 1;
    else other += 1;
  }
  return { client, server, other };
}

export interface Transcript {
  format: Format;
  protocol: ProtocolName;
  /** `openssl s_client -starttls smtp`: the upgrade happened before the paste starts. */
  starttlsBeforePaste?: string;
  implicitTls: boolean;
  entries: Entry[];
}

/** A client's debug log: most of its lines carry one kind of direction mark after a prefix. */
function isClientLog(lines: string[]): boolean {
  const shape = clientLogShape(lines);
  return Boolean(shape && shape.count >= 3 && (shape.share >= 0.25 || shape.count >= 20));
}

export function detectFormat(text: string): Format {
  // Line by line: a multi-line regex with `\s*$` is quadratic on a line of CRs.
  const lines = text.split("\n");
  if (lines.some((l) => /^[CS*]: /.test(l)) && lines.every((l) => !l.trim() || /^(?:[CS*]: |#)/.test(l))) return "golden";
  // Labelled sides, whatever the labels; a line without one (`... TLS handshake ...`) does
  // not make the paste unlabelled, it is reported as not placed.
  const sides = labelledSides(lines);
  if (sides.client > 0 && sides.server > 0 && sides.client + sides.server >= 2 * sides.other) return "labelled";
  // swaks marks its own lines (`=== Trying`, ` -> ` with a space first); other tools' arrows
  // (msmtp's `-->`, Ruby's quoted `<- "…"`) are client logs.
  if (/^(?:=== |<\*\* | \*\*> | ->| ~>)/m.test(text)) return "swaks";
  if (isClientLog(text.split(/\r?\n/))) return "client-log";
  if (/^(?:<-|<~|<\*\*)/m.test(text)) return "swaks";
  if (/^CONNECTED\(\d+\)|^---$|s_client|^(?:Verify return code|SSL-Session|New, TLS)/m.test(text)) return "openssl";
  return "telnet";
}

const SMTP_REPLY = /^\d{3}(?:[ -]|$)/;
const POP3_REPLY = /^(?:\+OK|-ERR)\b/;
const IMAP_SERVER = /^(?:\* |\+ |\+$)/;

export function inferProtocol(lines: string[]): ProtocolName {
  let smtp = 0;
  let pop3 = 0;
  let imap = 0;
  for (const line of lines) {
    if (SMTP_REPLY.test(line)) smtp += 1;
    if (POP3_REPLY.test(line)) pop3 += 1;
    if (/^\* (?:OK|PREAUTH|CAPABILITY|BYE)\b|^[A-Za-z0-9]+ (?:OK|NO|BAD)\b/.test(line)) imap += 1;
  }
  if (imap > smtp && imap >= pop3) return "imap";
  if (pop3 > smtp) return "pop3";
  if (/^LHLO /im.test(lines.join("\n"))) return "lmtp";
  return "smtp";
}

/** The command line that started the session: `telnet mx 25`, `openssl s_client -connect mx:465 -starttls smtp`. */
function commandLine(line: string, n: number): Entry | undefined {
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
const SHELL_PROMPT = /^\s*(?:\$|[\w.-]+@[\w.-]+:[^\s#$]*[#$]|\[[\w.-]+@[\w.-]+ [^\]]*\][#$]|[A-Za-z]:\\[^>]*>)(?:\s|$)/;

/** What a person's typing leaves in a paste: `<ENTER>`, `[Enter]`, `⏎` at the end of a line. */
const TYPING_MARKS = ["<ENTER>", "<enter>", "[ENTER]", "[Enter]", "\u23CE", "\u21B5", "<CR>", "<CRLF>"];

function withoutTypingArtefacts(line: string): string {
  // Not `\s*(?:<ENTER>|…)\s*$`: on a long run of blanks that regex is quadratic.
  const trimmed = line.trimEnd();
  const mark = TYPING_MARKS.find((m) => trimmed.endsWith(m));
  return mark ? trimmed.slice(0, -mark.length).trimEnd() : line;
}

const TELNET_CHATTER = /^(?:Connection to host lost|Trying \S+|Connected to \S+|Escape character is|Connection closed by foreign host|Connection to \S+ closed|telnet> |\^\])/;

const VERBS: Record<string, RegExp> = {
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
function plausibleClientLine(protocol: ProtocolName, line: string, previous: Entry | undefined): boolean {
  const continued = previous?.kind === "server" && /^(?:334(?:[ -]|$)|\+(?: |$))/.test(previous.text);
  if (continued || previous?.kind === "client" && /\{\d+\+?\}$/.test(previous.text)) return true;
  const verbs = VERBS[protocol];
  if (!verbs) return true;
  const words = line.trim().split(/\s+/);
  const verb = protocol === "imap" ? words[1] ?? "" : words[0]!;
  return verbs.test(verb.replace(/:.*$/, ""));
}

const lastSeen = new WeakMap<Entry[], Map<(entry: Entry) => boolean, { length: number; entry: Entry | undefined }>>();

/** The last entry that passes `test`. Entries are only appended while a paste is read, so a
 *  call looks only at those added since the previous call with the same test: a scan back
 *  from every line would be quadratic in a long paste of prose (a megabyte took minutes). */
function lastOf(entries: Entry[], test: (entry: Entry) => boolean): Entry | undefined {
  const seen = lastSeen.get(entries) ?? new Map<(entry: Entry) => boolean, { length: number; entry: Entry | undefined }>();
  lastSeen.set(entries, seen);
  const before = seen.get(test);
  let last = before?.entry;
  for (let i = before?.length ?? 0; i < entries.length; i++) if (test(entries[i]!)) last = entries[i];
  seen.set(test, { length: entries.length, entry: last });
  return last;
}

const said = (entry: Entry) => entry.kind === "client" || entry.kind === "server";
const isClient = (entry: Entry) => entry.kind === "client";
/** What decides whether a message body is open: a reply (a `354` opens one) or its `.`. */
const bodyMark = (entry: Entry) => entry.kind === "server" || (entry.kind === "client" && entry.text === ".");

function lastSaid(entries: Entry[]): Entry | undefined {
  return lastOf(entries, said);
}

/** Inside a message body typed after `354` (up to its `.`): any text is the client's. */
function inMessage(entries: Entry[]): boolean {
  const mark = lastOf(entries, bodyMark);
  return mark?.kind === "server" && mark.text.startsWith("354");
}

/** The session has begun: a tool's command line after this is prose, not its start. */
function sessionBegun(entries: Entry[]): boolean {
  return entries.some((e) => e.kind === "client" || e.kind === "server" || e.kind === "connect");
}

function notACommand(protocol: ProtocolName): string {
  return `not ${/^[aeiou]/i.test(protocol) ? "an" : "a"} ${protocol.toUpperCase()} command (prose, or a line the page wrapped)`;
}

function parseTelnet(lines: string[], protocol: ProtocolName): Entry[] {
  const entries: Entry[] = [];
  let inList = false; // POP3 multi-line replies
  let inBody = false; // SMTP DATA body, typed by the client
  lines.forEach((typed, i) => {
    const n = i + 1;
    const line = withoutTypingArtefacts(typed);
    if (!line.trim()) {
      if (inBody) entries.push({ kind: "client", text: "", line: n });
      return;
    }
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    // `<client connects to service port 110>`: the page's note (RFC examples), not a command.
    if (!inBody && /^\s*<[^<>@]*\s[^<>@]*>\s*$/.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a note in angle brackets" });
    // A shell prompt is never sent: it was the user's terminal, not the session.
    if (!inBody && SHELL_PROMPT.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: command ? "a second tool command line" : "a shell prompt" });
    if (/^Connection closed by foreign host|^Connection to \S+ closed|^Connection to host lost/.test(line)) return void entries.push({ kind: "closed", line: n });
    if (TELNET_CHATTER.test(line)) return;
    if (inBody) {
      // The page lost the `.` (it is easy to miss in a paste): the server's verdict on the
      // message ends the body all the same.
      if (/^250[ -](?:2\.\d\.\d+ )?.*\b(?:queued|accepted|message|ok)\b/i.test(line) && entries.some((e) => e.kind === "client" && e.text !== "")) {
        entries.push({ kind: "unplaced", text: "(end of data)", line: n, why: "the paste shows no `.` ending the message; it is added before the server's reply" });
        entries.push({ kind: "client", text: ".", line: n });
        entries.push({ kind: "server", text: line, line: n });
        inBody = false;
        return;
      }
      entries.push({ kind: "client", text: line, line: n });
      if (line === ".") inBody = false;
      return;
    }
    const server =
      protocol === "smtp" || protocol === "lmtp"
        ? SMTP_REPLY.test(line)
        : protocol === "pop3"
          ? inList || POP3_REPLY.test(line) || /^\+ /.test(line)
          : IMAP_SERVER.test(line) || /^[A-Za-z0-9.]+ (?:OK|NO|BAD)\b/.test(line);
    if (server) {
      entries.push({ kind: "server", text: line, line: n });
      if (protocol === "pop3") {
        if (inList && line === ".") inList = false;
        else if (!inList && line.startsWith("+OK")) {
          const last = lastOf(entries, isClient);
          if (last && last.kind === "client" && /^(CAPA|RETR|TOP|LIST$|UIDL$)/i.test(last.text.trim())) inList = true;
        }
      }
      if ((protocol === "smtp" || protocol === "lmtp") && line.startsWith("354")) inBody = true;
      return;
    }
    if (!plausibleClientLine(protocol, line, lastSaid(entries))) return void entries.push({ kind: "unplaced", text: line, line: n, why: notACommand(protocol) });
    entries.push({ kind: "client", text: line, line: n });
  });
  return entries;
}

function parseLabelled(lines: string[]): Entry[] {
  const entries: Entry[] = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    if (!line.trim()) return;
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    const client = CLIENT_LABEL.exec(line);
    if (client) {
      const text = withoutTypingArtefacts(line.slice(client[0].length));
      // `C: <client connects to service port 143>`: the page's note, not a command.
      if (/^<[^<>@]*\s[^<>@]*>$/.test(text.trim())) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a note in angle brackets" });
      // `C: telnet mx 587` labels the user's terminal, not the session.
      const typed = commandLine(text, n);
      if (typed && !entries.some((e) => e.kind === "client" || e.kind === "server")) return void entries.push(typed);
      if (SHELL_PROMPT.test(text)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "a shell prompt" });
      return void entries.push({ kind: "client", text, line: n });
    }
    const server = SERVER_LABEL.exec(line);
    if (server) {
      const text = line.slice(server[0].length);
      // The telnet client's own chatter, labelled as the server's by the page.
      if (/^Connection closed by foreign host|^Connection to \S+ closed|^Connection to host lost/.test(text)) return void entries.push({ kind: "closed", line: n });
      if (TELNET_CHATTER.test(text)) return;
      return void entries.push({ kind: "server", text, line: n });
    }
    entries.push({ kind: "unplaced", text: line, line: n, why: "a line without a client or server label" });
  });
  return entries;
}

function parseSwaks(lines: string[]): Entry[] {
  const entries: Entry[] = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    let match: RegExpExecArray | null;
    if (!line.trim()) return;
    if ((match = /^=== Trying (\S+?):(\d+)\.\.\./.exec(line))) return void entries.push({ kind: "connect", host: match[1]!, port: Number(match[2]), line: n });
    if ((match = /^=== TLS started with cipher (\S+?):(\S+)/.exec(line))) return void entries.push({ kind: "starttls-done", line: n }, { kind: "tls", version: match[1]!, cipher: match[2]!, line: n });
    if ((match = /^=== TLS peer (?:subject )?DN="(.*)"/.exec(line))) return void entries.push({ kind: "cert", subject: match[1]!.replace(/^\//, "").replace(/\//g, ", "), line: n });
    if (/^=== Connection closed/.test(line)) return void entries.push({ kind: "closed", line: n });
    // `<**` is a server reply swaks flags as an error: still the server's reply.
    if ((match = /^<\*\*\s*(.*)$/.exec(line))) return void entries.push({ kind: "server", text: match[1]!, line: n });
    if (/^===|^\s*\*\*\*|^ \*\*>/.test(line)) return void (/^\*\*\*/.test(line.trim()) && entries.push({ kind: "unplaced", text: line, line: n, why: "a swaks error line" }));
    if ((match = /^(?:<-|<~)\*?\s*(.*)$/.exec(line))) return void entries.push({ kind: "server", text: match[1]!, line: n });
    if ((match = /^ (?:->|~>)\s*(.*)$/.exec(line))) return void entries.push({ kind: "client", text: match[1]!, line: n });
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) return void entries.push(command);
    entries.push({ kind: "unplaced", text: line, line: n, why: "not a swaks transcript line" });
  });
  return entries;
}

// `CN = mx.example.com` → `CN=mx.example.com`, by a split: `\s*=\s*` is quadratic on blanks.
function tightEquals(text: string): string {
  const parts = text.split("=");
  return parts.map((part, i) => (i > 0 ? part.trimStart() : part)).map((part, i) => (i < parts.length - 1 ? part.trimEnd() : part)).join("=");
}

function parseOpenssl(lines: string[], protocol: ProtocolName): { entries: Entry[]; implicitTls: boolean; starttls?: string } {
  const entries: Entry[] = [];
  let starttls: string | undefined;
  let inDump = false;
  let afterHandshake = false;
  const session: string[] = [];
  let sessionStart = 0;
  lines.forEach((pasted, i) => {
    const n = i + 1;
    let line = pasted;
    let match: RegExpExecArray | null;
    const command = commandLine(line, n);
    if (command && !sessionBegun(entries)) {
      entries.push(command);
      starttls = /-starttls\s+(\S+)/.exec(line)?.[1];
      return;
    }
    // A typing mark the page kept (`EHLO x <ENTER>`) was never sent.
    line = withoutTypingArtefacts(line);
    if (/^-----BEGIN CERTIFICATE-----/.test(line)) inDump = true;
    if (inDump) {
      if (/^-----END CERTIFICATE-----/.test(line)) inDump = false;
      return;
    }
    if ((match = /^subject=\s*(.*)$/.exec(line))) return void entries.push({ kind: "cert", subject: tightEquals(match[1]!), line: n });
    if ((match = /^issuer=\s*(.*)$/.exec(line))) return void entries.push({ kind: "cert", issuer: tightEquals(match[1]!), line: n });
    if ((match = /^New, (TLSv[\d.]+|SSLv3), Cipher is (\S+)/.exec(line))) return void entries.push({ kind: "tls", version: match[1]!, cipher: match[2]!, line: n });
    if ((match = /^\s*Verify return code: (\d+)/.exec(line))) return void entries.push({ kind: "cert", verified: match[1] === "0", line: n });
    if (/^read R BLOCK$/.test(line)) return void entries.push({ kind: "unplaced", text: line, line: n, why: "s_client's renegotiation artifact (a line starting with R was taken as a command)" });
    if (/^(?:Server public key|CONNECTED\(|depth=|verify (?:return|error)|---$|Certificate chain|Server certificate|No client certificate|Peer signing|Peer signature|Server Temp Key|SSL handshake|Verification|New, |Secure Renegotiation|Compression|Expansion|No ALPN|Early data|SSL-Session|Post-Handshake|closed$|DONE$|RENEGOTIATING)/.test(line) || /^\s+(?:\d+ s:|i:|a:|v:|Protocol|Cipher|Session-ID|Master-Key|TLS session|PSK|SRP|Start Time|Timeout|Verify return|Extended master|Max Early|[0-9a-f]{4} -)/.test(line)) {
      if (/^---$/.test(line) && entries.some((e) => e.kind === "tls")) afterHandshake = true;
      return;
    }
    if (!line.trim()) return;
    if (!afterHandshake && session.length === 0) sessionStart = n;
    session.push(line);
    void sessionStart;
    // With -starttls, s_client swallows the greeting and EHLO, but prints the EHLO reply's
    // last line after the handshake: it answers nothing the paste shows being sent.
    if (starttls && !entries.some((e) => e.kind === "client") && SMTP_REPLY.test(line)) {
      return void entries.push({ kind: "unplaced", text: line, line: n, why: "the end of the pre-TLS EHLO reply, which s_client prints after the handshake" });
    }
    const kind = protocol === "smtp" || protocol === "lmtp" ? (SMTP_REPLY.test(line) ? "server" : "client") : protocol === "pop3" ? (POP3_REPLY.test(line) ? "server" : "client") : IMAP_SERVER.test(line) || /^\S+ (?:OK|NO|BAD)\b/.test(line) ? "server" : "client";
    if (kind === "client" && !inMessage(entries) && !plausibleClientLine(protocol, line, lastSaid(entries))) return void entries.push({ kind: "unplaced", text: line, line: n, why: notACommand(protocol) });
    entries.push({ kind, text: line, line: n });
  });
  return starttls ? { entries, implicitTls: false, starttls } : { entries, implicitTls: true };
}

function parseGolden(lines: string[]): Entry[] {
  const entries: Entry[] = [];
  lines.forEach((text, i) => {
    const n = i + 1;
    const line = parseLine(text);
    switch (line?.kind) {
      case "connect":
        return void entries.push({ kind: "connect", url: line.url, line: n });
      case "tls":
        return void entries.push({ kind: "tls", version: line.version, cipher: line.cipher, line: n });
      case "cert":
        if (line.verified) entries.push({ kind: "cert", verified: true, line: n });
        return;
      case "closed":
        if (line.by === "server") entries.push({ kind: "closed", line: n });
        return;
      // Golden lines hold the wire text escaped: the bytes are read back from it.
      case "client": {
        if (line.raw) return void entries.push({ kind: "client", text: line.text, raw: line.bytes(), line: n });
        const bytes = line.bytes();
        return void entries.push({ kind: "client", text: bytes.toString("utf8"), bytes, line: n });
      }
      case "server":
        return void entries.push({ kind: "server", text: line.bytes().toString("utf8"), line: n });
      case undefined:
        return void entries.push({ kind: "unplaced", text, line: n, why: "not a golden transcript line" });
      default:
        return;
    }
  });
  return entries;
}

/** The protocol the paste's own command line names by its port (`telnet mx 110`,
 *  `s_client -connect mx:995`), when it is a well-known one. */
function protocolFromPort(lines: string[]): ProtocolName | undefined {
  for (const [i, line] of lines.entries()) {
    const command = commandLine(line, i + 1);
    if (command?.kind === "connect" && command.port !== undefined) {
      const scheme = Object.values(SCHEMES).find((s) => s.defaultPort === command.port);
      return scheme?.protocol;
    }
  }
  return undefined;
}

/**
 * What a page's rendering added to every line, taken off before the session is read: the
 * pipes of a table (`S: * 1 EXISTS | |`), and a `#` before the server's lines when the
 * client's are bare (a page that styled replies as comments).
 */
// A table row's first cell: the line up to the blanks before its first ` |` (found by a
// search, where `\s+\|.*$` is quadratic on a long run of blanks).
function firstCell(line: string): string {
  const bar = line.search(/\s\|/);
  if (bar < 0) return line;
  return line.slice(0, bar + 1).trimEnd();
}

// Whether a line ends in ` |` cells with nothing in them: its tail of blanks and pipes holds
// a blank before a pipe (a scan, where `\s\|(?:\s*\|)*\s*$` is quadratic on such a tail).
function endsInEmptyCells(line: string): boolean {
  let start = line.length;
  while (start > 0 && (line[start - 1] === "|" || /\s/.test(line[start - 1]!))) start -= 1;
  return /\s\|/.test(line.slice(start));
}

function withoutPageArtefacts(lines: string[]): string[] {
  // A session the page flattened onto one line (`S: 220 mx C: HELO x S: 250 …`): each label
  // starts a line again.
  lines = lines.flatMap((line) => ((line.match(/(?:^|\s)C: /g)?.length ?? 0) >= 2 && (line.match(/(?:^|\s)S: /g)?.length ?? 0) >= 2 ? line.split(/\s+(?=[CS]: )/) : [line]));
  const filled = lines.filter((l) => l.trim());
  if (filled.length === 0) return lines;
  // A table's row: the session is its first cell; further cells are the page's comments.
  if (filled.filter(endsInEmptyCells).length >= filled.length * 0.8) lines = lines.map(firstCell);
  // sendmail -v prints `>>> ` before what it sends, and some pages put it before the
  // replies too: a reply code after it is the server's. A reply printed twice is one.
  if (filled.filter((l) => l.startsWith(">>> ")).length >= filled.length * 0.6) {
    lines = lines.map((l) => l.replace(/^>>> /, "")).filter((l, i, all) => !(i > 0 && /^\d{3}[ -]/.test(l) && l === all[i - 1]));
  }
  const hashed = filled.filter((l) => /^#\s?(?:\+OK|-ERR|\d{3}[ -]|\* |Trying |Connected to |Escape character)/.test(l)).length;
  if (hashed >= 3 && hashed >= filled.filter((l) => l.startsWith("#")).length * 0.8) lines = lines.map((l) => l.replace(/^#\s?(?=\+OK|-ERR|\d{3}(?:[ -]|$)|\* |Trying |Connected to |Escape character)/, ""));
  return lines;
}

/**
 * A line left unplaced as prose that the server then refused (`invalidrequest` answered
 * `* BAD invalid tag`, a typo answered `500`) was typed into the session after all.
 */
function reclaimRefused(entries: Entry[]): Entry[] {
  let placed: Entry | undefined; // the last entry so far that is not unplaced
  return entries.map((entry, i) => {
    const previous = placed;
    if (entry.kind !== "unplaced") placed = entry;
    if (entry.kind !== "unplaced" || !entry.why.startsWith("not a")) return entry;
    const next = entries[i + 1];
    const refused = next?.kind === "server" && /^(?:\S+ BAD\b|\* BAD\b|5\d\d[ -]|-ERR\b)/.test(next.text);
    return refused && previous?.kind !== "client" ? { kind: "client", text: entry.text, line: entry.line } : entry;
  });
}

/** A line without the CRs that end it (a loop: `/\r+$/` is quadratic on a line of CRs). */
function withoutLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x0d) end -= 1;
  return end === line.length ? line : line.slice(0, end);
}

/** An article's note after a base64 line (`dXNlcm5hbWU= # Base64 encoded username`) was never
 *  sent: base64 has no `#`. */
function withoutNotes(transcript: Transcript): Transcript {
  if (transcript.format === "golden") return transcript;
  const entries = transcript.entries.map((entry) => {
    const noted = entry.kind === "client" ? /^([A-Za-z0-9+/]{4,}={0,2})\s+#\s.*$/.exec(entry.text) : null;
    return noted ? { ...entry, text: noted[1]! } : entry;
  });
  return { ...transcript, entries };
}

export function readTranscript(text: string, options: { protocol?: ProtocolName } = {}): Transcript {
  return withoutNotes(readAnyTranscript(text, options));
}

function readAnyTranscript(text: string, options: { protocol?: ProtocolName }): Transcript {
  // CRLF and LF line ends alike; a CR inside a line (a terminal's overwrite, which can hide
  // what came before it) stays, to be shown escaped as `\r`, never replayed.
  const lines = withoutPageArtefacts(text.split("\n").map(withoutLineEnd));
  const format = detectFormat(lines.join("\n"));
  const stripped =
    format === "golden"
      ? lines.filter((l) => /^S: /.test(l)).map((l) => l.slice(3))
      : format === "swaks"
        ? lines.filter((l) => /^<[-~*]/.test(l)).map((l) => l.replace(/^<[-~*]\*?\s*/, ""))
        : format === "labelled"
          ? lines.filter((l) => SERVER_LABEL.test(l)).map((l) => l.replace(SERVER_LABEL, ""))
          : format === "client-log"
            ? readClientLog(lines, clientLogShape(lines)!.kind).entries.flatMap((e) => (e.kind === "server" || e.kind === "client" ? [e.text] : []))
            : lines;
  const protocol = options.protocol ?? protocolFromPort(lines) ?? inferProtocol(stripped);
  switch (format) {
    case "labelled":
      return { format, protocol, implicitTls: false, entries: parseLabelled(lines) };
    case "golden": {
      const entries = parseGolden(lines);
      const url = entries.find((e) => e.kind === "connect" && e.url);
      return { format, protocol, implicitTls: Boolean(url && url.kind === "connect" && SCHEMES[(url.url ?? "").split(":")[0]!]?.implicitTls), entries };
    }
    case "swaks":
      return { format, protocol, implicitTls: false, entries: parseSwaks(lines) };
    case "client-log": {
      const log = readClientLog(lines, clientLogShape(lines)!.kind);
      return { format, protocol, implicitTls: log.implicitTls, entries: log.entries };
    }
    case "openssl": {
      const parsed = parseOpenssl(lines, protocol);
      const transcript: Transcript = { format, protocol, implicitTls: parsed.implicitTls, entries: reclaimRefused(parsed.entries) };
      if (parsed.starttls) transcript.starttlsBeforePaste = parsed.starttls;
      return transcript;
    }
    default:
      return { format, protocol, implicitTls: false, entries: reclaimRefused(parseTelnet(lines, protocol)) };
  }
}
