// `connect mx DOMAIN`, `ipv4`/`ipv6` and `from ADDR`, and the DNS facts `expect` can check
// (mx, rdns, dane, mta-sts): checked here, before anything is sent.
import type * as A from "../../grammar/ast.js";
import { net } from "../builtins.js";
import type { OpenConnection } from "./connection-state.js";
import type { MatcherCompiler } from "./matchers.js";
import type { ReportError, Scope } from "./scope.js";
import { DANE_OUTCOMES, MTA_STS_OUTCOMES, type DaneOutcome, type DnsCheck, type MtaStsOutcome, type Routing } from "./steps.js";

const oneOf = (words: readonly string[]) => `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;

/** A `connect mx` target without a scheme is SMTP's: `connect mx example.com`. */
export function mxUrl(url: string): string {
  return url.includes("://") ? url : `smtp://${url}`;
}

export function compileRouting(routing: A.ConnectRouting | undefined, protocol: string, scope: Scope, error: ReportError): Routing | undefined {
  if (!routing) return undefined;
  const compiled: Routing = {};
  if (routing.mx) {
    if (protocol !== "smtp") error("mx-not-smtp", "`connect mx` routes by MX records, which name SMTP servers", routing.mx, "use `connect mx example.com` or an smtp:// URL (`connect mx smtp://example.com:2525`)");
    compiled.mx = true;
  }
  if (routing.families) {
    const families: Array<4 | 6> = [];
    for (const { family, span } of routing.families) {
      if (families.includes(family)) error("repeated-family", `\`ipv${family}\` is already given`, span, "write `ipv4`, `ipv6`, or both in the order to try them (`ipv6 ipv4`)");
      else families.push(family);
    }
    compiled.families = families;
  }
  if (routing.from) {
    const address = scope.known(routing.from, "`from`");
    if (address !== undefined) {
      const family = net().isIP(address.replace(/^\[|\]$/g, ""));
      if (family === 0) error("bad-source-address", `\`from\` takes a local IP address to send from, not \`${address}\``, routing.from.span, "write `from 192.0.2.10` or `from 2001:db8::10`: an address of this machine");
      else {
        compiled.localAddress = address.replace(/^\[|\]$/g, "");
        if (compiled.families && !compiled.families.includes(family as 4 | 6)) error("family-conflict", `\`from ${address}\` is an IPv${family} address, but the connect only tries ${compiled.families.map((f) => `IPv${f}`).join(" and ")}`, routing.from.span, `add \`ipv${family}\`, or send from an address of the family tried`);
        // A source address fixes the family: only the server's addresses of that family can be reached from it.
        compiled.families ??= [family as 4 | 6];
      }
    }
  }
  return compiled;
}

/** The DNS facts of `expect`; undefined (reported) when they do not apply here. */
export function compileDnsCheck(c: Extract<A.ConnectionCheck, { kind: "mx-set" | "rdns" | "dane" | "mta-sts" }>, connection: OpenConnection, scope: Scope, matchers: MatcherCompiler, error: ReportError): DnsCheck | undefined {
  switch (c.kind) {
    case "mx-set": {
      if (!connection.mx) return void error("not-mx", "`expect mx` checks the MX records of the domain the connection was routed by", c.span, "connect with `connect mx DOMAIN`");
      const hosts = c.hosts.map((h) => scope.known(h, "an MX host"));
      if (hosts.some((h) => h === undefined)) return undefined;
      return { kind: "mx-set", hosts: (hosts as string[]).map((h) => h.replace(/\.$/, "").toLowerCase()) };
    }
    case "rdns": {
      if (c.expected.kind === "confirmed") return { kind: "rdns", local: c.local, expected: { kind: "confirmed" } };
      const pattern = matchers.pattern(c.expected.pattern);
      return pattern ? { kind: "rdns", local: c.local, expected: { kind: "pattern", pattern } } : undefined;
    }
    case "dane": {
      if (!(DANE_OUTCOMES as readonly string[]).includes(c.outcome)) return void error("bad-dane-outcome", `\`expect dane\` takes ${oneOf(DANE_OUTCOMES)}, not \`${c.outcome}\``, c.outcomeSpan, "verified: DNSSEC-secure TLSA records match the chain; mismatch: they do not; insecure: TLSA records without DNSSEC; absent: no TLSA records");
      if (!connection.encrypted) return void error("not-encrypted", "`expect dane` judges the certificate chain, and the connection is not encrypted at this point", c.span, "put it after `starttls`");
      return { kind: "dane", outcome: c.outcome as DaneOutcome };
    }
    case "mta-sts": {
      if (!(MTA_STS_OUTCOMES as readonly string[]).includes(c.outcome)) return void error("bad-mta-sts-outcome", `\`expect mta-sts\` takes ${oneOf(MTA_STS_OUTCOMES)}, not \`${c.outcome}\``, c.outcomeSpan, "enforce, testing, none: the policy's mode; absent: no policy; valid: this MX and its certificate satisfy the policy");
      if (!connection.mx) return void error("not-mx", "`expect mta-sts` reads the policy of the mail domain the connection was routed by", c.span, "connect with `connect mx DOMAIN`");
      if (c.outcome === "valid" && !connection.encrypted) return void error("not-encrypted", "`expect mta-sts valid` judges the certificate, and the connection is not encrypted at this point", c.span, "put it after `starttls`");
      return { kind: "mta-sts", outcome: c.outcome as MtaStsOutcome };
    }
  }
}
