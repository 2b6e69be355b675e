// SMTP (RFC 5321) and submission (RFC 6409): reply framing, STARTTLS (RFC 3207), EHLO
// capabilities and SASL (RFC 4954). LMTP (lmtp.ts) shares all of it but its sessions.
import { MAX_REPLY_BYTES, MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES, SECRET_PLACEHOLDER } from "../limits.js";
import { cramMd5Response, decodeXoauth2Error, loginResponses, plainResponse, xoauth2Response } from "../sasl/index.js";
import { AuthCommandSpotter, type CredentialSpotter } from "./credentials.js";
import { LineBuffer, joinLines, type Line } from "./line-buffer.js";
import { FramingError, PlainSession, describeCapabilityList, type Capabilities, type Credentials, type Exchange, type Protocol, type Reply, type ReplyFramer } from "./types.js";

const ENHANCED = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

/** `250-…`: a line with more of the reply to come (tested without a regex: every line is). */
function continued(line: string): boolean {
  return line.length >= 4 && line.charCodeAt(3) === 0x2d && isDigit(line.charCodeAt(0)) && isDigit(line.charCodeAt(1)) && isDigit(line.charCodeAt(2));
}

/** The reply code of a reply's last line: three digits, then a space, a `-` or the end. */
function replyCode(line: string): string | undefined {
  if (line.length < 3 || !isDigit(line.charCodeAt(0)) || !isDigit(line.charCodeAt(1)) || !isDigit(line.charCodeAt(2))) return undefined;
  if (line.length > 3 && line[3] !== " " && line[3] !== "-") return undefined;
  return line.slice(0, 3);
}

/**
 * Joins `250-` lines until the `250 ` line (RFC 5321 §4.2.1). A line that does not start with
 * a code ends the reply too: a broken server's text is shown, not waited on forever.
 */
export class SmtpFramer implements ReplyFramer {
  private readonly input = new LineBuffer();
  private lines: string[] = [];
  private raw: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): Reply[] {
    this.input.push(chunk);
    const replies: Reply[] = [];
    let next: Line | undefined;
    while ((next = this.input.next())) {
      // The limit counts the line without its CRLF.
      if (next.raw.length > MAX_REPLY_LINE_BYTES) {
        throw new FramingError(`the server sent a reply line of ${next.raw.length} bytes (limit ${MAX_REPLY_LINE_BYTES}; RFC 5321 allows 512)`, next.raw.subarray(0, 120));
      }
      const line = next.text;
      this.lines.push(line);
      this.raw.push(next.raw);
      this.bytes += next.bytes;
      if (this.bytes > MAX_REPLY_BYTES || this.lines.length > MAX_REPLY_LINES) {
        throw new FramingError(
          `the server sent a reply of more than ${this.bytes > MAX_REPLY_BYTES ? `${MAX_REPLY_BYTES} bytes` : `${MAX_REPLY_LINES} lines`} without a final line`,
          joinLines(this.raw.slice(0, 5)),
        );
      }
      if (continued(line)) continue;
      replies.push(this.complete());
    }
    if (this.input.waitingLine > MAX_REPLY_LINE_BYTES) {
      throw new FramingError(`the server sent ${this.input.waitingLine} bytes without a line end (a reply line may hold ${MAX_REPLY_LINE_BYTES}; RFC 5321 allows 512)`, this.input.preview());
    }
    return replies;
  }

  private complete(): Reply {
    const lines = this.lines;
    const last = lines[lines.length - 1]!;
    const reply: Reply = { lines, raw: this.raw, bytes: this.bytes };
    const code = replyCode(last);
    if (code) reply.status = code;
    // An enhanced code (RFC 3463) starts with its class, 2, 4 or 5, after the reply code.
    const enhanced = last.length >= 9 && "245".includes(last[4]!) ? ENHANCED.exec(last) : null;
    if (enhanced) reply.enhanced = enhanced[1]!;
    // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
    if (lines.length > 1) {
      const first = lines[0]!.slice(0, 3);
      if (lines.some((line) => line.slice(0, 3) !== first)) {
        const codes = [...new Set(lines.map((line) => /^(\d{3})/.exec(line)?.[1] ?? "no code"))];
        if (codes.length > 1) reply.inconsistent = codes.join(" then ");
      }
    }
    this.lines = [];
    this.raw = [];
    this.bytes = 0;
    return reply;
  }

  pending(): Buffer {
    const rest = this.input.bytes();
    return joinLines(rest.length > 0 ? [...this.raw, rest] : this.raw);
  }

  discard(): number {
    const dropped = this.bytes + this.input.clear();
    this.lines = [];
    this.raw = [];
    this.bytes = 0;
    return dropped;
  }
}

