// The DNS questions mail delivery asks: MX, A/AAAA, PTR and TXT through Node's own resolver
// (c-ares), and TLSA through dns-packet, since c-ares gives neither TLSA records nor the
// answer's AD bit, which is how a validating resolver says "DNSSEC-secure" (RFC 7672 §2.2:
// Postfix trusts the AD bit of its local resolver the same way).
import { createSocket } from "node:dgram";
import { getServers, lookup, Resolver } from "node:dns/promises";
import { connect as tcpConnect, isIP } from "node:net";
import dnsPacket from "dns-packet";
import { DNS_QUERY_TIMEOUT_MS } from "../limits.js";

export interface DnsServer {
  address: string;
  port: number;
}

/** A DNS answer that was not an answer: the name does not exist, has no such record, or the
 *  server did not answer. `code` is c-ares's (ENOTFOUND, ENODATA, ETIMEOUT, …). */
export class DnsError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }

  /** The name exists without records of the type, or does not exist: a fact, not a fault. */
  get isNoData(): boolean {
    return this.code === "ENODATA" || this.code === "ENOTFOUND";
  }
}

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export interface TlsaAnswer {
  records: TlsaRecord[];
  /** The validating resolver set AD: the answer (or its denial) is DNSSEC-secure. */
  authenticated: boolean;
  /** NOERROR, NXDOMAIN, SERVFAIL … */
  rcode: string;
}

/** `--resolver ADDR[:PORT]`: an IPv4 address, or an IPv6 one bracketed when a port follows. */
export function parseResolver(text: string): DnsServer | { error: string } {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([0-9.]+)(?::(\d+))?$/.exec(text);
  const bare6 = isIP(text) === 6 ? [text, text] : undefined;
  const match = bracketed ?? plain ?? bare6;
  const port = match?.[2] === undefined ? 53 : Number(match[2]);
  if (!match || isIP(match[1]!) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: `--resolver takes an IP address and an optional port (127.0.0.1:5353, [::1]:5353), got \`${text}\`` };
  }
  return { address: match[1]!, port };
}

export function formatServer(server: DnsServer): string {
  return server.address.includes(":") ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}


export class DnsClient {
  private readonly resolver = new Resolver({ timeout: DNS_QUERY_TIMEOUT_MS, tries: 2 });

  /** Without a server, the system's (resolv.conf); host names then go through getaddrinfo. */
  constructor(readonly server?: DnsServer) {
    if (server) this.resolver.setServers([formatServer(server)]);
  }

  /** Which server answers, for transcripts. */
  get describe(): string {
    return this.server ? formatServer(this.server) : "the system's resolver";
  }

  async mx(domain: string): Promise<Array<{ preference: number; exchange: string }>> {
    return this.ask(`MX ${domain}`, () => this.resolver.resolveMx(domain)).then((records) => records.map((r) => ({ preference: r.priority, exchange: r.exchange })));
  }

  /** A and AAAA records of a name, in the order of `families`; NODATA for one family is none. */
  async addresses(host: string, families: ReadonlyArray<4 | 6>): Promise<Array<{ address: string; family: 4 | 6 }>> {
    if (isIP(host)) return families.includes(isIP(host) as 4 | 6) ? [{ address: host, family: isIP(host) as 4 | 6 }] : [];
    const found: Array<{ address: string; family: 4 | 6 }> = [];
    let lastError: DnsError | undefined;
    for (const family of families) {
      try {
        // localhost is the loopback whatever the DNS server says (RFC 6761 §6.3).
        const addresses = this.server && host.toLowerCase() !== "localhost" ? await this.ask(`${family === 4 ? "A" : "AAAA"} ${host}`, () => (family === 4 ? this.resolver.resolve4(host) : this.resolver.resolve6(host))) : await systemLookup(host, family);
        for (const address of addresses) found.push({ address, family });
      } catch (error) {
        if (!(error instanceof DnsError)) throw error;
        if (!error.isNoData) throw error;
        lastError = error;
      }
    }
    if (found.length === 0 && lastError && lastError.code === "ENOTFOUND") throw lastError;
    return found;
  }

  /** PTR names of an address, from DNS only (c-ares's reverse() would read /etc/hosts first). */
  async ptr(address: string): Promise<string[]> {
    return this.ask(`PTR of ${address}`, () => this.resolver.resolvePtr(reverseName(address)));
  }

  /** TXT records, each one's strings joined (RFC 7208 §3.3, RFC 8461 §3.1). */
  async txt(name: string): Promise<string[]> {
    return this.ask(`TXT ${name}`, () => this.resolver.resolveTxt(name)).then((records) => records.map((chunks) => chunks.join("")));
  }

