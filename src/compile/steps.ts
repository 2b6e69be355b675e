// Compiled steps: the checked, resolved form of a script that the runtime executes.
// Everything known before the run (params, --var, env, `set`, `timeout`, includes) is
// resolved here; only values captured from replies during the run remain as references.
import type { Comparator, Span, TimedMeasure, TlsVersionName } from "../../grammar/ast.js";
import type { ProtocolName } from "../protocols/index.js";
import type { SaslMechanism } from "../protocols/types.js";
import type { ProxyPeer, ProxyVersion } from "../protocols/proxy-header.js";

export type { ProtocolName, SaslMechanism };

/** Text known at compile time except for references to values captured during the run. */
export interface RuntimeText {
  parts: Array<string | { capture: string; fallback?: string; span: Span }>;
}

/** A sized literal's bytes, read when the script compiles. */
export interface SizedBytes {
  bytes: Buffer;
  file?: string;
  binary?: boolean;
}

export type Pattern =
  | { kind: "text"; text: RuntimeText }
  /** `template`: the source still holds values captured during the run (escaped when filled). */
  | { kind: "regex"; regex: RegExp; source: string; template?: RuntimeText; flags?: string };

/** A PROXY protocol header (haproxy's proxy-protocol.txt): the client to present and, when
 *  named, the server; otherwise the address connected to. */
export interface ProxySettings {
  version: ProxyVersion;
  client: ProxyPeer;
  server?: Required<ProxyPeer>;
}

export interface TlsSettings {
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
  servername?: string;
  ciphers?: string;
  /** false when the script says `verify off` or the CLI says --insecure. */
  verify: boolean;
  /** ALPN protocols to offer, in order of preference (RFC 7301). */
  alpn?: string[];
  /** A client certificate (`cert "…" key "…" [chain "…"]`): absolute paths, read at the
   *  handshake so that the key's content is never part of a compiled script. */
  client?: ClientCertificateFiles;
}

export interface ClientCertificateFiles {
  cert: string;
  key: string;
  chain?: string;
}

export type StepMatcher =
  /** `expect any`: any complete reply, a refusal included (it is consumed, not judged). */
  | { kind: "any"; span: Span }
  | { kind: "code"; alternatives: string[]; span: Span }
  | { kind: "enhanced"; code: string; span: Span }
  | { kind: "pop-status"; status: "+OK" | "-ERR"; span: Span }
  /** IMAP's tagged completion, ManageSieve's response: OK, NO, BAD. */
  /** `tag`: IMAP, the completion carrying this tag, taken in whatever order completions come. */
  | { kind: "status"; status: "OK" | "NO" | "BAD"; tag?: RuntimeText; span: Span }
  | { kind: "continuation"; span: Span }
  | { kind: "response-code"; code: string; span: Span }
  | { kind: "text"; pattern: Pattern; negated: boolean; span: Span }
  | { kind: "capability"; name: string; param?: string; negated: boolean; span: Span }
  /** IMAP: an untagged response compared by structure; `$name` in it binds a value. */
  | { kind: "untagged"; response: RuntimeText; negated: boolean; span: Span };

export type ConnectionCheck =
  | { kind: "tls-version"; comparator: Comparator; version: TlsVersionName; warn?: TlsVersionName }
  | { kind: "tls-cipher"; pattern: Pattern }
  | { kind: "cert-verified" }
  | { kind: "cert-expires"; comparator: Comparator; days: number; warnDays?: number }
  | { kind: "cert-field"; field: "subject" | "issuer" | "san"; pattern: Pattern }
  | { kind: "cert-chain-complete" }
  /** Some certificate of the chain has a subject that matches. */
  | { kind: "cert-chain-includes"; pattern: Pattern }
  /** The server certificate's SHA-256 fingerprint, as hex (upper case, no colons). */
  | { kind: "cert-fingerprint"; sha256: string }
  | { kind: "cert-key"; keyType?: string; comparator?: Comparator; bits?: number }
  | { kind: "cert-signature"; pattern: Pattern }
  | { kind: "cert-ocsp"; status: "good" | "revoked" | "unknown" | "absent" }
  | { kind: "tls-alpn"; pattern: Pattern }
  | DnsCheck;


/** DNS facts that decide delivery (runtime/steps/dns-checks.ts judges them). */
export type DnsCheck =
  | { kind: "mx-set"; hosts: string[] }
  | { kind: "rdns"; local: boolean; expected: { kind: "confirmed" } | { kind: "pattern"; pattern: Pattern } }
  | { kind: "dane"; outcome: DaneOutcome }
  | { kind: "mta-sts"; outcome: MtaStsOutcome };

const DNS_CHECKS: ReadonlySet<string> = new Set<DnsCheck["kind"]>(["mx-set", "rdns", "dane", "mta-sts"]);

/** A DNS fact (judged by asking DNS), not a fact of the handshake. */
export function isDnsCheck(check: { kind: string }): check is DnsCheck {
  return DNS_CHECKS.has(check.kind);
}

export const DANE_OUTCOMES = ["verified", "mismatch", "insecure", "absent"] as const;
export type DaneOutcome = (typeof DANE_OUTCOMES)[number];
export const MTA_STS_OUTCOMES = ["enforce", "testing", "none", "absent", "valid"] as const;
export type MtaStsOutcome = (typeof MTA_STS_OUTCOMES)[number];