/** EHLO/LHLO reply → keywords (RFC 5321 §4.1.1.1); the first line is the greeting. */
export function ehloCapabilities(reply: Reply, asked = true): Capabilities | undefined {
  // A one-line 250 names no keyword: an empty list, which counts only as the answer to EHLO.
  if (reply.status !== "250" || reply.lines.length < 2) return reply.status === "250" && asked ? new Map() : undefined;
  const capabilities: Capabilities = new Map();
  for (let i = 1; i < reply.lines.length; i++) {
    const text = reply.lines[i]!.slice(4).trim();
    if (!text) continue;
    // Old servers still send `AUTH=LOGIN PLAIN` next to (or instead of) `AUTH LOGIN PLAIN`.
    const words = text.split(/[\s=]+/);
    const key = words[0]!.toUpperCase();
    let params = capabilities.get(key);
    if (!params) capabilities.set(key, (params = []));
    for (let w = 1; w < words.length; w++) params.push(words[w]!.toUpperCase());
  }
  return capabilities;
}

async function authenticate(exchange: Exchange, { mechanism, user, secret }: Credentials): Promise<void> {
  switch (mechanism) {
    case "plain":
      // RFC 4954 §4: the initial response saves a round trip; every server in use accepts it.
      await exchange.send(`AUTH PLAIN ${plainResponse(user, secret)}`, `AUTH PLAIN ${SECRET_PLACEHOLDER}`);
      return finish(exchange, await exchange.reply());
    case "login": {
      const [userLine, secretLine] = loginResponses(user, secret);
      await exchange.send("AUTH LOGIN");
      let reply = await exchange.reply();
      if (reply.status !== "334") return exchange.putBack(reply);
      await exchange.send(userLine);
      reply = await exchange.reply();
      if (reply.status !== "334") return exchange.putBack(reply);
      await exchange.send(secretLine, SECRET_PLACEHOLDER);
      return finish(exchange, await exchange.reply());
    }
    case "cram-md5": {
      await exchange.send("AUTH CRAM-MD5");
      const reply = await exchange.reply();
      if (reply.status !== "334") return exchange.putBack(reply);
      const challenge = reply.lines[reply.lines.length - 1]!.slice(4).trim();
      await exchange.send(cramMd5Response(challenge, user, secret), SECRET_PLACEHOLDER);
      return finish(exchange, await exchange.reply());
    }
    case "xoauth2": {
      await exchange.send(`AUTH XOAUTH2 ${xoauth2Response(user, secret)}`, `AUTH XOAUTH2 ${SECRET_PLACEHOLDER}`);
      const reply = await exchange.reply();
      if (reply.status !== "334") return exchange.putBack(reply);
      // A 334 here carries a JSON error; the client answers with an empty line (Google's
      // XOAUTH2 protocol) and the server then sends the final 535.
      const error = decodeXoauth2Error(reply.lines[reply.lines.length - 1]!.slice(4).trim());
      if (error) exchange.note(`XOAUTH2 error from the server: ${JSON.stringify(error)}`);
      await exchange.send("");
      return finish(exchange, await exchange.reply());
    }
    case "user":
      throw new Error("`auth user` is POP3 only; the compiler refuses it elsewhere");
  }
}

/** A server that answers a final credential with another 334 is left to the script. */
function finish(exchange: Exchange, reply: Reply): void {
  exchange.putBack(reply);
}

/** RFC 4954: `AUTH MECH [initial-response]`, then one client line per `334` challenge. */
export function smtpSpotter(): CredentialSpotter {
  return new AuthCommandSpotter(
    (reply) => reply.status === "334",
    (reply) => reply.lines[reply.lines.length - 1]!.slice(4),
  );
}

/** What SMTP and LMTP share: framing, STARTTLS, EHLO/LHLO capabilities, SASL, DATA. */
export const smtpFamily = {
  matchers: { kinds: ["code", "enhanced"], replies: "replies carry a code (250) and an enhanced status code (2.1.0)" },
  mechanisms: ["plain", "login", "cram-md5", "xoauth2"],
  createFramer: () => new SmtpFramer(),
  starttlsCommand: "STARTTLS",
  starttlsReady: (reply: Reply) => reply.status === "220",
  capabilities: ehloCapabilities,
  describeCapabilities: describeCapabilityList,
  authenticate,
  dataCommand: { command: "DATA", ready: (reply: Reply) => reply.status === "354", expected: "354" },
  createSpotter: smtpSpotter,
  isRefusal: (reply: Reply) => reply.status === undefined || /^[45]/.test(reply.status),
  // RFC 2920 §3.1 names EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP; STARTTLS (RFC 3207 §4.2)
  // and AUTH (RFC 4954 §4) end a group too.
  pipelining: { capability: "PIPELINING", lastOnly: ["EHLO", "HELO", "LHLO", "DATA", "VRFY", "EXPN", "TURN", "ETRN", "ATRN", "QUIT", "NOOP", "STARTTLS", "AUTH", "BDAT", "RSET"] },
  chunking: true,
} satisfies Partial<Protocol>;

