// Packet captures, as Wireshark and tshark print them: the packet details pane (`tshark -V`:
// `Command Line: EHLO x\r\n`, `Response: 250-8BITMIME\r\n`, IMAP's `Line: …`, POP3's bare
// lines), Follow TCP Stream (`follow,tcp,ascii`: byte counts, the server's indented by a
// tab) and the one-line summary (`… SMTP 87 C: EHLO x`). A capture names both ends by address
// and port, so the side that connected, and where to, are facts of the capture; which side is
// the server is decided as for client logs, by which side's lines read as replies.
import type { Entry } from "../entries.js";

/** A line that reads as a reply in one of the protocols. */
const REPLY = /^(?:\d{3}(?:[ -]|$)|\+OK\b|-ERR\b|\* |\+ |\+$|[A-Za-z0-9.]+ (?:OK|NO|BAD)\b)/;

type View = "follow" | "details" | "summary";

interface Said {
  side: string;
  text: string;
  line: number;
}

const FOLLOW_HEAD = /^Follow: tcp,ascii$/;
const FOLLOW_NODE = /^Node ([01]): (.+):(\d+)$/;
const FOLLOW_COUNT = /^(\t?)(\d+)$/;
const DETAILS_TCP = /^Transmission Control Protocol, Src Port: (\d+), Dst Port: (\d+)/;
const DETAILS_SECTION = /^(?:Simple Mail Transfer Protocol|Internet Message Access Protocol|Post Office Protocol|ManageSieve Protocol|Local Mail Transfer Protocol)$/;
// The protocol's own line in a section: four blanks, a field name or none, the escaped CRLF.
// A page that quotes the pane may have lost the blanks.
const DETAILS_LINE = /^(?: {4}|\s*(?=Command Line: |Response: |Line: ))(?:(Command Line|Response|Line): )?(.*)\\r\\n$/;
const SUMMARY = /^\s*\d+\s+\d+\.\d+\s+(\S+)\s+(?:\u2192|->)\s+(\S+)\s+(?:SMTP|IMAP|POP|LMTP|ManageSieve)(?:\/IMF)?\s+\d+\s+(.*)$/;

export function packetCaptureView(lines: string[]): View | undefined {
  let details = 0;
  let summary = 0;
  for (const line of lines) {
    if (FOLLOW_HEAD.test(line)) return "follow";
    if (DETAILS_LINE.test(line) || DETAILS_SECTION.test(line)) details += 1;
    else if (SUMMARY.test(line)) summary += 1;
  }
  if (details >= 2) return "details";
  if (summary >= 2) return "summary";
  return undefined;
}

export function packetCaptureScore(lines: string[]): number {
  return packetCaptureView(lines) ? 0.95 : 0;
}

/** Follow TCP Stream: each chunk is a byte count (the second node's after a tab), then the
 *  bytes, then a blank line. Counting the bytes keeps a blank line or a line of digits in a
 *  message as data. */
function readFollow(lines: string[]): { said: Said[]; nodes: Map<string, { host: string; port: number }> } {
  const nodes = new Map<string, { host: string; port: number }>();
  const said: Said[] = [];
  let i = 0;
  while (i < lines.length) {
    const node = FOLLOW_NODE.exec(lines[i]!);
    if (node) nodes.set(node[1]!, { host: node[2]!, port: Number(node[3]) });
    const count = nodes.size === 2 ? FOLLOW_COUNT.exec(lines[i]!) : null;
    if (!count) {
      i += 1;
      continue;
    }
    const side = count[1] ? "1" : "0";
    const size = Number(count[2]);
    let taken = 0;
    i += 1;
    // The log's lines have lost their CRs: a line is its text and CRLF.
    while (i < lines.length && taken < size && !/^={10,}$/.test(lines[i]!)) {
      said.push({ side, text: lines[i]!, line: i + 1 });
      taken += Buffer.byteLength(lines[i]!) + 2;
      i += 1;
    }
    if (i < lines.length && lines[i] === "") i += 1;
  }
  return { said, nodes };
}

/** The packet details: each packet's TCP ports give its side; a section's own lines give the
 *  text. SMTP shows a multi-line reply as its first line and one `Response parameter:` per
 *  line, so the lines are made again from those. */
