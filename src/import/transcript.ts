// Pasted sessions → one neutral list of what each side said (entries.ts). Each format has a
// reader of its own under readers/, with a detection score; the paste goes to the reader that
// scores highest (a new format is one file and one line in READERS). Page artefacts are taken
// off first, and what every reader shares (notes after base64, refused prose) after.
import type { ProtocolName } from "../compile/steps.js";
import { SCHEMES } from "../protocols/index.js";
import type { Entry, Format, Transcript } from "./entries.js";
import { clientLogScore, clientLogShape, readClientLog } from "./readers/client-log.js";
import { goldenScore, parseGolden } from "./readers/golden.js";
import { labelledScore, parseLabelled } from "./readers/labelled.js";
import { opensslScore, parseOpenssl } from "./readers/openssl.js";
import { packetCaptureScore, readPacketCapture } from "./readers/packet-capture.js";
import { POP3_REPLY, SERVER_LABEL, SMTP_REPLY, commandLine } from "./readers/shared.js";
import { parseSwaks, swaksScore } from "./readers/swaks.js";
import { parseTelnet } from "./readers/telnet.js";

export type { Entry, Format, Transcript } from "./entries.js";

/** Each format's score for a paste (0: not this format); telnet is the fallback. */
const READERS: ReadonlyArray<{ format: Format; score: (lines: string[], text: string) => number }> = [
  { format: "golden", score: goldenScore },
  { format: "labelled", score: labelledScore },
  { format: "swaks", score: swaksScore },
  { format: "client-log", score: clientLogScore },
  { format: "openssl", score: opensslScore },
  { format: "packet-capture", score: packetCaptureScore },
];

export function detectFormat(text: string): Format {
  // Line by line: a multi-line regex with `\s*$` is quadratic on a line of CRs.
  const lines = text.split("\n");
  let best: { format: Format; score: number } = { format: "telnet", score: 0 };
  for (const reader of READERS) {
    const score = reader.score(lines, text);
    if (score > best.score) best = { format: reader.format, score };
  }
  return best.format;
}

export function inferProtocol(lines: string[]): ProtocolName {
  // The greeting names the protocol: a POP3 listing's `100 680` reads as an SMTP reply, and a
  // mailbox of a hundred messages would outnumber the `+OK` lines.
  const greeting = lines.find((l) => SMTP_REPLY.test(l) || POP3_REPLY.test(l) || /^\* (?:OK|PREAUTH)\b/.test(l));
  if (greeting && POP3_REPLY.test(greeting)) return "pop3";
  if (greeting && /^\* (?:OK|PREAUTH)\b/.test(greeting)) return "imap";
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
  // A host's prompt before what was typed (`yourserver> EHLO x`), the replies bare.
  const prompt = /^([A-Za-z][\w.-]*)> (?=\S)/.exec(filled.find((l) => /^[A-Za-z][\w.-]*> \S/.test(l)) ?? "")?.[0];
  if (prompt && filled.filter((l) => l.startsWith(prompt)).length >= 2) lines = lines.map((l) => (l.startsWith(prompt) ? l.slice(prompt.length) : l));
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
          : format === "packet-capture"
            ? readPacketCapture(lines).flatMap((e) => (e.kind === "server" ? [e.text] : []))
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
    case "swaks": {
      // Only the server's lines were counted: `swaks --protocol LMTP` shows itself in the client's.
      const lmtp = !options.protocol && protocol === "smtp" && lines.some((l) => /^ -> LHLO /i.test(l));
      return { format, protocol: lmtp ? "lmtp" : protocol, ...parseSwaks(lines) };
    }
    case "client-log": {
      const log = readClientLog(lines, clientLogShape(lines)!.kind);
      return { format, protocol, implicitTls: log.implicitTls, entries: log.entries };
    }
    case "packet-capture":
      return { format, protocol, implicitTls: false, entries: readPacketCapture(lines) };
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
