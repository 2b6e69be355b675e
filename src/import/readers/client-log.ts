// The debug logs that mail libraries and command-line clients print (Python's smtplib,
// imaplib and poplib, PHPMailer, nodemailer and imapflow, Perl's Net::Cmd and
// Mail::IMAPClient, Ruby's net/*, curl -v, msmtp --debug, …), read by one generic reader that
// learns a log's line shape from the data instead of one parser per tool:
//   1. a prefix is taken off each line: timestamps, levels, connection ids, Perl's
//      `Net::SMTP=GLOB(0x…)`;
//   2. a direction mark follows (`C:`/`S:`, `CLIENT -> SERVER:`, `send:`/`reply:`, `-->`/`<--`,
//      `->`/`<-`, `>>>`/`<<<`, `>`/`<`, …): the kind of mark most lines carry is the log's;
//   3. which of its two marks is the server's is decided by which side's lines read as
//      replies (`250 …`, `+OK`, `* …`, `A1 OK`), so `->`/`<-` the other way round is read right;
//   4. quoted texts (`b'EHLO x\r\n'`, `"250 ok\r\n"`) are unquoted, and a text holding several
//      lines (a message body in one `send:`) is split.
// The session's facts come from the tool's own words: where it connected, whether TLS came
// before the greeting (implicit TLS).
import type { Entry } from "../entries.js";

