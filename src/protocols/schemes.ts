// URL schemes a script may connect to. The scheme fixes the protocol, the default port and
// whether TLS starts at once (implicit TLS, RFC 8314) or by STARTTLS.
import type { ProtocolName } from "../compile/steps.js";

export interface Scheme {
  protocol: ProtocolName;
  defaultPort: number;
  implicitTls: boolean;
}

export const SCHEMES: Readonly<Record<string, Scheme>> = {
  smtp: { protocol: "smtp", defaultPort: 25, implicitTls: false }, // RFC 5321
  submission: { protocol: "smtp", defaultPort: 587, implicitTls: false }, // RFC 6409
  smtps: { protocol: "smtp", defaultPort: 465, implicitTls: true }, // RFC 8314 §3.3
  lmtp: { protocol: "lmtp", defaultPort: 24, implicitTls: false }, // RFC 2033
  pop3: { protocol: "pop3", defaultPort: 110, implicitTls: false }, // RFC 1939
  pop3s: { protocol: "pop3", defaultPort: 995, implicitTls: true }, // RFC 8314
  imap: { protocol: "imap", defaultPort: 143, implicitTls: false }, // RFC 9051
  imaps: { protocol: "imap", defaultPort: 993, implicitTls: true }, // RFC 8314
};

export interface Endpoint {
  scheme: string;
  host: string;
  port: number;
}

/** Parses `scheme://host[:port]`; hosts may be names, IPv4 or bracketed IPv6 literals. */
export function parseEndpoint(url: string): Endpoint | { error: string; help?: string } {
  const match = /^([a-z0-9+.-]+):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d+))?\/?$/i.exec(url);
  if (!match) {
    const bare = /^[^\s:/]+(?::\d+)?$/.test(url);
    return {
      error: `\`${url}\` is not a URL of the form scheme://host[:port]`,
      help: bare ? `write \`smtp://${url}\` (or submission://, smtps://, lmtp://, pop3://, pop3s://, imap://, imaps://)` : "schemes: " + Object.keys(SCHEMES).join(", "),
    };
  }
  const scheme = match[1]!.toLowerCase();
  const host = match[2]!.replace(/^\[|\]$/g, "");
  const known = SCHEMES[scheme];
  if (!known) return { error: `unknown scheme \`${scheme}://\``, help: "schemes: " + Object.keys(SCHEMES).join(", ") };
  const port = match[3] === undefined ? known.defaultPort : Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: `port ${match[3]} is out of range (1-65535)` };
  return { scheme, host, port };
}

export function formatEndpoint(endpoint: Endpoint): string {
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.scheme}://${host}:${endpoint.port}`;
}
