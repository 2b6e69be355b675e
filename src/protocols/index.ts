// Every protocol mailchat speaks, once. Adding one is its own file (or folder) and one entry
// in this table: names, schemes and ports are derived from it, and the type checker flags
// every descriptor field a new protocol leaves out.
import { imap } from "./imap/index.js";
import { lmtp } from "./lmtp.js";
import { pop3 } from "./pop3.js";
import { sieve } from "./sieve.js";
import { smtp } from "./smtp.js";
import type { Protocol, Scheme } from "./types.js";

export const PROTOCOL_TABLE = [smtp, lmtp, pop3, imap, sieve] as const satisfies readonly Protocol[];

export type ProtocolName = (typeof PROTOCOL_TABLE)[number]["name"];

export const PROTOCOL_NAMES: readonly ProtocolName[] = PROTOCOL_TABLE.map((protocol) => protocol.name);

/** URL schemes a script may connect to: the scheme fixes the protocol, the default port and
 *  whether TLS starts at once (implicit TLS, RFC 8314) or by STARTTLS. */
export const SCHEMES: Readonly<Record<string, Scheme & { protocol: ProtocolName }>> = Object.fromEntries(
  PROTOCOL_TABLE.flatMap((protocol) => protocol.schemes.map((scheme) => [scheme.scheme, { ...scheme, protocol: protocol.name }])),
);

export function isProtocolName(name: string): name is ProtocolName {
  return (PROTOCOL_NAMES as readonly string[]).includes(name);
}

export function protocolFor(name: string): Protocol | undefined {
  return PROTOCOL_TABLE.find((protocol) => protocol.name === name);
}
