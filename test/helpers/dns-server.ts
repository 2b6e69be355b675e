// A small authoritative DNS server on a real UDP socket (dns-packet encodes and decodes), for
// the default suite: it answers from a table of records, NXDOMAIN for names it does not hold,
// NODATA for types a name lacks, and sets the AD bit for the names marked signed — what a
// validating resolver says of a DNSSEC-secure answer. The interop suite proves the same
// against real unbound and NSD with a signed zone.
import { createSocket, type Socket } from "node:dgram";
import dnsPacket from "dns-packet";

export type TestRecord =
  | { name: string; type: "A" | "AAAA" | "PTR"; data: string }
  | { name: string; type: "MX"; data: { preference: number; exchange: string } }
  | { name: string; type: "TXT"; data: string }
  | { name: string; type: "TLSA"; data: { usage: number; selector: number; matchingType: number; certificate: Buffer } };

export interface TestDnsServer {
  port: number;
  address: string;
  /** `--resolver` argument. */
  resolver: string;
  queries: Array<{ name: string; type: string; ad: boolean }>;
  stop(): Promise<void>;
}

export async function startDnsServer(records: TestRecord[], options: { signed?: (name: string) => boolean } = {}): Promise<TestDnsServer> {
  const socket: Socket = createSocket("udp4");
  const queries: TestDnsServer["queries"] = [];
  const lower = (name: string) => name.toLowerCase().replace(/\.$/, "");
  socket.on("message", (message, remote) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = lower(question.name);
    queries.push({ name, type: question.type, ad: Boolean(query.flag_ad) });
    const exists = records.some((r) => lower(r.name) === name);
    const answers = records
      .filter((r) => lower(r.name) === name && r.type === question.type)
      .map((r) => ({ name: question.name, type: r.type, class: "IN" as const, ttl: 60, data: r.data }) as dnsPacket.Answer);
    const signed = options.signed?.(name) ?? false;
    const response = {
      type: "response" as const,
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (signed ? dnsPacket.AUTHENTIC_DATA : 0) | (exists ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers,
    };
    socket.send(dnsPacket.encode(response), remote.port, remote.address);
  });
  await new Promise<void>((resolvePromise) => socket.bind(0, "127.0.0.1", () => resolvePromise()));
  const port = socket.address().port;
  return {
    port,
    address: "127.0.0.1",
    resolver: `127.0.0.1:${port}`,
    queries,
    stop: () => new Promise((resolvePromise) => socket.close(() => resolvePromise())),
  };
}

/** `1.0.0.127.in-addr.arpa` for 127.0.0.1. */
export function reverseName(address: string): string {
  return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
}
