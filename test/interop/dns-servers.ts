// Real DNS from Debian's packages for the interop suite: NSD serves the zones given (the ones
// marked signed are signed at test time with ldns-keygen and ldns-signzone), and unbound, a
// validating resolver that trusts the signed zones' keys and asks NSD for them, answers
// mailchat — so the AD bit mailchat reads is unbound's own validation, as Postfix would get
// it. Both run in the foreground as children of the test, on free ports of 127.0.0.1.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./servers.js";
import { removeTree } from "../helpers/remove-tree.js";

export interface Zone {
  name: string;
  /** Zone-file lines after the SOA and NS, relative to the origin. */
  records: string[];
  signed: boolean;
}

export interface DnsServers {
  /** unbound's address, for --resolver. */
  resolver: string;
  stop(): void;
}

const BINARIES = ["/usr/sbin/nsd", "/usr/sbin/unbound", "/usr/bin/ldns-keygen", "/usr/bin/ldns-signzone"];

export function missingDnsPrerequisites(): string | undefined {
  const missing = BINARIES.filter((binary) => !existsSync(binary));
  return missing.length > 0 ? `${missing.join(", ")} missing: apt-get install nsd unbound ldnsutils` : undefined;
}

async function waitForAnswer(port: number, name: string, timeoutMs = 10_000): Promise<void> {
  const { Resolver } = await import("node:dns/promises");
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await resolver.resolveSoa(name);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no DNS answer for ${name} from 127.0.0.1:${port} after ${timeoutMs / 1000} s: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function startDnsServers(zones: Zone[]): Promise<DnsServers> {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-dns-"));
  const [authPort, resolverPort] = [await freePort(), await freePort()];
  const anchors: string[] = [];
  for (const zone of zones) {
    const file = join(dir, `${zone.name}.zone`);
    writeFileSync(file, [`$ORIGIN ${zone.name}.`, "$TTL 300", `@ IN SOA ns.${zone.name}. hostmaster.${zone.name}. 1 3600 600 86400 300`, `@ IN NS ns.${zone.name}.`, `ns IN A 127.0.0.1`, ...zone.records, ""].join("\n"));
    if (!zone.signed) continue;
    const keygen = (...flags: string[]) => execFileSync("ldns-keygen", ["-a", "ECDSAP256SHA256", ...flags, zone.name], { cwd: dir, encoding: "utf8" }).trim();
    const ksk = keygen("-k");
    const zsk = keygen();
    execFileSync("ldns-signzone", ["-f", `${file}.signed`, file, ksk, zsk], { cwd: dir });
    anchors.push(join(dir, `${ksk}.key`));
  }
  writeFileSync(
    join(dir, "nsd.conf"),
    `server:
  ip-address: 127.0.0.1@${authPort}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  zonelistfile: "${dir}/zone.list"
  logfile: "${dir}/nsd.log"
remote-control:
  control-enable: no
${zones.map((z) => `zone:\n  name: "${z.name}"\n  zonefile: "${z.name}.zone${z.signed ? ".signed" : ""}"\n`).join("")}`,
  );
  writeFileSync(
    join(dir, "unbound.conf"),
    `server:
  interface: 127.0.0.1@${resolverPort}
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  module-config: "validator iterator"
${anchors.map((a) => `  trust-anchor-file: "${a}"\n`).join("")}  # unbound answers these itself (RFC 6761, RFC 6303) unless told not to.
  local-zone: "test." nodefault
  local-zone: "127.in-addr.arpa." nodefault
remote-control:
  control-enable: no
${zones.map((z) => `stub-zone:\n  name: "${z.name}."\n  stub-addr: 127.0.0.1@${authPort}\n`).join("")}`,
  );
  const children: ChildProcess[] = [];
  const daemon = (command: string, args: string[], log: string) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "ignore"] });
    child.on("error", (error) => writeFileSync(join(dir, log), `${error.message}\n`, { flag: "a" }));
    children.push(child);
  };
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill();
    // NSD and unbound write their last files as they stop: a removal that meets one is tried
    // again, whole (test/helpers/remove-tree.ts), rather than failing the suite after every
    // test passed.
    removeTree(dir);
  };
  daemon("nsd", ["-d", "-c", join(dir, "nsd.conf")], "nsd.log");
  daemon("unbound", ["-d", "-c", join(dir, "unbound.conf")], "unbound.log");
  try {
    await waitForAnswer(authPort, zones[0]!.name);
    await waitForAnswer(resolverPort, zones[0]!.name);
  } catch (error) {
    const logs = ["nsd.log", "unbound.log"].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "")).join("\n");
    stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return { resolver: `127.0.0.1:${resolverPort}`, stop };
}