  /** TLSA records with the AD bit, from the resolver itself (UDP, TCP when truncated). */
  async tlsa(name: string): Promise<TlsaAnswer> {
    const server = this.server ?? firstSystemServer();
    const query: Query = {
      type: "query",
      id: Math.floor(Math.random() * 65_535),
      // RFC 6840 §5.7: AD in a query asks the resolver to say whether the answer is secure.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
      questions: [{ type: "TLSA", name }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
    };
    let answer = await udpQuery(server, query);
    if (answer.flag_tc) answer = await tcpQuery(server, query);
    const records = (answer.answers ?? []).flatMap((a) => (a.type === "TLSA" ? [{ usage: a.data.usage, selector: a.data.selector, matchingType: a.data.matchingType, data: Buffer.from(a.data.certificate) }] : []));
    return { records, authenticated: Boolean(answer.flag_ad), rcode: answer.rcode };
  }

  private async ask<T>(what: string, question: () => Promise<T>): Promise<T> {
    try {
      return await question();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "EUNKNOWN";
      throw new DnsError(`${what}: ${describeCode(code)} (${this.describe})`, code);
    }
  }
}

async function systemLookup(host: string, family: 4 | 6): Promise<string[]> {
  try {
    return (await lookup(host, { family, all: true })).map((r) => r.address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EUNKNOWN";
    // getaddrinfo says EAI_NODATA/ENOTFOUND where c-ares would say NODATA for one family.
    throw new DnsError(`${family === 4 ? "A" : "AAAA"} ${host}: ${describeCode(code)} (getaddrinfo)`, code === "ENOTFOUND" ? "ENOTFOUND" : code);
  }
}

/** `1.2.0.192.in-addr.arpa`, or the nibbles of an IPv6 address under ip6.arpa. */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  const [head = "", tail = ""] = address.split("::");
  const groups = (part: string) => (part ? part.split(":") : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const full = [...groups(head), ...Array(address.includes("::") ? missing : 0).fill("0"), ...groups(tail)].map((g) => g.padStart(4, "0")).join("");
  return `${[...full].reverse().join(".")}.ip6.arpa`;
}

function describeCode(code: string): string {
  switch (code) {
    case "ENOTFOUND":
      return "no such name (NXDOMAIN)";
    case "ENODATA":
      return "no records of this type";
    case "ETIMEOUT":
      return "the DNS server did not answer";
    case "ESERVFAIL":
      return "the DNS server failed (SERVFAIL: a broken delegation or a DNSSEC validation failure)";
    case "ECONNREFUSED":
      return "the DNS server refused the connection";
    default:
      return `DNS error ${code}`;
  }
}

function firstSystemServer(): DnsServer {
  const first = getServers()[0];
  if (!first) throw new DnsError("no DNS server is configured (resolv.conf is empty): give one with --resolver", "ENOSERVER");
  const parsed = parseResolver(first);
  if ("error" in parsed) throw new DnsError(`the system's DNS server ${first} cannot be used for TLSA: give one with --resolver`, "ENOSERVER");
  return parsed;
}

type Query = dnsPacket.Packet;
/** The decoder also gives the response code, which the typings leave out. */
type Answer = dnsPacket.DecodedPacket & { rcode: string };

function udpQuery(server: DnsServer, query: Query): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const socket = createSocket(isIP(server.address) === 6 ? "udp6" : "udp4");
    const timer = setTimeout(() => finish(new DnsError(`TLSA ${query.questions![0]!.name}: the DNS server ${formatServer(server)} did not answer within ${DNS_QUERY_TIMEOUT_MS / 1000} s`, "ETIMEOUT")), DNS_QUERY_TIMEOUT_MS);
    const finish = (error: Error | undefined, answer?: Answer) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolvePromise(answer!);
    };
    socket.on("error", (error) => finish(new DnsError(`TLSA: ${error.message}`, (error as NodeJS.ErrnoException).code ?? "EUNKNOWN")));
    socket.on("message", (message) => {
      let answer: Answer;
      try {
        answer = dnsPacket.decode(message) as Answer;
      } catch {
        return; // Not a DNS message: wait for the real answer or the timeout.
      }
      if (answer.id === query.id) finish(undefined, answer);
    });
    socket.send(dnsPacket.encode(query), server.port, server.address);
  });
}

function tcpQuery(server: DnsServer, query: Query): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const socket = tcpConnect({ host: server.address, port: server.port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new DnsError(`TLSA over TCP: the DNS server ${formatServer(server)} did not answer within ${DNS_QUERY_TIMEOUT_MS / 1000} s`, "ETIMEOUT")), DNS_QUERY_TIMEOUT_MS);
    const finish = (error: Error | undefined, answer?: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolvePromise(answer!);
    };
    socket.on("error", (error) => finish(new DnsError(`TLSA over TCP: ${error.message}`, (error as NodeJS.ErrnoException).code ?? "EUNKNOWN")));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      try {
        finish(undefined, dnsPacket.streamDecode(received) as Answer);
      } catch (error) {
        finish(new DnsError(`TLSA over TCP: a malformed answer (${(error as Error).message})`, "EBADRESP"));
      }
    });
    socket.on("connect", () => socket.write(dnsPacket.streamEncode(query)));
  });
}
