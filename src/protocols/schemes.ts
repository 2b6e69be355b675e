// `scheme://host[:port]` in `connect`: the schemes and their ports come from the protocol
// table (protocols/index.ts). `scheme:///absolute/path` (an empty host, as in file:///) is a
// UNIX-domain socket: LMTP to Dovecot or Cyrus over its socket, swaks --socket.
import { SCHEMES } from "./index.js";

export { SCHEMES };

export interface Endpoint {
  scheme: string;
  /** "" for a UNIX socket. */
  host: string;
  /** 0 for a UNIX socket. */
  port: number;
  /** The socket's path, for `scheme:///path`. */
  socket?: string;
}

type Parsed = Endpoint | { error: string; help?: string };

const schemeList = () => "schemes: " + Object.keys(SCHEMES).join(", ");

/** Parses `scheme://host[:port]`; hosts may be names, IPv4 or bracketed IPv6 literals. */
export function parseEndpoint(url: string): Parsed {
  const socket = /^([a-z0-9+.-]+):\/\/(\/.*)$/is.exec(url);
  if (socket) return parseSocket(url, socket[1]!, socket[2]!);
  const match = /^([a-z0-9+.-]+):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d+))?\/?$/i.exec(url);
  if (!match) {
    const bare = /^[^\s:/]+(?::\d+)?$/.test(url);
    // `lmtp://run/dovecot/lmtp`: a socket path that lost its leading slash (a relative one).
    const relative = /^[a-z0-9+.-]+:\/\/[^\s:/[\]]+\/./i.exec(url);
    return {
      error: `\`${url}\` is not a URL of the form scheme://host[:port]${relative ? " or scheme:///path/to/socket" : ""}`,
      help: bare
        ? `write \`smtp://${url}\` (or ${Object.keys(SCHEMES).filter((s) => s !== "smtp").map((s) => `${s}://`).join(", ")})`
        : relative
          ? "a UNIX socket is named by its absolute path after three slashes: `lmtp:///run/dovecot/lmtp`"
          : schemeList(),
    };
  }
  const scheme = match[1]!.toLowerCase();
  const host = match[2]!.replace(/^\[|\]$/g, "");
  const known = SCHEMES[scheme];
  if (!known) return { error: `unknown scheme \`${scheme}://\``, help: schemeList() };
  const port = match[3] === undefined ? known.defaultPort : Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: `port ${match[3]} is out of range (1-65535)` };
  return { scheme, host, port };
}

/** `scheme:///path`: the path is percent-decoded (`%20` for a space), as in a file: URL. */
function parseSocket(url: string, rawScheme: string, rawPath: string): Parsed {
  const scheme = rawScheme.toLowerCase();
  if (!SCHEMES[scheme]) return { error: `unknown scheme \`${scheme}://\``, help: schemeList() };
  const port = /:(\d+)$/.exec(rawPath);
  if (port) {
    return {
      error: `\`${url}\` names a UNIX socket, which has no port (\`:${port[1]}\`)`,
      help: `drop \`:${port[1]}\` (a variable holding a socket path goes in \`${scheme}://\${host}\` without a port); a path that really ends in \`:${port[1]}\` is written \`%3A${port[1]}\``,
    };
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { error: `\`${url}\`: a \`%\` in a socket path must start an escape such as \`%20\``, help: "write a literal % as `%25`" };
  }
  if (/[\0\r\n]/.test(path)) return { error: `\`${url}\`: a socket path cannot hold a NUL or a line break` };
  if (path === "/" || path.endsWith("/")) return { error: `\`${url}\` names a directory, not a socket`, help: "name the socket file itself: `lmtp:///run/dovecot/lmtp`" };
  return { scheme, host: "", port: 0, socket: path };
}

/** A socket path as it is written in a URL: `%`, white space and control characters escaped. */
export function socketUrlPath(path: string): string {
  return path.replace(/[%\s\x00-\x1f\x7f]|:(?=\d+$)/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.socket !== undefined) return `${endpoint.scheme}://${socketUrlPath(endpoint.socket)}`;
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.scheme}://${host}:${endpoint.port}`;
}

/** Where a connection goes, as messages name it: `mx.example.com:25`, `[::1]:25`, or the
 *  socket's path. */
export function describeAddress(target: { host: string; port: number; socket?: string | undefined }): string {
  if (target.socket !== undefined) return target.socket;
  return `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
}