/** Taken off the start of a line, repeatedly, before the direction mark. */
const PREFIXES = [
  /^\s*\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?[ \t]*/,
  /^\s*\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?[ \t]+/,
  /^(?:DEBUG|INFO|TRACE|WARN(?:ING)?|ERROR|NOTICE)\b:?[ \t]*/,
  /^\[[A-Za-z0-9_#.:-]{4,}\][ \t]*/,
  /^[A-Za-z][\w:]*=GLOB\(0x[0-9a-f]+\)/,
  // The program's own name before each line (`s-nail: `, `fetchmail: `).
  /^(?:s-nail|mailx|fetchmail|msmtp|mutt|neomutt):[ \t]+/,
  // curl's progress meter, printed on the same terminal line as its next trace line.
  /^\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[-:\d]+\s+[-:\d]+\s+[-:\d]+\s+\d+/,
];

interface MarkKind {
  name: string;
  pattern: RegExp;
}

/** Direction marks, each kind a pair; group 1 is the mark, group 2 the text. */
const MARKS: MarkKind[] = [
  { name: "arrows-words", pattern: /^(CLIENT -> SERVER|SERVER -> CLIENT):[ \t]?(.*)$/ },
  { name: "send-reply", pattern: /^(send|reply):[ \t](?!retcode \()(.*)$/ },
  { name: "put-get", pattern: /^\*(put|get)\*[ \t](.*)$/ },
  { name: "sending-read", pattern: /^(Sending|Read):[ \t]*(.*)$/ },
  { name: "long-arrows", pattern: /^(-->|<--)[ \t]?(.*)$/ },
  { name: "arrows", pattern: /^(->|<-)[ \t](.*)$/ },
  // Perl's Net::Cmd `>>>`/`<<<`; s-nail marks both sides `>>>`, the server's `>>> SERVER:`.
  { name: "chevrons", pattern: /^(>>> SERVER:|>>>|<<<)[ \t]?(.*)$/ },
  // fetchmail's `POP3< `/`POP3> `, mutt's descriptor before its arrows (`4< `, `4> `).
  { name: "named-angles", pattern: /^(?:POP3|IMAP|SMTP|LMTP|ManageSieve|\d{1,3})([<>])[ \t](.*)$/ },
  { name: "letters", pattern: /^([CS]):[ \t](.*)$/ },
  { name: "angles", pattern: /^([<>])[ \t](.*)$/ },
];

/** A line that reads as a reply in one of the protocols. */
const REPLY = /^(?:\d{3}(?:[ -]|$)|\+OK\b|-ERR\b|\* |\+ |\+$|[A-Za-z0-9.]+ (?:OK|NO|BAD)\b|OK\b|NO\b|BYE\b)/;

interface Marked {
  line: number;
  kind: string;
  mark: string;
  text: string;
}

function withoutPrefix(line: string): string {
  let rest = line;
  for (let changed = true; changed; ) {
    changed = false;
    for (const prefix of PREFIXES) {
      const match = prefix.exec(rest);
      if (match && match[0].length > 0) {
        rest = rest.slice(match[0].length);
        changed = true;
      }
    }
  }
  return rest;
}

/** imapflow and other JSON loggers: one object a line, `src` "c"/"s" and the text in `msg`. */
function jsonLine(line: string, n: number): Marked | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const record = JSON.parse(line) as { src?: unknown; msg?: unknown; data?: unknown };
    if ((record.src === "c" || record.src === "s") && typeof record.msg === "string" && record.data === undefined) {
      return { line: n, kind: "json", mark: record.src, text: record.msg };
    }
  } catch {
    // not JSON after all
  }
  return undefined;
}

function markOf(line: string, n: number): Marked | undefined {
  const json = jsonLine(line.trim(), n);
  if (json) return json;
  const rest = withoutPrefix(line);
  for (const kind of MARKS) {
    const match = kind.pattern.exec(rest);
    if (match) return { line: n, kind: kind.name, mark: match[1]!, text: match[2]! };
  }
  return undefined;
}

/** `b'EHLO x\r\n'`, `'…'`, `"…"`: a language's quoted string, read back to its text. */
function unquote(text: string): string {
  const match = /^b?(['"])(.*)\1$/s.exec(text.trim());
  if (!match) return text;
  return match[2]!.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_all, escape: string) => {
    switch (escape[0]) {
      case "r":
        return "\r";
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "0":
        return "\0";
      case "x":
      case "u":
        return String.fromCharCode(parseInt(escape.slice(1), 16));
      default:
        return escape;
    }
  });
}

/** How much of a paste reads as a client log: the share of its lines with the dominant mark. */
export function clientLogShape(lines: string[]): { kind: string; share: number; count: number } | undefined {
  const counts = new Map<string, number>();
  let filled = 0;
  lines.forEach((line, i) => {
    // curl -v's own trace (`* Connected …`, `} [5 bytes data]`) and indented lines without a
    // mark (a stack trace, a reply continued under its mark) are the tool talking.
    if (!line.trim() || /^(?:\* |[{}] \[)/.test(line)) return;
    const marked = markOf(line, i + 1);
    if (marked) counts.set(marked.kind, (counts.get(marked.kind) ?? 0) + 1);
    if (marked || !/^\s/.test(line)) filled += 1;
  });
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (!best || filled === 0) return undefined;
  return { kind: best[0], share: best[1] / filled, count: best[1] };
}

export interface ClientLog {
  entries: Entry[];
  implicitTls: boolean;
  /** The server's texts, for the protocol to be inferred from. */
  serverTexts: string[];
}

/** Where the tool says it connected, in its own words. */
const CONNECTED = [
  /Connected to (\S+) \([^)]*\) port (\d+)/,
  /(?:Secure )?[Cc]onnection established to \[?([^\]\s]+?)\]?:(\d+)/,
  /Connection: opening to (?:(?:ssl|tls):\/\/)?\[?([^\]\s]+?)\]?:(\d+)/,
  /Connection opened: \[?([^\]\s]+?)\]?:(\d+)/,
  /PeerAddr (\S+) PeerPort (\d+)/,
  /[Cc]onnect(?:ing)?(?: to)?:? \(?'([^']+)', (\d+)\)?/,
  /Trying \[?([^\]\s]+?)\]?:(\d+)/,
  /Connecting to '?\[?([^\]\s']+?)\]?:(\d+)'?/,
];

/** Words a tool prints when TLS starts: before the greeting, they mean implicit TLS. */
const TLS_WORDS = /\bssl:\/\/|SSL connection using|TLS session parameters|TLS connection started|Secure connection established|IO::Socket::SSL|Established secure TCP|TLS handshake|SSL_connect|tls_starttls = off|Handshake was completed/i;

