// Which addresses a `connect` tries, in order: a mail domain's MX hosts by preference (RFC 5321
// §5.1), each host's addresses in the order of the families asked for. The transcript says
// what DNS answered; a null MX or a domain without addresses is a located connection failure.
import { isIP } from "node:net";
import type { Step } from "../../compile/steps.js";
import { DnsError } from "../../dns/client.js";
import { describeMx, resolveMx, type MxRoute } from "../../dns/mx.js";
import type { RunContext } from "../context.js";
import { StepConnectionFailure } from "../failures.js";

export interface Target {
  host: string;
  address: string;
  /** The MX preference, for a target found through MX records. */
  preference?: number;
}

export interface Plan {
  targets: Target[];
  domain?: string;
  mx?: MxRoute;
}

/** Without a family named: IPv6 first, then IPv4, as RFC 6724's default policy orders them. */
const BOTH: ReadonlyArray<4 | 6> = [6, 4];

type ConnectStep = Extract<Step, { kind: "connect" }>;

export async function planRoute(ctx: RunContext, step: ConnectStep): Promise<Plan> {
  const routing = step.routing ?? {};
  const families = routing.families ?? BOTH;
  try {
    if (!routing.mx) {
      // An address literal, or a name with no routing asked for: the socket resolves it.
      if (isIP(step.host) || (!routing.families && !ctx.options.resolver)) return { targets: [{ host: step.host, address: step.host }] };
      const addresses = await ctx.dns.addresses(step.host, families);
      if (addresses.length === 0) throw dnsFailure(`${step.host} has no ${familyWords(families)} address`, "ENODATA", `${step.host} resolves, but not to an ${familyWords(families)} address: drop the family word, or check its ${families.map((f) => (f === 4 ? "A" : "AAAA")).join(" and ")} records`);
      return { targets: addresses.map((a) => ({ host: step.host, address: a.address })) };
    }
    const domain = step.host;
    const mx = await resolveMx(ctx.dns, domain);
    ctx.emit({ type: "marker", message: describeMx(domain, mx) });
    if (mx.kind === "null") throw dnsFailure(`${domain} publishes a null MX (0 .): it accepts no mail`, "NULL_MX", "RFC 7505: a domain that sends no mail and receives none says so with `MX 0 .`; mail to it bounces at once (5.1.10). Check the recipient's domain, or remove the null MX if the domain should receive mail");
    const targets: Target[] = [];
    for (const { host, preference } of mx.hosts) {
      let addresses: Array<{ address: string }>;
      try {
        addresses = await ctx.dns.addresses(host, families);
      } catch (error) {
        if (!(error instanceof DnsError)) throw error;
        ctx.emit({ type: "marker", message: `${host}: skipped: ${error.message.replace(/ \(.*\)$/, "")}` });
        continue;
      }
      if (addresses.length === 0) ctx.emit({ type: "marker", message: `${host}: skipped: no ${familyWords(families)} address` });
      for (const { address } of addresses) targets.push({ host, address, preference });
    }
    if (targets.length === 0) throw dnsFailure(`no MX host of ${domain} has an ${familyWords(families)} address`, "ENODATA", `check the A/AAAA records of ${mx.hosts.map((h) => h.host).join(", ")}: an MX must name a host with addresses (RFC 5321 §5.1), never a CNAME or an IP address`);
    return { targets, domain, mx };
  } catch (error) {
    if (error instanceof DnsError) throw dnsFailure(error.message, error.code, "check the name, and that the DNS server answers (`--resolver ADDR[:PORT]` names one)");
    throw error;
  }
}

function familyWords(families: ReadonlyArray<4 | 6>): string {
  return families.map((f) => `IPv${f}`).join(" or ");
}

function dnsFailure(message: string, code: string, hint: string): StepConnectionFailure {
  // A DNS server that cannot be asked says nothing of the name: the cause is the server.
  const unasked = code === "ETIMEOUT" || code === "ECONNREFUSED" || code === "ESERVFAIL";
  return new StepConnectionFailure({ kind: "dns", code, message, cause: unasked ? "DNS: the DNS server did not answer the question" : "DNS: the name does not lead to a server", hint });
}

/** `mx2.example.com [192.0.2.7] (MX 20)`. */
export function describeTarget(target: Target): string {
  return `${target.host}${target.host === target.address ? "" : ` [${target.address}]`}${target.preference === undefined ? "" : ` (MX ${target.preference})`}`;
}
