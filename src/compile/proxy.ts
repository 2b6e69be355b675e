// `connect URL proxy v1|v2 client ADDRESS[:PORT] [server ADDRESS:PORT]`: the PROXY protocol
// header's settings, checked before anything is sent.
import { net } from "../builtins.js";
import type * as A from "../../grammar/ast.js";
import { familyOf, parseProxyPeer, type ProxyPeer } from "../protocols/proxy-header.js";
import type { Endpoint } from "../protocols/schemes.js";
import type { ReportError, Scope } from "./scope.js";
import type { ProxySettings } from "./steps.js";

/** The settings, or null after reporting what is wrong. */
export function proxySettings(clause: A.ProxyClause, endpoint: Endpoint, scope: Scope, error: ReportError): ProxySettings | null {
  const written = scope.known(clause.version, "the PROXY protocol version");
  if (written === undefined) return null;
  const version = /^v?([12])$/i.exec(written)?.[1];
  if (!version) {
    error("proxy-version", `\`${written}\` is not a PROXY protocol version`, clause.version.span, "write `proxy v1` (the text header) or `proxy v2` (the binary one)");
    return null;
  }
  const client = peer(clause.client, "client", scope, error);
  if (!client) return null;
  const settings: ProxySettings = { version: Number(version) as 1 | 2, client };
  if (clause.server) {
    const server = peer(clause.server, "server", scope, error);
    if (!server) return null;
    if (server.port === undefined) {
      error("proxy-address", `the PROXY header's server address \`${server.address}\` needs its port`, clause.server.span, `write \`server ${server.address.includes(":") ? `[${server.address}]` : server.address}:${endpoint.port || 25}\``);
      return null;
    }
    if (familyOf(server.address) !== familyOf(client.address)) {
      error("proxy-address", `the PROXY header's client ${client.address} and server ${server.address} are of different address families`, clause.server.span, "a header names both in IPv4 (TCP4) or both in IPv6 (TCP6)");
      return null;
    }
    settings.server = { address: server.address, port: server.port };
  } else if (net().isIP(endpoint.host) && familyOf(endpoint.host) !== familyOf(client.address)) {
    // A host name's family is known only once it resolves: then the run says so.
    error("proxy-address", `the PROXY header's client ${client.address} is IPv${familyOf(client.address)}, but the connection goes to ${endpoint.host} (IPv${familyOf(endpoint.host)})`, clause.span, `a header names both in one family: name the server address in the client's family (\`server ${familyOf(client.address) === 4 ? "127.0.0.1" : "[::1]"}:${endpoint.port}\`)`);
    return null;
  } else if (endpoint.socket !== undefined) {
    error("proxy-address", "over a UNIX socket there is no server address for the PROXY header to name", clause.span, `name the one the proxy would have accepted on: \`server ${familyOf(client.address) === 4 ? "127.0.0.1" : "[::1]"}:25\``);
    return null;
  }
  return settings;
}

function peer(template: A.Template, what: string, scope: Scope, error: ReportError): ProxyPeer | undefined {
  const text = scope.known(template, `the PROXY header's ${what} address`);
  if (text === undefined) return undefined;
  const parsed = parseProxyPeer(text);
  if ("error" in parsed) {
    error("proxy-address", parsed.error, template.span);
    return undefined;
  }
  return parsed;
}
