// `expect mx`, `expect [local] rdns`, `expect dane`, `expect mta-sts`: DNS facts of the
// connection, asked when the step runs; what DNS said goes in the transcript, so a failure
// shows its evidence.
import { isIP } from "node:net";
import type { DnsCheck } from "../../compile/steps.js";
import { DnsError } from "../../dns/client.js";
import { daneStatus } from "../../dns/dane.js";
import { describePolicy, mtaStsStatus, mxMatches, tlsRpt, type MtaStsStatus } from "../../dns/mta-sts.js";
import { DANE_HINTS, MTA_STS_HINTS, mxHint, rdnsHint } from "../../hints/dns.js";
import type { RunContext } from "../context.js";
import type { Failure } from "../events.js";
import { describePattern, matchPattern } from "../expectations.js";
import { StepConnectionFailure, StepFailure } from "../failures.js";

export async function dnsCheck(ctx: RunContext, check: DnsCheck): Promise<void> {
  try {
    const failure = await judge(ctx, check);
    if (failure) throw new StepFailure(failure);
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    throw new StepConnectionFailure({ kind: "dns", code: error.code, message: error.message, cause: "DNS: the question got no answer", hint: "check that the DNS server answers (`--resolver ADDR[:PORT]` names one)" });
  }
}

async function judge(ctx: RunContext, check: DnsCheck): Promise<Failure | undefined> {
  const route = ctx.current.route;
  const connection = ctx.connection;
  if (!connection) return { message: "the connection is gone", expected: "a connection", actual: "none" };
  if (!route) return { message: "no DNS was asked for this connection: --sandbox serves every host itself, so DNS facts can only be checked against the real servers", expected: "a connection made through DNS", actual: "a sandbox connection" };
  switch (check.kind) {
    case "mx-set": {
      const hosts = route.mx?.kind === "mx" ? route.mx.hosts.map((h) => h.host) : [];
      const actual = route.mx?.kind === "mx" ? hosts.join(", ") : route.mx?.kind === "implicit" ? "no MX records (implicit MX)" : "null MX";
      const wanted = [...check.hosts].sort();
      const same = wanted.length === hosts.length && [...hosts].sort().every((h, i) => h === wanted[i]);
      return same ? undefined : { message: `expected the MX hosts of ${route.domain} to be ${check.hosts.join(", ")}`, expected: check.hosts.join(", "), actual, hint: mxHint() };
    }
    case "rdns": {
      const address = check.local ? route.localAddress : route.address;
      route.rdns ??= new Map();
      const known = route.rdns;
      if (!known.has(address)) known.set(address, reverseDns(ctx, address));
      const { names, confirmed, shown } = await known.get(address)!;
      const who = check.local ? "the address sent from" : "the server's address";
      if (check.expected.kind === "confirmed") {
        if (confirmed.length > 0) return undefined;
        return { message: `expected ${who} ${address} to have forward-confirmed reverse DNS`, expected: "rdns confirmed", actual: shown, hint: rdnsHint(check.local, names.length === 0 ? "none" : "unconfirmed") };
      }
      const pattern = check.expected.pattern;
      const render = ctx.render;
      if (names.some((n) => (pattern.kind === "text" ? n === render(pattern.text).toLowerCase().replace(/\.$/, "") : matchPattern(pattern, n, render).found))) return undefined;
      return { message: `expected the PTR name of ${who} ${address} to match ${describePattern(pattern, render)}`, expected: describePattern(pattern, render), actual: shown, hint: rdnsHint(check.local, names.length === 0 ? "none" : "other-name") };
    }
    case "dane": {
      const status = await daneStatus(ctx.dns, route.host, ctx.port, connection.peerChain());
      ctx.emit({ type: "marker", message: `dane ${status.name}: ${status.outcome}: ${status.detail}` });
      if (status.outcome === check.outcome) return undefined;
      const failure: Failure = { message: `expected DANE to be ${check.outcome} for ${route.host}, it is ${status.outcome}: ${status.detail}`, expected: `dane ${check.outcome}`, actual: `dane ${status.outcome}` };
      if (DANE_HINTS[status.outcome]) failure.hint = DANE_HINTS[status.outcome];
      return failure;
    }
    case "mta-sts": {
      // The compiler admits `expect mta-sts` only after `connect mx`, which always sets the domain.
      const domain = route.domain ?? route.host;
      const status = await (route.mtaSts ??= fetchMtaSts(ctx, domain));
      const mode = status.kind === "policy" ? status.policy.mode : "absent";
      if (check.outcome !== "valid") {
        if (mode === check.outcome) return undefined;
        const detail = status.kind === "broken" ? `: ${status.detail}` : "";
        return { message: `expected the MTA-STS policy of ${domain} to be in mode ${check.outcome}, it is ${mode === "absent" ? "absent" : `in mode ${mode}`}${detail}`, expected: `mta-sts ${check.outcome}`, actual: `mta-sts ${mode}`, hint: MTA_STS_HINTS[check.outcome] };
      }
      if (status.kind !== "policy" || status.policy.mode === "none") return { message: `expected ${route.host} to satisfy the MTA-STS policy of ${domain}, but there is none in force (${mode === "absent" && status.kind === "broken" ? status.detail : `mode ${mode}`})`, expected: "mta-sts valid", actual: `mta-sts ${mode}`, hint: MTA_STS_HINTS.absent };
      const listed = status.policy.mx.some((p) => mxMatches(p, route.host));
      const tls = connection.tls;
      const certified = Boolean(tls?.authorized) && (tls?.servername === undefined || tls.servername.toLowerCase() === route.host.toLowerCase());
      if (listed && certified) return undefined;
      const why = !listed ? `${route.host} matches none of the policy's mx patterns (${status.policy.mx.join(", ")})` : `the certificate of ${route.host} does not verify for its name (${tls?.authorizationError ?? "another name was given with servername"})`;
      return { message: `${route.host} does not satisfy the MTA-STS policy of ${domain}: ${why}`, expected: "mta-sts valid", actual: why, hint: MTA_STS_HINTS.valid };
    }
  }
}

