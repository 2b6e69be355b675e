// The abstract syntax of a .mailchat script: what the user wrote, with where they wrote it.
// No values are resolved here; the compiler (src/compile) checks and resolves.

export interface Span {
  file: string;
  /** 1-based line and column of the first character. */
  line: number;
  column: number;
  /** 0-based offsets into the source, end exclusive. */
  start: number;
  end: number;
}

/** A piece of text that may hold `${name}` interpolations; `raw` is what was typed. */
export interface Template {
  parts: TemplatePart[];
  span: Span;
}
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "var"; name: string; fallback?: Template; span: Span }
  | { kind: "env"; name: string; fallback?: Template; span: Span };

export interface RegexLiteral {
  source: string;
  flags: string;
  span: Span;
}

export type TextPattern = { kind: "text"; value: Template } | { kind: "regex"; regex: RegexLiteral };

export type TlsVersionName = "SSLv3" | "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

export type TlsOption =
  | { kind: "version"; version: TlsVersionName; span: Span }
  | { kind: "min"; version: TlsVersionName; span: Span }
  | { kind: "max"; version: TlsVersionName; span: Span }
  | { kind: "servername"; name: Template; span: Span }
  | { kind: "ciphers"; ciphers: Template; span: Span }
  | { kind: "verify-off"; span: Span }
  /** `alpn "imap"` or `alpn "h2,http/1.1"`: the protocols offered, in order. */
  | { kind: "alpn"; protocols: Template; span: Span }
  /** A client certificate: `cert "c.pem" key "k.pem" [chain "ca.pem"]`, paths relative to the script. */
  | { kind: "client-cert" | "client-key" | "client-chain"; path: Template; span: Span };

/** A literal whose size mailchat counts: `{file "PATH"}` or `{"TEXT"}` in a `send` line;
 *  `binary` for `~{…}`, BINARY's literal8 (RFC 3516): its bytes go as they are. */
export type SizedLiteral = ({ kind: "file"; path: Template; span: Span } | { kind: "text"; text: Template; span: Span }) & { binary?: boolean };

/** What `expect … within` can hold to a time besides a reply (docs/language.md, Timings). */
export type TimedMeasure = "connect" | "handshake" | "session";

export type Comparator = "=" | ">=" | "<=" | ">" | "<";

export type Matcher =
  | { kind: "code"; alternatives: string[]; span: Span }
  | { kind: "enhanced"; code: string; span: Span }
  | { kind: "pop-status"; status: "+OK" | "-ERR"; span: Span }
  /** `tag`: IMAP, the completion carrying this tag (`expect tag2 OK`), in whatever order it comes. */
  | { kind: "status"; status: "OK" | "NO" | "BAD"; tag?: Template; span: Span }
  | { kind: "continuation"; span: Span }
  | { kind: "response-code"; code: string; span: Span }
  | { kind: "text"; pattern: TextPattern; negated: boolean; span: Span }
  | { kind: "capability"; name: string; param?: string; negated: boolean; span: Span }
  /** IMAP: an untagged response compared by structure (`untagged "* 1 FETCH (UID $uid)"`). */
  | { kind: "untagged"; response: Template; negated: boolean; span: Span }
  /** `warnMs`: `within 5s warn 1s`, a reply slower than this passes with a warning. */
  | { kind: "within"; ms: number; warnMs?: number; span: Span }
  | { kind: "closed"; span: Span }
  /** `expect any`: any complete reply, a refusal included. */
  | { kind: "any"; span: Span }
  | { kind: "silence"; ms: number; span: Span };