function readDetails(lines: string[]): { said: Said[] } {
  const said: Said[] = [];
  let side = "?";
  // A quoted pane may start inside a section, without its heading.
  const sections = lines.some((l) => DETAILS_SECTION.test(l));
  let inSection = !sections;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const tcp = DETAILS_TCP.exec(line);
    if (tcp) {
      side = tcp[1]!;
      inSection = !sections;
      continue;
    }
    if (DETAILS_SECTION.test(line)) {
      inSection = true;
      continue;
    }
    if (sections && /^\S/.test(line)) inSection = false;
    if (!inSection) continue;
    // The end of a message, shown without its bytes.
    if (/^ {4}C: \.$/.test(line)) {
      said.push({ side, text: ".", line: i + 1 });
      continue;
    }
    const own = DETAILS_LINE.exec(line);
    if (!own) continue;
    const children = childLines(lines, i + 1);
    const label = own[1];
    // Without the TCP lines (a pasted section), the field names and children tell the side.
    const labelled = side !== "?" ? side : label === "Command Line" || children.some((c) => /^(?:Request|Request Tag|Request command):/.test(c)) ? "client" : label === "Response" || REPLY.test(own[2]!) ? "server" : "client";
    const text = own[2]!;
    const parameters = children.filter((c) => c.startsWith("Response parameter: ")).map((c) => c.slice("Response parameter: ".length));
    const multi = label === "Response" ? /^(\d{3})-/.exec(text) : null;
    if (multi && parameters.length > 1) {
      parameters.forEach((parameter, k) => said.push({ side: labelled, text: `${multi[1]}${k < parameters.length - 1 ? "-" : " "}${parameter}`, line: i + 1 }));
    } else said.push({ side: labelled, text, line: i + 1 });
  }
  return { said };
}

/** The trimmed lines indented deeper than a section's own, after line `from`. */
function childLines(lines: string[], from: number): string[] {
  const children: string[] = [];
  for (let j = from; j < lines.length && /^ {8}/.test(lines[j]!); j += 1) children.push(lines[j]!.trim());
  return children;
}

/** The summary's Info column: `C: …`/`S: …` (SMTP, POP), `Request: …`/`Response: …` (IMAP);
 *  an SMTP reply of several lines is joined by ` | `. */
function readSummary(lines: string[]): Said[] {
  const said: Said[] = [];
  lines.forEach((line, i) => {
    const row = SUMMARY.exec(line);
    if (!row) return;
    const info = row[3]!;
    const marked = /^(C|S|Request|Response): (.*)$/.exec(info);
    const side = marked ? (marked[1] === "C" || marked[1] === "Request" ? "client" : "server") : `${row[1]}>${row[2]}`;
    const text = marked ? marked[2]! : info;
    const multi = side === "server" ? /^(\d{3})-/.exec(text) : null;
    if (multi && text.includes(" | ")) {
      const parts = text.split(" | ");
      parts.forEach((part, k) => said.push({ side, text: k === 0 ? part : `${multi[1]}${k < parts.length - 1 ? "-" : " "}${part}`, line: i + 1 }));
    } else said.push({ side, text, line: i + 1 });
  });
  return said;
}

/** The side whose lines read most as replies is the server's. */
function serverSide(said: Said[]): string | undefined {
  const replies = new Map<string, number>();
  for (const s of said) replies.set(s.side, (replies.get(s.side) ?? 0) + (REPLY.test(s.text) ? 1 : 0));
  if (replies.has("server")) return "server";
  let best: string | undefined;
  for (const [side, count] of replies) if (best === undefined || count > replies.get(best)!) best = side;
  return best;
}

export function readPacketCapture(lines: string[]): Entry[] {
  const view = packetCaptureView(lines);
  const entries: Entry[] = [];
  let said: Said[] = [];
  if (view === "follow") {
    const follow = readFollow(lines);
    said = follow.said;
    const server = serverSide(said) ?? "1";
    const node = follow.nodes.get(server);
    if (node) entries.push({ kind: "connect", host: node.host, port: node.port, line: lines.findIndex((l) => FOLLOW_NODE.test(l)) + 1 });
  } else if (view === "details") said = readDetails(lines).said;
  else if (view === "summary") said = readSummary(lines);
  const server = serverSide(said);
  if (view === "details" && server && /^\d+$/.test(server)) entries.push({ kind: "connect", port: Number(server), line: (said[0]?.line ?? 1) });
  for (const s of said) entries.push({ kind: s.side === server ? "server" : "client", text: s.text, line: s.line });
  return entries;
}