export function readClientLog(lines: string[], kind: string): ClientLog {
  const entries: Entry[] = [];
  const marked: Array<Marked | undefined> = lines.map((line, i) => {
    const found = markOf(line, i + 1);
    // Perl's Net::Cmd prints a challenge again, decoded: its own words, not the server's.
    return found?.kind === kind && !/^\(decoded\)/.test(found.text) ? found : undefined;
  });
  // Which mark is the server's: the one whose texts read as replies.
  const replyShare = new Map<string, { replies: number; all: number }>();
  for (const m of marked) {
    if (!m) continue;
    const counts = replyShare.get(m.mark) ?? { replies: 0, all: 0 };
    counts.all += 1;
    if (REPLY.test(unquote(m.text).trimStart())) counts.replies += 1;
    replyShare.set(m.mark, counts);
  }
  const ranked = [...replyShare].sort((a, b) => b[1].replies / b[1].all - a[1].replies / a[1].all);
  const serverMark = ranked[0]?.[0];

  // msmtp --debug prints its settings first, one a line: `host = mx`, `port = 587`.
  const setting = (name: string) => lines.map((line) => new RegExp(`^${name} = (\\S+)$`).exec(line)?.[1]).find(Boolean);
  const setHost = setting("host");
  const setPort = Number(setting("port"));
  let connect: Entry | undefined = setHost && setPort > 0 ? { kind: "connect", host: setHost, port: setPort, line: 1 + lines.findIndex((line) => line.startsWith("host = ")) } : undefined;
  let implicitTls = false;
  let greeted = false;
  let previous: "client" | "server" | undefined;
  let inBody = false;
  // Tools that mark the body's lines too (or send it in one marked write) need no help: a
  // client mark follows the server's 354.
  let marksBody = false;
  let lastReply = "";
  for (const m of marked) {
    if (!m) continue;
    if (m.mark === serverMark) lastReply = unquote(m.text);
    else if (/^354\b/.test(lastReply)) marksBody = true;
  }
  const serverTexts: string[] = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    const m = marked[i];
    if (!m && inBody) {
      // After the 354 some tools print the message as it goes, without a mark.
      const text = withoutPrefix(line);
      entries.push({ kind: "client", text, line: n });
      if (text === ".") inBody = false;
      return;
    }
    if (!m) {
      // A line aligned under the one before it continues it (PHPMailer's multi-line replies).
      if (previous === "server" && /^\s+\S/.test(line) && (marked[i - 1] || /^\s+\S/.test(lines[i - 1] ?? ""))) {
        const text = line.trim();
        if (REPLY.test(text)) {
          entries.push({ kind: "server", text, line: n });
          serverTexts.push(text);
          return;
        }
      }
      previous = undefined;
      if (!connect) {
        for (const pattern of CONNECTED) {
          const found = pattern.exec(line);
          if (found) {
            connect = { kind: "connect", host: found[1]!, port: Number(found[2]), line: n };
            entries.unshift(connect);
            break;
          }
        }
      }
      if (!greeted && TLS_WORDS.test(line)) implicitTls = true;
      return;
    }
    const side = m.mark === serverMark ? "server" : "client";
    let text = unquote(m.text);
    if (side === "server" && !greeted && /\bssl:\/\//.test(line)) implicitTls = true;
    // A text ending in its line end, or holding several lines (a body sent in one write).
    text = text.replace(/\r?\n$/, "");
    const parts = text.split(/\r?\n/);
    for (const part of parts) {
      entries.push({ kind: side, text: part, line: n });
      if (side === "server") serverTexts.push(part);
    }
    if (side === "server") greeted = true;
    previous = side;
    inBody = side === "server" && /^354\b/.test(parts[parts.length - 1] ?? "") && !marksBody;
  });
  if (connect && !entries.includes(connect)) entries.unshift(connect);
  return { entries, implicitTls, serverTexts };
}

/** A client's debug log: most of its lines carry one kind of direction mark after a prefix. */
export function clientLogScore(lines: string[]): number {
  const shape = clientLogShape(lines);
  return shape && shape.count >= 3 && (shape.share >= 0.25 || shape.count >= 20) ? 0.7 : 0;
}
