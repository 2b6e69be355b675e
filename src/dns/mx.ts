// Where mail for a domain goes (RFC 5321 §5.1): its MX hosts by preference, the domain itself
// when it has none (the implicit MX), and nowhere when it publishes a null MX (RFC 7505).
import { type DnsClient, DnsError } from "./client.js";

export interface MxHost {
  preference: number;
  host: string;
}

export type MxRoute =
  | { kind: "mx"; hosts: MxHost[] }
  /** No MX records: the domain's own A/AAAA is the implicit MX (RFC 5321 §5.1). */
  | { kind: "implicit"; hosts: MxHost[] }
  /** `MX 0 .`: the domain accepts no mail (RFC 7505 §3). */
  | { kind: "null" };

/**
 * The MX hosts in the order they are tried: by preference, and among equal preferences by
 * name. RFC 5321 §5.1 has an MTA shuffle equal preferences to spread load; mailchat does not,
 * so a run is reproducible and its transcript comparable with a golden file.
 */
export async function resolveMx(dns: DnsClient, domain: string): Promise<MxRoute> {
  let records: Array<{ preference: number; exchange: string }>;
  try {
    records = await dns.mx(domain);
  } catch (error) {
    if (error instanceof DnsError && error.code === "ENODATA") return { kind: "implicit", hosts: [{ preference: 0, host: domain }] };
    throw error;
  }
  // c-ares gives "." as the empty name.
  if (records.some((r) => r.exchange === "" || r.exchange === ".")) return { kind: "null" };
  const hosts = records.map((r) => ({ preference: r.preference, host: r.exchange.replace(/\.$/, "").toLowerCase() }));
  hosts.sort((a, b) => a.preference - b.preference || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { kind: "mx", hosts };
}

export function describeMx(domain: string, route: MxRoute): string {
  if (route.kind === "null") return `mx ${domain}: null MX (0 .): the domain accepts no mail (RFC 7505)`;
  if (route.kind === "implicit") return `mx ${domain}: no MX records; the domain itself is the implicit MX (RFC 5321 §5.1)`;
  return `mx ${domain}: ${route.hosts.map((h) => `${h.preference} ${h.host}`).join(", ")}`;
}
