// Why a connection failed, in one table: each Node socket or OpenSSL error code, the kind of
// failure it is (DNS, refused, dropped, reset, TLS, certificate: exit 3), and what to check.
// Reports say the kind's cause in words and the row's hint.

export type ConnectionFailureKind = "dns" | "refused" | "timeout" | "tls" | "certificate" | "reset" | "other";

export interface ConnectionFailure {
  kind: ConnectionFailureKind;
  /** Node's error code: ENOTFOUND, ECONNREFUSED, ERR_SSL_…, CERT_HAS_EXPIRED… */
  code?: string;
  /** What happened, with the address: "connection to 127.0.0.1:25 refused". */
  message: string;
  /** The likely cause in words. */
  cause: string;
  hint?: string;
}

export interface ConnectionContext {
  host: string;
  port: number;
  /** The UNIX socket's path, for a connection to one. */
  socket?: string | undefined;
  implicitTls: boolean;
  /** The plaintext scheme(s) of the protocol, for "this port does not speak TLS". */
  plainSchemes: string;
  stage: "connect" | "tls" | "certificate";
  /** The versions the script pinned, when it did ("TLSv1.2"). */
  pinned?: string;
  /** The handshake followed the server's STARTTLS go-ahead. */
  afterGoAhead?: boolean;
}

interface ConnectionRow {
  codes: readonly string[];
  /** The kind, where the code alone decides it (otherwise the stage does). */
  kind?: ConnectionFailureKind;
  /** Whether the row applies at this stage; every stage when absent. */
  stage?: ConnectionContext["stage"];
  when?: (context: ConnectionContext) => boolean;
  hint: (context: ConnectionContext) => string;
  source: string;
}

export const CAUSES: Record<ConnectionFailureKind, string> = {
  dns: "DNS problem: the host name does not resolve",
  refused: "service not running on that port, or a firewall rejects the connection",
  timeout: "firewall drop, wrong port, or the network (many ISPs block outbound port 25)",
  reset: "the server or a middlebox reset the connection",
  tls: "TLS handshake failure",
  certificate: "certificate problem",
  other: "network problem",
};

const onSocket = (c: ConnectionContext) => c.socket !== undefined;