export type ConnectionCheck =
  /** `warn`: the same comparison against a stricter value; when only it fails, a warning. */
  | { kind: "tls-version"; comparator: Comparator; version: TlsVersionName; warn?: TlsVersionName; span: Span }
  | { kind: "tls-cipher"; pattern: TextPattern; span: Span }
  | { kind: "tls-refused"; span: Span }
  | { kind: "cert-verified"; span: Span }
  | { kind: "cert-expires"; comparator: Comparator; days: number; warnDays?: number; span: Span }
  | { kind: "cert-field"; field: "subject" | "issuer" | "san"; pattern: TextPattern; span: Span }
  | { kind: "tls-alpn"; pattern: TextPattern; span: Span }
  | { kind: "cert-chain-complete"; span: Span }
  | { kind: "cert-chain-includes"; pattern: TextPattern; span: Span }
  | { kind: "cert-fingerprint"; fingerprint: Template; span: Span }
  | { kind: "cert-key"; keyType?: string; comparator?: Comparator; bits?: number; span: Span }
  | { kind: "cert-signature"; pattern: TextPattern; span: Span }
  | { kind: "cert-ocsp"; status: OcspStatusName; span: Span }
  /** The MX hosts of the domain `connect mx` routed to, as a set. */
  | { kind: "mx-set"; hosts: Template[]; span: Span }
  /** Reverse DNS of the server's address (`local`: of the address sent from). */
  | { kind: "rdns"; local: boolean; expected: { kind: "confirmed" } | { kind: "pattern"; pattern: TextPattern }; span: Span }
  | { kind: "dane"; outcome: string; outcomeSpan: Span; span: Span }
  | { kind: "mta-sts"; outcome: string; outcomeSpan: Span; span: Span };

export type OcspStatusName = "good" | "revoked" | "unknown" | "absent";

/** `proxy v2 client 192.0.2.10:5555 [server 198.51.100.1:25]` on `connect`. */
export interface ProxyClause {
  version: Template;
  client: Template;
  server?: Template;
  span: Span;
}

/** `connect mx …`, `ipv4`/`ipv6` and `from ADDR` on a connect. */
export interface ConnectRouting {
  mx?: Span;
  families?: Array<{ family: 4 | 6; span: Span }>;
  from?: Template;
}

/** A line of a `data message` block. */
export type MessagePart =
  | { kind: "header"; name: string; value: Template; span: Span }
  | { kind: "body"; text: Template; span: Span }
  | { kind: "body-file"; path: Template; span: Span }
  | { kind: "attach"; path: Template; filename?: Template; contentType?: Template; span: Span };

export type Statement =
  /** `name`: a session of several (`connect URL as NAME`). */
  | { kind: "connect"; url: Template; name?: { text: string; span: Span }; timeoutMs?: number; proxy?: ProxyClause; tls: TlsOption[]; routing?: ConnectRouting; span: Span }
  | { kind: "use"; name: string; nameSpan: Span; span: Span }
  /** `after`: what follows the first literal, as typed, each piece maybe ending in another. */
  | { kind: "send"; line: Template; literal?: SizedLiteral; after?: Array<{ text: Template; literal?: SizedLiteral }>; span: Span }
  | { kind: "send-raw"; bytes: Template; span: Span }
  | { kind: "expect"; matchers: Matcher[]; span: Span }
  | { kind: "expect-connection"; check: ConnectionCheck; span: Span }
  /** `expect connect|handshake|session within DUR [warn DUR]`: a measured time. */
  | { kind: "expect-timing"; measure: TimedMeasure; ms: number; warnMs?: number; span: Span }
  | { kind: "starttls"; tls: TlsOption[]; span: Span }
  | { kind: "auth"; mechanism: string; mechanismSpan: Span; user: Template; secret: Template; span: Span }
  | { kind: "data"; body: Template[]; span: Span }
  | { kind: "data-file"; path: Template; span: Span }
  /** `data message` [block … `end`]: a message mailchat builds. */
  | { kind: "data-message"; parts: MessagePart[]; span: Span }
  | { kind: "set"; name: string; value: Template; secret?: boolean; span: Span }
  | { kind: "param"; name: string; description?: string; fallback?: Template; secret?: boolean; span: Span }
  | { kind: "timeout"; ms: number; span: Span }
  | { kind: "close"; span: Span }
  | { kind: "include"; path: string; span: Span }
  | { kind: "allow"; what: "plaintext-auth"; span: Span }
  | { kind: "mask"; regex: RegexLiteral; replacement: string; span: Span }
  /** Commands sent in one write; `end` closes the block. */
  | { kind: "pipeline"; sends: Array<Extract<Statement, { kind: "send" }>>; span: Span }
  /** `size` is the chunk size as written (checked by the compiler), with where it stands. */
  | { kind: "bdat"; body: Template[]; chunk?: { text: string; span: Span }; span: Span }
  | { kind: "bdat-file"; path: Template; chunk?: { text: string; span: Span }; binary: boolean; span: Span }
  /** `windowMs`: how long a reply to the probe is waited for (`within`). */
  | { kind: "probe"; what: string; whatSpan: Span; bytes: Template; windowMs?: number; span: Span };

export interface Script {
  file: string;
  source: string;
  statements: Statement[];
}
