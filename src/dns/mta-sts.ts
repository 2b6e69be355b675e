// MTA-STS (RFC 8461): the `_mta-sts` TXT record says a policy exists, the policy comes over
// HTTPS from mta-sts.DOMAIN (its certificate verified, as §3.3 demands), and an MX is valid for
// it when its name matches one of the policy's `mx` patterns and its certificate verifies for
// that name (§4.1). TLS-RPT (RFC 8460) is the `_smtp._tls` TXT record where failures go.
import { request } from "node:https";
import type { LookupFunction } from "node:net";
import { MTA_STS_FETCH_TIMEOUT_MS, MTA_STS_POLICY_MAX_BYTES } from "../limits.js";
import { type DnsClient, DnsError } from "./client.js";

export interface MtaStsPolicy {
  mode: "enforce" | "testing" | "none";
  mx: string[];
  maxAge: number;
}

export type MtaStsStatus =
  | { kind: "absent"; detail: string }
  /** A TXT record, but no usable policy: RFC 8461 §5 treats this as no policy, and says so. */
  | { kind: "broken"; txt: string; detail: string }
  | { kind: "policy"; txt: string; id: string; policy: MtaStsPolicy; text: string };


export async function mtaStsStatus(dns: DnsClient, domain: string, options: { ca?: string[]; port?: number }): Promise<MtaStsStatus> {
  let records: string[];
  try {
    records = (await dns.txt(`_mta-sts.${domain}`)).filter((r) => /^v=STSv1\s*(;|$)/.test(r));
  } catch (error) {
    if (error instanceof DnsError && error.isNoData) return { kind: "absent", detail: `no _mta-sts.${domain} TXT record` };
    throw error;
  }
  if (records.length === 0) return { kind: "absent", detail: `no v=STSv1 TXT record at _mta-sts.${domain}` };
  const txt = records.join(" | ");
  if (records.length > 1) return { kind: "broken", txt, detail: `${records.length} v=STSv1 TXT records at _mta-sts.${domain}: RFC 8461 §3.1 treats that as no policy` };
  const id = /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(?:;|$)/.exec(records[0]!)?.[1];
  if (!id) return { kind: "broken", txt, detail: "the TXT record has no valid id= (1 to 32 letters and digits, RFC 8461 §3.1)" };
  const url = `https://mta-sts.${domain}${options.port ? `:${options.port}` : ""}/.well-known/mta-sts.txt`;
  let text: string;
  try {
    text = await fetchPolicy(url, dns, options.ca);
  } catch (error) {
    return { kind: "broken", txt, detail: `the policy at ${url} could not be fetched: ${(error as Error).message}` };
  }
  const parsed = parsePolicy(text);
  if ("error" in parsed) return { kind: "broken", txt, detail: `the policy at ${url} is invalid: ${parsed.error}` };
  return { kind: "policy", txt, id, policy: parsed, text };
}

/** RFC 8461 §3.2: `key: value` lines; version, mode and max_age once, `mx` any number of times. */
export function parsePolicy(text: string): MtaStsPolicy | { error: string } {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const match = /^([A-Za-z0-9_]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) return { error: `a line that is not \`key: value\`: ${JSON.stringify(line.slice(0, 80))}` };
    const key = match[1]!.toLowerCase();
    fields.set(key, [...(fields.get(key) ?? []), match[2]!]);
  }
  if (fields.get("version")?.[0] !== "STSv1") return { error: "`version: STSv1` is missing" };
  const mode = fields.get("mode")?.[0];
  if (mode !== "enforce" && mode !== "testing" && mode !== "none") return { error: `mode must be enforce, testing or none, not ${JSON.stringify(mode ?? "")}` };
  const maxAge = Number(fields.get("max_age")?.[0]);
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 31_557_600) return { error: "max_age must be a whole number of seconds up to 31557600" };
  const mx = (fields.get("mx") ?? []).map((m) => m.toLowerCase().replace(/\.$/, ""));
  if (mode !== "none" && mx.length === 0) return { error: `mode ${mode} needs at least one \`mx:\` line` };
  return { mode, mx, maxAge };
}

/** §4.1: `*.example.com` matches exactly one leftmost label; other patterns match exactly. */
export function mxMatches(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (!pattern.startsWith("*.")) return name === pattern;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

export function describePolicy(policy: MtaStsPolicy): string {
  return `mode ${policy.mode}, mx ${policy.mx.join(", ") || "(none)"}, max_age ${policy.maxAge}`;
}

/** TLS-RPT (RFC 8460 §3): where TLS failures for the domain are reported, if anywhere. */
export async function tlsRpt(dns: DnsClient, domain: string): Promise<string | undefined> {
  try {
    return (await dns.txt(`_smtp._tls.${domain}`)).find((r) => /^v=TLSRPTv1\s*;/.test(r));
  } catch (error) {
    if (error instanceof DnsError && error.isNoData) return undefined;
    throw error;
  }
}

function fetchPolicy(url: string, dns: DnsClient, ca: string[] | undefined): Promise<string> {
  // The policy host's name goes through the same DNS as the rest (--resolver).
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void) => {
    dns.addresses(hostname, [4, 6]).then(
      (found) => {
        if (!found[0]) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 4);
        // Node asks for every address when it may try them in turn (autoSelectFamily).
        return options.all ? callback(null, found) : callback(null, found[0].address, found[0].family);
      },
      (error: Error) => callback(error, "", 4),
    );
  }) as unknown as LookupFunction;
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { lookup, timeout: MTA_STS_FETCH_TIMEOUT_MS, ...(ca ? { ca: [...ca] } : {}) }, (response) => {
      // §3.3: a redirect is not followed; only 200 is a policy.
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode} (only 200 is a policy; redirects are not followed, RFC 8461 §3.3)`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MTA_STS_POLICY_MAX_BYTES) {
          req.destroy(new Error(`the policy is larger than ${MTA_STS_POLICY_MAX_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => resolvePromise(Buffer.concat(chunks).toString("utf8")));
      response.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${MTA_STS_FETCH_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end();
  });
}