export const smtp = {
  ...smtpFamily,
  // RFC 5321 §4.1, with STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT (RFC 3030), ETRN (RFC 1985).
  commands: ["EHLO", "HELO", "MAIL FROM:", "RCPT TO:", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "ETRN"],
  name: "smtp",
  title: "SMTP",
  schemes: [
    { scheme: "smtp", defaultPort: 25, implicitTls: false, source: "RFC 5321" },
    { scheme: "submission", defaultPort: 587, implicitTls: false, source: "RFC 6409" },
    { scheme: "smtps", defaultPort: 465, implicitTls: true, source: "RFC 8314 §3.3" },
  ],
  createSession: () => new PlainSession(),
} as const satisfies Protocol;

/** Dot-stuffing (RFC 5321 §4.5.2): a body line starting with "." gets one more. */
export function dotStuff(line: string): string {
  return line.startsWith(".") ? `.${line}` : line;
}

/** A message body on the wire: CRLF after every line, dot-stuffed, ended by the one
 *  canonical end of data, CRLF.CRLF (RFC 5321 §4.1.1.4). Lines hold no CR or LF (the
 *  compiler and the runner refuse them), so no bare CR or LF can reach the wire. */
export function encodeData(lines: readonly string[]): string {
  return `${[...lines.map(dotStuff), "."].join("\r\n")}\r\n`;
}

/**
 * A message streamed into the DATA form, chunk by chunk: line ends (CRLF, LF or a bare CR)
 * become CRLF, a line starting with "." gets one more (RFC 5321 §4.5.2). Linear in the bytes,
 * without splitting the message into strings; a well-formed chunk (CRLF lines, no leading
 * dot) goes out as itself, uncopied: the pieces returned are cut only where bytes change.
 * Without `dotStuffing` (BDAT, RFC 3030 §3) only the line ends change, and the message has
 * no end-of-data line.
 */
export class DataEncoder {
  private atLineStart = true;
  /** The last byte passed on was a CR whose LF may start the next chunk. */
  private pendingCr = false;
  lines = 0;
  bytes = 0;

  constructor(private readonly dotStuffing = true) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const length = chunk.length;
    let start = 0;
    let pos = 0;
    if (this.pendingCr && length > 0) {
      this.pendingCr = false;
      // The CR went out with the last chunk: its LF completes it, or it was a bare CR.
      if (chunk[0] === 0x0a) pos = 1;
      else out.push(LF_BYTES);
    }
    if (this.atLineStart && pos < length) {
      this.atLineStart = false;
      if (chunk[pos] === 0x2e && this.dotStuffing) {
        if (pos > start) out.push(chunk.subarray(start, pos));
        out.push(DOT);
        start = pos;
      }
    }
    // Line ends are found with indexOf (native, ~30x a byte loop in JavaScript); a CRLF line
    // that does not start with a dot needs no cut.
    let cr = chunk.indexOf(0x0d, pos);
    let lf = chunk.indexOf(0x0a, pos);
    while (cr >= 0 || lf >= 0) {
      let end: number; // the line end's last byte
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr + 1 === length) {
          // Whether an LF follows is the next chunk's to say.
          this.lines += 1;
          this.pendingCr = true;
          this.atLineStart = true;
          break;
        }
        if (lf === cr + 1) {
          end = lf;
          lf = chunk.indexOf(0x0a, end + 1);
        } else {
          out.push(chunk.subarray(start, cr), CRLF_BYTES);
          start = cr + 1;
          end = cr;
        }
        cr = chunk.indexOf(0x0d, end + 1);
      } else {
        // A bare LF: a CRLF's LF is taken with its CR above.
        out.push(chunk.subarray(start, lf), CRLF_BYTES);
        start = lf + 1;
        end = lf;
        lf = chunk.indexOf(0x0a, end + 1);
      }
      this.lines += 1;
      const next = end + 1;
      if (next === length) {
        this.atLineStart = true;
        break;
      }
      if (chunk[next] === 0x2e && this.dotStuffing) {
        if (next > start) out.push(chunk.subarray(start, next));
        out.push(DOT);
        start = next;
      }
    }
    if (start < length) out.push(start === 0 ? chunk : chunk.subarray(start));
    for (const piece of out) this.bytes += piece.length;
    return out;
  }

  /** What ends the message: the last line's CRLF if it had none, then "." CRLF. */
  end(): Buffer {
    if (this.pendingCr) {
      this.pendingCr = false;
      this.bytes += 1;
      return Buffer.from(this.dotStuffing ? "\n.\r\n" : "\n");
    }
    // BDAT sends the last line as it is: the chunk's size says where the message ends.
    if (!this.dotStuffing) return Buffer.alloc(0);
    if (!this.atLineStart) {
      this.lines += 1;
      this.bytes += 2;
      return Buffer.from("\r\n.\r\n");
    }
    return Buffer.from(".\r\n");
  }
}

const DOT = Buffer.from(".");
const CRLF_BYTES = Buffer.from("\r\n");
const LF_BYTES = Buffer.from("\n");
