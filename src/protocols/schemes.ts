// `scheme://host[:port]` in `connect`: the schemes and their ports come from the protocol
// table (protocols/index.ts).
import { SCHEMES } from "./index.js";

export { SCHEMES };

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
      help: bare ? `write \`smtp://${url}\` (or ${Object.keys(SCHEMES).filter((s) => s !== "smtp").map((s) => `${s}://`).join(", ")})` : "schemes: " + Object.keys(SCHEMES).join(", "),
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