/** First matching row wins. */
export const CONNECTION_ERRORS: readonly ConnectionRow[] = [
  // A UNIX socket: the file system answers before any server does.
  { codes: ["ENOENT"], stage: "connect", kind: "refused", when: onSocket, hint: (c) => `nothing is at ${c.socket}: the server is not running, or its socket is elsewhere (Dovecot: \`doveconf service/lmtp\` lists its unix_listener; Cyrus: \`lmtpsocket\` in imapd.conf); list what is there with \`ls -l ${parentOf(c.socket!)}\``, source: "connect(2), unix(7)" },
  { codes: ["ENOTSOCK"], stage: "connect", kind: "refused", when: onSocket, hint: (c) => `${c.socket} exists but is not a socket (\`ls -l\` shows an \`s\` first for one): the path names a file or directory; the listener's socket is probably beside it`, source: "unix(7)" },
  { codes: ["ECONNREFUSED"], stage: "connect", kind: "refused", when: onSocket, hint: (c) => `${c.socket} is a socket, but no server accepts on it: a stale socket left by a server that stopped, or one that is restarting; check that the service runs`, source: "connect(2), unix(7)" },
  { codes: ["EACCES", "EPERM"], stage: "connect", kind: "refused", when: onSocket, hint: (c) => `this user may not connect to ${c.socket}: connecting needs write permission on the socket and search permission on every directory above it; check \`ls -l ${c.socket}\`, run as a user of the socket's group, or widen the listener's \`mode\`/\`user\`/\`group\` (Dovecot's unix_listener)`, source: "unix(7)" },
  {
    // A reset right after a ClientHello whose versions the script pinned: the usual reason is
    // a server that does not accept that version and hangs up instead of sending an alert.
    codes: ["ECONNRESET", "EPIPE", "ERR_TLS_HANDSHAKE_CLOSED"],
    stage: "tls",
    when: (c) => c.pinned !== undefined,
    hint: (c) => `the server reset the handshake right after a ClientHello that offered only ${c.pinned}: it probably does not accept that version (many servers hang up rather than send an alert); try without pinning, or with another version — a firewall cutting TLS is the less likely cause`,
    source: "RFC 8446 §6.2 (a server should send protocol_version)",
  },
  {
    codes: ["ETIMEDOUT"],
    stage: "tls",
    when: (c) => Boolean(c.afterGoAhead),
    hint: () => "the server agreed to STARTTLS but never answered the TLS ClientHello: a middlebox that intercepts STARTTLS (SMTP inspection on a firewall) or a path-MTU black hole (large TLS packets dropped; check the MTU/MSS on the path) are the classic causes",
    source: "RFC 3207 §4; RFC 4821 (path-MTU black holes)",
  },
  { codes: ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"], kind: "dns", hint: (c) => `${c.host} does not resolve: check the spelling; for mail exchangers connect to the MX host (dig MX domain), not the domain itself`, source: "getaddrinfo(3)" },
  { codes: ["ECONNREFUSED"], kind: "refused", hint: (c) => `nothing listens on port ${c.port}, or a firewall rejects it: check that the service runs (ss -ltn) and which ports it listens on`, source: "connect(2)" },
  {
    codes: ["ETIMEDOUT"],
    stage: "connect",
    kind: "timeout",
    hint: (c) => (c.port === 25 ? "the connection attempt got no answer: a firewall drops it, or your network blocks outbound port 25 (most ISPs and clouds do); try port 587 or from another network" : "the connection attempt got no answer: a firewall drops it, or the port is wrong"),
    source: "connect(2)",
  },
  { codes: ["ECONNRESET", "EPIPE"], stage: "connect", kind: "reset", hint: () => "the connection was reset: a firewall or an intrusion-prevention system may be cutting it", source: "connect(2)" },
  { codes: ["EHOSTUNREACH", "ENETUNREACH"], kind: "other", hint: () => "no route to the host: check the address, the VPN or the firewall", source: "connect(2)" },
  { codes: ["SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT"], kind: "certificate", hint: () => "the server uses a self-signed certificate: trust its CA with --ca FILE, or check without verification (`verify off` / --insecure)", source: "OpenSSL verify(1)" },
  { codes: ["CERT_HAS_EXPIRED"], kind: "certificate", hint: () => "the server's certificate has expired: renew it (and restart or reload the mail server so it loads the new one)", source: "OpenSSL verify(1)" },
  { codes: ["CERT_NOT_YET_VALID"], kind: "certificate", hint: () => "the certificate is not valid yet: the server's or this machine's clock is wrong (check NTP on both), or a certificate was installed before its start date", source: "OpenSSL verify(1)" },
  { codes: ["UNABLE_TO_GET_ISSUER_CERT"], kind: "certificate", hint: () => "the certificate's issuer is unknown here: a private CA (trust it with --ca FILE) or a missing intermediate in the server's chain file", source: "OpenSSL verify(1)" },
  { codes: ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"], kind: "certificate", hint: () => "the chain cannot be completed: the server probably does not send its intermediate certificate (configure the full chain file), or its CA is private (--ca FILE)", source: "OpenSSL verify(1)" },
  { codes: ["ERR_TLS_CERT_ALTNAME_INVALID"], kind: "certificate", hint: (c) => `the certificate does not name ${c.host}: connect with the name the certificate is for (often the MX host name), or set \`servername\``, source: "RFC 6125" },
  { codes: ["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG"], hint: (c) => `the server answered in plaintext on a TLS connection: this port does not speak implicit TLS; try ${c.plainSchemes} with \`starttls\``, source: "RFC 8314 §3" },
  {
    codes: ["ERR_SSL_UNSUPPORTED_PROTOCOL", "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "ERR_SSL_UNSUPPORTED_PROTOCOL_VERSION"],
    hint: (c) => `no TLS version is acceptable to both sides: the server and this client${c.pinned ? ` (the script offered ${c.pinned})` : ""} pin different versions; run recipe:tls-versions to see which the server accepts`,
    source: "RFC 8446 §6.2",
  },
  { codes: ["ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER"], hint: () => "no cipher acceptable to both sides: the server may only offer old ciphers (try `ciphers \"DEFAULT@SECLEVEL=0\"` to see) or the script's `ciphers` is too narrow", source: "RFC 8446 §6.2" },
];

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function rowFor(code: string | undefined, context: ConnectionContext): ConnectionRow | undefined {
  if (!code) return undefined;
  return CONNECTION_ERRORS.find((row) => row.codes.includes(code) && (!row.stage || row.stage === context.stage) && (!row.when || row.when(context)));
}

/** The hint for an error code at a stage of the connection, or undefined. */
export function hintForConnectionError(code: string, context: ConnectionContext): string | undefined {
  return rowFor(code, context)?.hint(context);
}

function kindOf(code: string | undefined, context: ConnectionContext): ConnectionFailureKind {
  if (context.stage === "certificate") return "certificate";
  // OpenSSL's verification codes (CERT_HAS_EXPIRED, SELF_SIGNED_CERT_IN_CHAIN, …).
  if (code && !code.startsWith("ERR_SSL") && /CERT|SELF_SIGNED|^UNABLE_TO_/.test(code)) return "certificate";
  const kind = rowFor(code, context)?.kind ?? CONNECTION_ERRORS.find((row) => code && row.codes.includes(code) && row.kind)?.kind;
  if (kind && !(context.stage === "tls" && (kind === "timeout" || kind === "reset"))) return kind;
  if (context.stage === "tls" || (code && /^ERR_(SSL|TLS)/.test(code))) return "tls";
  return "other";
}

/** What happened at a UNIX socket, by the code connect(2) gave (ENOTSOCK: see runtime/connection.ts). */
function socketFailure(code: string | undefined, path: string): string {
  if (code === "ENOENT") return `no socket at ${path}`;
  if (code === "ENOTSOCK") return `${path} is not a socket`;
  if (code === "EACCES" || code === "EPERM") return `permission denied on the socket ${path}`;
  return `connection to the socket ${path} refused`;
}

export function classifyConnectionError(error: unknown, context: ConnectionContext): ConnectionFailure {
  const code = (error as { code?: string }).code;
  const kind = kindOf(code, context);
  const address = context.socket ?? `${context.host.includes(":") ? `[${context.host}]` : context.host}:${context.port}`;
  const messages: Partial<Record<ConnectionFailureKind, string>> = {
    dns: `cannot resolve ${context.host}`,
    refused: context.socket !== undefined ? socketFailure(code, context.socket) : `connection to ${address} refused`,
    timeout: `connection to ${address} timed out`,
  };
  const failure: ConnectionFailure = { kind, message: messages[kind] ?? `${(error as Error).message} (${address})`, cause: CAUSES[kind] };
  if (code) failure.code = code;
  if (kind === "refused" && context.socket !== undefined) failure.cause = "no server listens on that socket, or its path or permissions are wrong";
  if (kind === "other" && (code === "EHOSTUNREACH" || code === "ENETUNREACH")) failure.cause = "no route to the host: the network or a firewall";
  const hint = code ? hintForConnectionError(code, context) : undefined;
  if (hint) failure.hint = hint;
  return failure;
}
