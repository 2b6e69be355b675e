// What the runtime reports as a run happens. Reporters consume these and nothing else;
// every text here is already redacted unless the run was asked to show secrets.
import type { Span } from "../../grammar/ast.js";
import type { Diagnostic } from "../../grammar/diagnostic.js";
import type { ProtocolName } from "../compile/steps.js";

export interface CertificateSummary {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  /** Whole days from now until validTo (negative once expired). */
  daysLeft: number;
  fingerprint256: string;
}

/** One certificate of the chain, as `s_client -showcerts` lists it, depth 0 the server's own. */
export interface ChainCertificate {
  depth: number;
  subject: string;
  issuer: string;
  validTo: string;
  daysLeft: number;
  /** "RSA", "EC", "Ed25519", "RSA-PSS" … */
  keyType: string;
  /** RSA modulus or EC field size; absent where it means nothing (Ed25519). */
  keyBits?: number;
  /** EC only: "P-256", "P-384" … */
  curve?: string;
  /** The issuer's signature on it: "sha256WithRSAEncryption", "ecdsa-with-SHA256" … */
  signatureAlgorithm: string;
  fingerprint256: string;
  selfSigned: boolean;
  /** A trust anchor: one of Node's bundled roots or a --ca certificate. */
  trusted: boolean;
  pem: string;
}

/** Whether the chain leads from the server's certificate to a trusted root, and where it breaks. */
export interface ChainVerdict {
  complete: boolean;
  /** Why not, in words a mail administrator can act on. */
  reason?: string;
}

/** The OCSP response the server stapled to its handshake (RFC 6960, RFC 6066 §8). */
export interface OcspFacts {
  /** `absent`: nothing stapled; `invalid`: stapled but unusable (see `problem`). */
  status: "good" | "revoked" | "unknown" | "absent" | "invalid";
  problem?: string;
  producedAt?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  revokedAt?: string;
  revocationReason?: string;
}

export interface TlsFacts {
  version: string;
  cipher: string;
  /** The chain verified against the trust store and the name matched. */
  authorized: boolean;
  /** OpenSSL's reason when it did not, e.g. SELF_SIGNED_CERT_IN_CHAIN. */
  authorizationError?: string;
  verify: boolean;
  /** host:port of the handshake, as the script named the host. */
  server?: string;
  servername?: string;
  /** The versions the script offered: "TLSv1.2", "TLSv1.2-default", "default versions". */
  offered?: string;
  certificate?: CertificateSummary;
  /** Every certificate the server presented, leaf first, completed from the trust store
   *  where the store holds the next issuer. */
  chain?: ChainCertificate[];
  chainVerdict?: ChainVerdict;
  ocsp?: OcspFacts;
  /** The protocol ALPN settled on; absent when none was offered or agreed. */
  alpn?: string;
  /** The certificate mailchat presented as the client (`cert "…" key "…"`). */
  clientCertificate?: { subject: string; fingerprint256: string };
}

/** A failed expectation, ready to print: what the script wanted, what came, why it matters. */
export interface Failure {
  /** One line: "expected reply code 235", "expected the reply to contain \"queued\"". */
  message: string;
  /** The matcher as written in the script. */
  expected: string;
  /** The reply or fact that was seen, as text ("" when nothing came). */
  actual: string;
  /** Present when text was compared: the two sides of a diff. */
  diff?: { expected: string; actual: string };
  /** Where in the script the failing matcher stands. */
  span?: Span;
  hint?: string;
}

export type { ConnectionFailure, ConnectionFailureKind } from "../hints/connection.js";
import type { ConnectionFailure } from "../hints/connection.js";

export interface StepInfo {
  index: number;
  kind: string;
  source: string;
  span: Span;
}

export type RunEvent =
  /** A script that did not compile: it never ran, and nothing was sent (exit 2). */
  | { type: "invalid"; file: string; diagnostics: Diagnostic[] }
  /** The figures of a load run (`--repeat`), once at its end. */
  | { type: "load"; summary: LoadSummary }
  /** `target`: the line of the targets file this run is for (fleet runs). */
  | { type: "run-start"; file: string; steps: number; time: string; target?: string }
  | { type: "step-start"; step: StepInfo }
  | { type: "connect"; url: string; host: string; port: number; protocol: ProtocolName; implicitTls: boolean }
  /** `address` is the socket's path (and `port` 0) for a UNIX socket. */
  | { type: "connected"; address: string; port: number; ms: number }
  | { type: "tls"; facts: TlsFacts }
  /** A handshake the script expected to fail (`expect tls refused`) failed. */
  | { type: "tls-refused"; offered: string; reason: string }
  | { type: "client"; text: string; secret: boolean }
  | { type: "server"; lines: string[] }
  | { type: "closed"; by: "server" | "client" }
  | { type: "note"; message: string }
  /** A fact of the session that belongs in its transcript (`*: pipeline: 3 commands in one
   *  write`, a probe's outcome); golden files keep it. */
  | { type: "marker"; message: string }
  /** `warning`: a warning threshold was crossed while every failing one held (status "warning"). */
  | { type: "step-end"; step: StepInfo; status: "pass" | "warning" | "fail" | "error"; ms: number; failure?: Failure; warning?: Failure; connectionFailure?: ConnectionFailure }
  /** Something the run measured: a time (connect, handshake, greeting, a reply, the session)
   *  or a certificate's days left; with the script's thresholds when a step asserted it. */
  | { type: "measure"; measure: Measurement }
  | { type: "run-end"; file: string; status: RunStatus; exitCode: number; ms: number }
  /** After run-end, when the run was compared with (or written to) its golden transcript. */
  | { type: "golden"; file: string; path: string; status: "match" | "mismatch" | "missing" | "written" | "not-written"; diff?: string; message: string };

/** "warning": every expectation held, and at least one crossed its warning threshold. */
export type RunStatus = "pass" | "warning" | "fail" | "error";

/** A threshold as the script wrote it: the measure must compare so with the value. */
export interface Threshold {
  comparator: "=" | ">=" | "<=" | ">" | "<";
  value: number;
}

export interface Measurement {
  name: "connect" | "handshake" | "greeting" | "reply" | "session" | "cert-days";
  value: number;
  unit: "ms" | "days";
  /** The script line that asserted it (absent for what is only measured). */
  line?: number;
  /** The reply's command, for `reply`. */
  command?: string;
  /** Failing and warning thresholds, when a step asserted the measure. */
  limit?: Threshold;
  warn?: Threshold;
}

/** Exit statuses, as LANGUAGE.md fixes them. */
export const EXIT = {
  ok: 0,
  expectationFailed: 1,
  invalid: 2,
  connectionFailed: 3,
  /** Standard output could not be written (a full disk, an I/O error): sysexits' EX_IOERR. */
  outputFailed: 74,
} as const;

/** The figures of a load run (`--repeat`), as reporters and the JSON report carry them. */
export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadSummary {
  file: string;
  sessions: number;
  concurrency: number;
  passed: number;
  failed: number;
  errored: number;
  ms: number;
  sessionsPerSecond: number;
  /** By step kind (connect, send, expect, …) and `session` for a whole run, in ms. */
  latency: Record<string, Latency>;
  failures: Array<{ cause: string; count: number; exitCode: number; first: { session: number; line: number; source: string } }>;
}
