// The connection as the script's own steps leave it: open or not, which protocol, encrypted
// or not. The compiler asks it before every step that needs a connection, so `auth` before
// `starttls`, `data` in POP3 or TLS facts on plaintext are compile errors.
import type * as A from "../../grammar/ast.js";
import type { Protocol } from "../protocols/types.js";
import { clientCertificate } from "./client-certificate.js";
import type { ReportError, Scope } from "./scope.js";
import type { TlsSettings } from "./steps.js";

export interface OpenConnection {
  /** "" for the script's single connection, or its name (`connect URL as NAME`). */
  name: string;
  protocol: Protocol;
  scheme: string;
  /** TLS from the first byte (an implicit-TLS scheme). */
  implicitTls: boolean;
  encrypted: boolean;
  /** The UNIX socket's path (`lmtp:///run/dovecot/lmtp`): no host name for TLS to check. */
  socket?: string;
  /** Routed by the MX records of a mail domain (`connect mx DOMAIN`). */
  mx?: boolean;
}

const TLS_ORDER = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export class ConnectionState {
  current: OpenConnection | undefined;
  /** Every open connection, by name: a script may hold several (`connect URL as NAME`). */
  private readonly open_ = new Map<string, OpenConnection>();
  private everConnected = false;

  constructor(private readonly error: ReportError) {}

  isOpen(name: string): boolean {
    return this.open_.has(name);
  }

  open(connection: OpenConnection): void {
    this.current = connection;
    this.open_.set(connection.name, connection);
    this.everConnected = true;
  }

  close(): void {
    if (this.current) this.open_.delete(this.current.name);
    this.current = undefined;
  }

  /** `use NAME`: the open session of that name, or an error saying which are open. */
  use(s: Extract<A.Statement, { kind: "use" }>): OpenConnection | undefined {
    const connection = this.open_.get(s.name);
    if (connection) return (this.current = connection);
    const names = [...this.open_.keys()].filter(Boolean);
    this.error("unknown-session", `no open session is named \`${s.name}\``, s.nameSpan, names.length > 0 ? `open sessions: ${names.join(", ")}` : "open one with `connect URL as NAME`");
    return undefined;
  }

  /** The open connection, or an error saying why there is none. */
  require(s: A.Statement, what: string): OpenConnection | undefined {
    if (this.current) return this.current;
    const before = this.everConnected ? "the connection was closed before it" : "no `connect` comes before it";
    this.error("not-connected", `\`${what}\` needs a connection, but ${before}`, s.span, "add `connect URL` first, e.g. `connect smtp://mx.example.com`");
    return undefined;
  }

  /** Whether a statement fits the connection's protocol; reports it when it does not. */
  allows(connection: OpenConnection, allowed: boolean, span: A.Span, what: string, why: string): boolean {
    if (allowed) return true;
    this.error("wrong-protocol", `${what} does not apply to ${connection.protocol.title} (this connection is \`${connection.scheme}://\`)`, span, why);
    return false;
  }

  /** TLS over a UNIX socket has no host name to check the certificate against: the script
   *  names one with `servername`, or turns verification off. */
  nameToVerify(settings: TlsSettings, span: A.Span): boolean {
    if (!settings.verify || settings.servername !== undefined) return true;
    this.error("socket-tls-name", "TLS over a UNIX socket has no host name to check the server's certificate against", span, "add `servername mx.example.com` (the name the certificate is for), or `verify off` to see the certificate without checking it");
    return false;
  }

  tlsSettings(options: A.TlsOption[], scope: Scope, insecure: boolean): TlsSettings {
    const settings: TlsSettings = { verify: !insecure };
    for (const option of options) {
      switch (option.kind) {
        case "version":
          settings.minVersion = option.version;
          settings.maxVersion = option.version;
          break;
        case "min":
          settings.minVersion = option.version;
          break;
        case "max":
          settings.maxVersion = option.version;
          break;
        case "servername": {
          const name = scope.known(option.name, "`servername`");
          if (name !== undefined) settings.servername = name;
          break;
        }
        case "ciphers": {
          const ciphers = scope.known(option.ciphers, "`ciphers`");
          if (ciphers !== undefined) settings.ciphers = ciphers;
          break;
        }
        case "verify-off":
          settings.verify = false;
          break;
        case "alpn": {
          const list = scope.known(option.protocols, "`alpn`");
          if (list === undefined) break;
          const protocols = list.split(",").map((p) => p.trim());
          // RFC 7301 §3.1: each protocol name is 1 to 255 bytes.
          if (protocols.some((p) => p.length === 0 || Buffer.byteLength(p) > 255)) this.error("bad-alpn", `\`${list}\` is not a list of ALPN protocol names`, option.protocols.span, 'names of 1 to 255 bytes, separated by commas: `alpn "imap"`, `alpn "h2,http/1.1"`');
          else settings.alpn = protocols;
          break;
        }
        case "client-cert":
        case "client-key":
        case "client-chain":
          break;
      }
    }
    const files = options.filter((o): o is Extract<A.TlsOption, { kind: "client-cert" | "client-key" | "client-chain" }> => o.kind === "client-cert" || o.kind === "client-key" || o.kind === "client-chain");
    if (files.length > 0) {
      const client = clientCertificate(files, scope, this.error);
      if (client) settings.client = client;
    }
    if (settings.minVersion && settings.maxVersion && TLS_ORDER.indexOf(settings.minVersion) > TLS_ORDER.indexOf(settings.maxVersion)) {
      const span = options.find((o) => o.kind === "min" || o.kind === "version")!.span;
      this.error("tls-range", `min ${settings.minVersion} is above max ${settings.maxVersion}: no TLS version is left`, span);
    }
    return settings;
  }
}
