// The PROXY protocol header (haproxy's proxy-protocol.txt, v1 text and v2 binary) that a
// load balancer writes before anything else on a connection, naming the client it accepted:
// `connect … proxy v2 client 192.0.2.10:5555`. Built with proxy-protocol-js; what is ours is
// reading the addresses as a script writes them and showing the header in the transcript.
import { net } from "../builtins.js";
import { IPv4Address, IPv4ProxyAddress, IPv6Address, IPv6ProxyAddress, INETProtocol, Peer, V1ProxyProtocol, V2ProxyProtocol, Command, TransportProtocol } from "proxy-protocol-js";

export type ProxyVersion = 1 | 2;

export interface ProxyPeer {
  address: string;
  /** Absent where the script left it to the connection (the client's: our own local port). */
  port?: number;
}

export interface ProxyHeader {
  bytes: Buffer;
  /** The header as the transcript shows it. */
  shown: string;
}

/** `192.0.2.10`, `192.0.2.10:5555`, `2001:db8::1`, `[2001:db8::1]:5555`. */
export function parseProxyPeer(text: string): ProxyPeer | { error: string } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(text);
  const v4 = /^([0-9.]+)(?::(\d+))?$/.exec(text);
  const [address, port] = bracketed ? [bracketed[1]!, bracketed[2]] : v4 ? [v4[1]!, v4[2]] : [text, undefined];
  if (!net().isIPv4(address) && !(net().isIPv6(address) && !address.includes("%"))) {
    return { error: `\`${text}\` is not an IP address (a PROXY header names addresses, not host names): write 192.0.2.10, 192.0.2.10:5555 or [2001:db8::1]:5555` };
  }
  // proxy-protocol.txt §2.1: no leading zeros in IPv4 (they would read as octal elsewhere).
  if (net().isIPv4(address) && address.split(".").some((part) => part.length > 1 && part.startsWith("0"))) return { error: `\`${text}\`: an IPv4 address in a PROXY header has no leading zeros` };
  if (port === undefined) return { address: address.toLowerCase() };
  const number = Number(port);
  if (!Number.isInteger(number) || number > 65535) return { error: `port ${port} in \`${text}\` is out of range (0-65535)` };
  return { address: address.toLowerCase(), port: number };
}

export const familyOf = (address: string): 4 | 6 => (net().isIPv4(address) ? 4 : 6);

/** An IPv6 address's 16 bytes (an IPv4 tail, as in ::ffff:192.0.2.1, included). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const groups = (part: string) => (part ? part.split(":") : []);
  const missing = 8 - groups(head).length - (rest === undefined ? 0 : groups(rest).length);
  const all = rest === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill("0"), ...groups(rest)];
  return all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

const hex = (bytes: Uint8Array, from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString("hex");

/** The header for a client and a server of the same address family, both with ports. */
export function buildProxyHeader(version: ProxyVersion, client: Required<ProxyPeer>, server: Required<ProxyPeer>): ProxyHeader {
  const family = familyOf(client.address);
  if (version === 1) {
    const line = new V1ProxyProtocol(family === 4 ? INETProtocol.TCP4 : INETProtocol.TCP6, new Peer(client.address, client.port), new Peer(server.address, server.port)).build();
    return { bytes: Buffer.from(line, "latin1"), shown: `proxy v1: ${line.replace(/\r\n$/, "")}` };
  }
  const addresses =
    family === 4
      ? new IPv4ProxyAddress(IPv4Address.createFrom(client.address.split(".").map(Number)), client.port, IPv4Address.createFrom(server.address.split(".").map(Number)), server.port)
      : new IPv6ProxyAddress(IPv6Address.createFrom(ipv6Bytes(client.address)), client.port, IPv6Address.createFrom(ipv6Bytes(server.address)), server.port);
  const bytes = new V2ProxyProtocol(Command.PROXY, TransportProtocol.STREAM, addresses).build();
  const length = family === 4 ? 4 : 16;
  const where = (peer: Required<ProxyPeer>) => (family === 4 ? `${peer.address}:${peer.port}` : `[${peer.address}]:${peer.port}`);
  // Field by field, as the spec lays them out: signature, version and command, family and
  // transport, length, source address, destination address, source port, destination port.
  const fields = [hex(bytes, 0, 12), hex(bytes, 12, 13), hex(bytes, 13, 14), hex(bytes, 14, 16), hex(bytes, 16, 16 + length), hex(bytes, 16 + length, 16 + 2 * length), hex(bytes, 16 + 2 * length, 18 + 2 * length), hex(bytes, 18 + 2 * length, 20 + 2 * length)];
  return { bytes: Buffer.from(bytes), shown: `proxy v2: PROXY TCP${family} client ${where(client)} server ${where(server)} (${bytes.length} bytes: ${fields.join(" ")})` };
}
