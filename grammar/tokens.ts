// The lexer of the .mailchat language. Three modes:
//   statement — the default: keywords, words, strings, regexes, durations, codes;
//   line      — after `send`: the rest of the line is one argument, as typed in telnet;
//   body      — after a bare `data`: message lines up to a line holding a single ".".
import type { Lexer as LexerType, TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

// A word is any run of non-space characters that is not a string or a regex;
// `${...}` may hold spaces (`${name:-two words}`).
const WORD_PART = String.raw`(?:[^\s"#$]|\$\{[^}\r\n]*\}|\$)`;
const WORD_HEAD = String.raw`(?:[^\s"#$/]|\$\{[^}\r\n]*\}|\$)`;

/**
 * Chevrotain cannot see the first characters of a negated class (`[^\s"#]`), and one such
 * pattern turns its first-character optimisation off for the whole mode: every token then
 * tries every pattern, and lexing a long script is ~10× slower. So patterns that begin with a
 * negated class run as custom patterns that name the characters they may begin with.
 */
function startingWith(first: RegExp, pattern: RegExp) {
  const sticky = new RegExp(pattern.source, `${pattern.flags.replace("g", "")}y`);
  const hints: number[] = [];
  for (let code = 0; code < 256; code++) if (first.test(String.fromCharCode(code))) hints.push(code);
  // Above 255 Chevrotain buckets character codes by 255: one code from each bucket stands for it.
  for (let code = 256; code < 65536; code += 255) hints.push(code);
  hints.push(65535);
  return {
    pattern: {
      exec(text: string, offset: number): RegExpExecArray | null {
        sticky.lastIndex = offset;
        return sticky.exec(text);
      },
      // The railroad diagrams show the pattern itself.
      toJSON: () => pattern.source,
    },
    start_chars_hint: hints,
  };
}

export const Word = createToken({
  name: "Word",
  label: "a word",
  ...startingWith(new RegExp(`^${WORD_HEAD}`), new RegExp(`${WORD_HEAD}${WORD_PART}*`)),
  line_breaks: false,
});

/** Every token that may stand where a plain word is expected (names, mechanisms, values). */
export const WordLike = createToken({ name: "WordLike", pattern: Lexer.NA, label: "a word" });
Word.CATEGORIES = [WordLike];

const keywordTokens: TokenType[] = [];
function keyword(name: string, image: string = name.toLowerCase()): TokenType {
  const escaped = image.replace(/[-]/g, "\\-");
  const token = createToken({
    name,
    label: `\`${image}\``,
    pattern: new RegExp(`${escaped}(?![^\\s"#])`, "i"),
    // Named, so that building the lexer need not parse the pattern to find them.
    start_chars_hint: [image[0]!.toLowerCase(), image[0]!.toUpperCase()],
    line_breaks: false,
    longer_alt: Word,
    categories: [WordLike],
  });
  keywordTokens.push(token);
  return token;
}

/**
 * A pattern that only matches as the first word of a line: `send` and `data` switch the
 * lexer's mode, so `auth login send secret` or `set x = data` must not trigger that.
 */
function atLineStart(pattern: RegExp, first: string[]) {
  const sticky = new RegExp(pattern.source, `${pattern.flags.replace("g", "")}y`);
  return {
    pattern: {
      exec(text: string, offset: number): RegExpExecArray | null {
        for (let i = offset - 1; i >= 0; i--) {
          const ch = text[i];
          if (ch === "\n") break;
          if (ch !== " " && ch !== "\t" && !(i === 0 && ch === "\uFEFF")) return null;
        }
        sticky.lastIndex = offset;
        return sticky.exec(text);
      },
    },
    start_chars_hint: first,
  };
}

export const Newline = createToken({ name: "Newline", label: "end of line", pattern: /\r?\n/, line_breaks: true });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

// `data` alone on its line opens a message body; `data file "x"` stays in statement mode.
export const DataBlock = createToken({
  name: "DataBlock",
  label: "`data` (a message body follows)",
  ...atLineStart(/data[ \t]*(?:#[^\r\n]*)?\r?\n/i, ["d", "D"]),
  line_breaks: true,
  push_mode: "body",
});
export const BodyEnd = createToken({
  name: "BodyEnd",
  label: "a line holding a single `.` (end of the message body)",
  pattern: /\.[ \t]*\r?\n/,
  line_breaks: true,
  pop_mode: true,
});
export const BodyLine = createToken({
  name: "BodyLine",
  label: "a line of the message body",
  pattern: /[^\r\n]*\r?\n/,
  line_breaks: true,
});

// `bdat` (optionally `bdat chunk SIZE`) alone on its line opens a message body sent with
// BDAT (RFC 3030); `bdat file "x"` stays in statement mode.
export const BdatBlock = createToken({
  name: "BdatBlock",
  label: "`bdat` (a message body follows)",
  ...atLineStart(/bdat(?:[ \t]+chunk[ \t]+[^\s#]+)?[ \t]*(?:#[^\r\n]*)?\r?\n/i, ["b", "B"]),
  line_breaks: true,
  push_mode: "body",
});

// `send raw "..."` keeps the statement mode so the string is lexed as a string.
export const SendRaw = createToken({
  name: "SendRaw",
  label: "`send raw`",
  ...atLineStart(/send[ \t]+raw(?=[ \t]+")/i, ["s", "S"]),
  line_breaks: false,
});
export const Send = createToken({
  name: "Send",
  label: "`send`",
  ...atLineStart(/send(?![^\s"#])/i, ["s", "S"]),
  line_breaks: false,
  longer_alt: Word,
  push_mode: "line",
  categories: [WordLike],
});
export const LineText = createToken({ name: "LineText", label: "the text to send", ...startingWith(/^[^ \t\r\n]/, /[^ \t\r\n][^\r\n]*/), line_breaks: false });
export const LineNewline = createToken({
  name: "LineNewline",
  label: "end of line",
  pattern: /\r?\n/,
  line_breaks: true,
  pop_mode: true,
  categories: [Newline],
});

export const Connect = keyword("Connect");
export const Expect = keyword("Expect");
export const StartTls = keyword("StartTls", "starttls");
export const Auth = keyword("Auth");
export const Data = keyword("Data");
export const Set = keyword("Set");
export const Param = keyword("Param");
export const Timeout = keyword("Timeout");
export const Close = keyword("Close");
export const Include = keyword("Include");
export const Allow = keyword("Allow");
export const Mask = keyword("Mask");
export const Not = keyword("Not");
export const Capability = keyword("Capability");
export const Within = keyword("Within");
export const Closed = keyword("Closed");
export const Silence = keyword("Silence");
export const Any = keyword("Any");
export const Secret = keyword("Secret");
export const Tls = keyword("Tls");
export const Cert = keyword("Cert");
export const Version = keyword("Version");
export const Cipher = keyword("Cipher");
export const Verified = keyword("Verified");
export const Refused = keyword("Refused");
export const Expires = keyword("Expires");
export const Subject = keyword("Subject");
export const Issuer = keyword("Issuer");
export const San = keyword("San");
export const Chain = keyword("Chain");
export const Complete = keyword("Complete");
export const Includes = keyword("Includes");
export const Fingerprint = keyword("Fingerprint");
export const Key = keyword("Key");
export const Signature = keyword("Signature");
export const Ocsp = keyword("Ocsp");
export const Alpn = keyword("Alpn");
export const Min = keyword("Min");
export const Max = keyword("Max");
export const ServerName = keyword("ServerName", "servername");
export const Ciphers = keyword("Ciphers");
export const Verify = keyword("Verify");
export const Off = keyword("Off");
export const Default = keyword("Default");
export const File = keyword("File");
export const Pipeline = keyword("Pipeline");
export const End = keyword("End");
export const Bdat = keyword("Bdat");
export const Chunk = keyword("Chunk");
export const Binary = keyword("Binary");
export const Probe = keyword("Probe");
export const As = keyword("As");
export const Use = keyword("Use");
export const Untagged = keyword("Untagged");
export const Proxy = keyword("Proxy");
export const Client = keyword("Client");
export const Server = keyword("Server");
export const Warn = keyword("Warn");
export const Handshake = keyword("Handshake");
export const Session = keyword("Session");
// Mail routing and DNS facts (issue 26): `connect mx DOMAIN`, `ipv4`/`ipv6`, `from ADDR`,
// `expect mx|rdns|dane|mta-sts …`.
export const Mx = keyword("Mx");
export const Ipv4 = keyword("Ipv4");
export const Ipv6 = keyword("Ipv6");
export const From = keyword("From");
export const Rdns = keyword("Rdns");
export const Local = keyword("Local");
export const Dane = keyword("Dane");
export const MtaSts = keyword("MtaSts", "mta-sts");
export const Message = keyword("Message");
export const Header = keyword("Header");
export const Body = keyword("Body");
export const Attach = keyword("Attach");
export const Type = keyword("Type");

export const StringLiteral = createToken({
  name: "StringLiteral",
  label: "a quoted string",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  start_chars_hint: ['"'],
  line_breaks: false,
});
export const RegexLiteral = createToken({
  name: "RegexLiteral",
  label: "a /regex/",
  pattern: /\/(?:[^/\\\r\n[]|\\.|\[(?:[^\]\\\r\n]|\\.)*\])+\/[a-z]*/,
  start_chars_hint: ["/"],
  line_breaks: false,
});
export const Duration = createToken({
  name: "Duration",
  label: "a duration (500ms, 10s, 2m, 1h, 30d)",
  pattern: /\d+(?:ms|s|m|h|d)(?![^\s"#])/,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: [..."0123456789"],
  line_breaks: false,
});
// Reply codes as a mail administrator writes them: 250, 2xx, 25x, 250|251.
export const ReplyCode = createToken({
  name: "ReplyCode",
  label: "a reply code (250, 2xx, 250|251)",
  pattern: /[1-5][0-9x][0-9x](?:\|[1-5][0-9x][0-9x])*(?![^\s"#])/i,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: [..."12345"],
  line_breaks: false,
});
export const EnhancedCode = createToken({
  name: "EnhancedCode",
  label: "an enhanced status code (2.1.0)",
  pattern: /[245]\.(?:\d{1,3}|x)\.(?:\d{1,3}|x)(?![^\s"#])/i,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: [..."245"],
  line_breaks: false,
});
export const PopStatus = createToken({
  name: "PopStatus",
  label: "`+OK` or `-ERR`",
  pattern: /\+OK(?![^\s"#])|-ERR(?![^\s"#])/,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: ["+", "-"],
  line_breaks: false,
});
export const ImapStatus = createToken({
  name: "ImapStatus",
  label: "`OK`, `NO` or `BAD`",
  pattern: /(?:OK|NO|BAD)(?![^\s"#])/,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: ["O", "N", "B"],
  line_breaks: false,
});
// IMAP: a command's tag and its completion status, `tag2 OK`, in an `expect` line only (a word
// before `OK` elsewhere is a value: `param x default OK`).
function inExpectLine(pattern: RegExp) {
  const matcher = startingWith(new RegExp(`^${WORD_HEAD}`), pattern);
  const exec = matcher.pattern.exec;
  matcher.pattern.exec = (text: string, offset: number) => {
    const before = text.slice(text.lastIndexOf("\n", offset - 1) + 1, offset);
    // Not a value another matcher takes: `capability IMAP4rev1`, `within 5s`.
    if (!/^[ \t]*expect[ \t]/i.test(before) || /(?:capability|within|silence)[ \t]+$/i.test(before)) return null;
    return exec(text, offset);
  };
  return matcher;
}
export const TaggedStatus = createToken({
  name: "TaggedStatus",
  label: "a tag and `OK`, `NO` or `BAD` (`tag2 OK`)",
  ...inExpectLine(new RegExp(`${WORD_HEAD}${WORD_PART}*[ \t]+(?:OK|NO|BAD)(?![^\\s"#])`)),
  line_breaks: false,
});
export const Continuation = createToken({
  name: "Continuation",
  label: "`+` (a continuation request)",
  pattern: /\+(?![^\s"#])/,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: ["+"],
  line_breaks: false,
});
// IMAP and POP3 response codes (RFC 5530, RFC 2449): `[AUTHENTICATIONFAILED]`, `[IN-USE]`.
export const ResponseCode = createToken({
  name: "ResponseCode",
  label: "a response code ([AUTHENTICATIONFAILED])",
  pattern: /\[[A-Za-z][A-Za-z0-9.-]*\](?![^\s"#])/,
  longer_alt: Word,
  categories: [WordLike],
  start_chars_hint: ["["],
  line_breaks: false,
});
export const Comparison = createToken({
  name: "Comparison",
  label: "a comparison (=, >=, <=, >, <)",
  pattern: />=|<=|=|>|</,
  longer_alt: Word,
  start_chars_hint: [">", "<", "="],
  line_breaks: false,
});

export const statementModeTokens: TokenType[] = [
  Newline,
  WhiteSpace,
  Comment,
  DataBlock,
  BdatBlock,
  SendRaw,
  Send,
  TaggedStatus,
  ...keywordTokens,
  StringLiteral,
  RegexLiteral,
  Duration,
  EnhancedCode,
  ReplyCode,
  PopStatus,
  ImapStatus,
  Continuation,
  ResponseCode,
  Comparison,
  Word,
];

export const lineModeTokens: TokenType[] = [LineNewline, WhiteSpace, LineText];
export const bodyModeTokens: TokenType[] = [BodyEnd, BodyLine];

export const allTokens: TokenType[] = [
  ...statementModeTokens,
  LineNewline,
  LineText,
  BodyEnd,
  BodyLine,
  WordLike,
];

/** Statement keywords, for "did you mean" on a mistyped statement. */
export const STATEMENT_KEYWORDS = [
  "connect", "send", "expect", "starttls", "auth", "data", "set", "param",
  "timeout", "close", "include", "allow", "mask", "pipeline", "bdat", "probe", "use",
];

let lexer: LexerType | undefined;
export function mailchatLexer(): LexerType {
  // Validations cost start-up time on every run; the test suite runs them (see test/grammar).
  lexer ??= new Lexer(
    {
      modes: { statement: statementModeTokens, line: lineModeTokens, body: bodyModeTokens },
      defaultMode: "statement",
    },
    { skipValidations: process.env.MAILCHAT_VALIDATE_GRAMMAR !== "1", ensureOptimizations: false, positionTracking: "onlyStart" },
  );
  return lexer;
}