/** The policy, TXT and TLS-RPT records of a domain, shown once: a connection asks once
 *  however many `expect mta-sts` lines judge it, as a sender caches the policy. */
async function fetchMtaSts(ctx: RunContext, domain: string): Promise<MtaStsStatus> {
  const options: Parameters<typeof mtaStsStatus>[2] = {};
  if (ctx.options.ca) options.ca = ctx.options.ca;
  if (ctx.options.policyPort) options.port = ctx.options.policyPort;
  const status = await mtaStsStatus(ctx.dns, domain, options);
  const report = await tlsRpt(ctx.dns, domain);
  if (status.kind === "absent") ctx.emit({ type: "marker", message: `mta-sts ${domain}: ${status.detail}` });
  else ctx.emit({ type: "marker", message: `mta-sts ${domain}: TXT "${status.txt}"` });
  if (status.kind === "broken") ctx.emit({ type: "marker", message: `mta-sts ${domain}: ${status.detail}` });
  if (status.kind === "policy") ctx.emit({ type: "marker", message: `mta-sts policy: ${describePolicy(status.policy)}` });
  ctx.emit({ type: "marker", message: `tls-rpt _smtp._tls.${domain}: ${report ? `"${report}"` : "no TLSRPTv1 record"}` });
  return status;
}

/** PTR names of an address and which of them resolve back to it, shown once a connection. */
async function reverseDns(ctx: RunContext, address: string): Promise<{ names: string[]; confirmed: string[]; shown: string }> {
  const names = await reverse(ctx, address);
  const confirmed: string[] = [];
  for (const name of names) if (await resolvesTo(ctx, name, address)) confirmed.push(name);
  const shown = names.length === 0 ? "no PTR record" : names.map((n) => `${n}${confirmed.includes(n) ? " (forward-confirmed)" : ` (does not resolve back to ${address})`}`).join(", ");
  ctx.emit({ type: "marker", message: `rdns ${address}: ${shown}` });
  return { names, confirmed, shown };
}

async function reverse(ctx: RunContext, address: string): Promise<string[]> {
  try {
    return (await ctx.dns.ptr(address)).map((n) => n.toLowerCase().replace(/\.$/, ""));
  } catch (error) {
    if (error instanceof DnsError && error.isNoData) return [];
    throw error;
  }
}

/** Forward confirmation: the PTR name's own A/AAAA records include the address. */
async function resolvesTo(ctx: RunContext, name: string, address: string): Promise<boolean> {
  try {
    const found = await ctx.dns.addresses(name, [isIP(address) === 6 ? 6 : 4]);
    return found.some((a) => a.address === address);
  } catch (error) {
    if (error instanceof DnsError) return false;
    throw error;
  }
}