/** How a `connect` finds its address: a mail domain's MX hosts, the address families in the
 *  order tried, the local address to send from. */
export interface Routing {
  mx?: boolean;
  families?: Array<4 | 6>;
  localAddress?: string;
}


interface StepCommon {
  /** Where the statement stands; `source` is the statement's line as written. */
  span: Span;
  source: string;
}

export type Step = StepCommon &
  (
    | {
        kind: "connect";
        url: string;
        scheme: string;
        protocol: ProtocolName;
        /** "" and 0 for a UNIX socket (`lmtp:///run/dovecot/lmtp`). */
        host: string;
        port: number;
        /** The UNIX socket's path. */
        socket?: string;
        /** `proxy v1|v2 client …`: a PROXY protocol header before anything else. */
        proxy?: ProxySettings;
        implicitTls: boolean;
        timeoutMs: number;
        tls: TlsSettings;
        /** `expect tls refused` follows: the handshake must fail (a TLS version probe). */
        expectRefused?: boolean;
        /** The session's name (`connect URL as NAME`); "" for a script's single connection. */
        name?: string;
        routing?: Routing;
      }
    /** `use NAME`: the next steps act on that session. */
    | { kind: "use"; name: string }
    | {
        kind: "send";
        line: RuntimeText;
        /** IMAP: the wait for a literal's `+`. */
        timeoutMs: number;
        /** A sized literal: its bytes, the file they came from, and whether it is BINARY's `~{n}`. */
        literal?: SizedBytes;
        /** What follows the literal on the line, as typed, each piece maybe ending in another. */
        after?: Array<{ text: RuntimeText; literal?: SizedBytes }>;
      }
    | { kind: "send-raw"; bytes: RuntimeText }
    /** Commands sent in one write; the `expect`s after the block take their replies in order. */
    | { kind: "pipeline"; lines: RuntimeText[]; timeoutMs: number }
    /** BDAT (RFC 3030): the body in chunks of `chunkBytes` (all in one when absent). */
    | { kind: "bdat"; body: RuntimeText[]; chunkBytes?: number; timeoutMs: number }
    | { kind: "bdat-file"; path: string; chunkBytes?: number; binary: boolean; timeoutMs: number }
    /** DATA, then a body ended by `ending` (a non-canonical end of data), then a NOOP; how the
     *  server treats it is judged (runtime/steps/probe.ts). */
    | { kind: "probe-end-of-data"; ending: RuntimeText; timeoutMs: number; windowMs: number }
    | {
        kind: "expect";
        matchers: StepMatcher[];
        /** How long to wait for the reply (`within` or the `timeout` in force). */
        timeoutMs: number;
        /** `within DUR`: timeoutMs is the reply's response time, counted from when its command
         *  was written (the greeting: from when the connection was ready), not from this step. */
        within?: boolean;
        /** `within DUR warn DUR`: a response time above this passes with a warning. */
        warnMs?: number;
        /** `expect closed`: the server must close the connection. */
        closed: boolean;
        /** `expect silence DUR`: nothing may arrive for this long. */
        silenceMs?: number;
        /** Names of regex capture groups this step sets. */
        captures: string[];
      }
    | { kind: "check"; check: ConnectionCheck }
    /** `expect connect|handshake|session within limitMs [warn warnMs]`. */
    | { kind: "timing"; measure: TimedMeasure; limitMs: number; warnMs?: number }
    | { kind: "starttls"; tls: TlsSettings; timeoutMs: number; expectRefused?: boolean }
    | { kind: "auth"; mechanism: SaslMechanism; user: RuntimeText; secret: RuntimeText; timeoutMs: number }
    /** `commandSent`: the script sent DATA itself (in a `pipeline`, or with `send DATA` and its
     *  `expect 354`), so only the body goes. */
    | { kind: "data"; body: RuntimeText[]; timeoutMs: number; commandSent?: boolean }
    | { kind: "data-file"; path: string; timeoutMs: number; commandSent?: boolean }
    /** `data message`: a message built at run time (MIME, Date, Message-ID). */
    | { kind: "data-message"; message: MessagePlan; timeoutMs: number; commandSent?: boolean }
    /** `secret`: the value, captured during the run, is masked from then on. */
    | { kind: "set"; name: string; value: RuntimeText; secret?: boolean }
    | { kind: "close" }
  );

/** What `data message` builds: headers added or replacing the generated ones (Date,
 *  Message-ID, From, To, Subject), body text and files joined in order, attachments. */
export interface MessagePlan {
  headers: Array<{ name: string; value: RuntimeText }>;
  body: Array<{ text: RuntimeText } | { file: string }>;
  attachments: Array<{ path: string; filename: RuntimeText; contentType?: RuntimeText }>;
}

export interface Mask {
  regex: RegExp;
  replacement: string;
}

export interface CompiledScript {
  file: string;
  steps: Step[];
  masks: Mask[];
  /** Values that must never be printed (auth secrets known at compile time). */
  secrets: string[];
  params: Array<{ name: string; description?: string; value: string }>;
  /** The target (a line of a targets file) this copy of the script runs against. */
  target?: string;
}
