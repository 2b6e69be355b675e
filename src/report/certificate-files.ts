// `--save-certs DIR`: the certificate chain of every handshake, as PEM, one file a server
// (DIR/HOST_PORT.pem), the way `openssl s_client -showcerts` and swaks
// `--tls-get-peer-chain` give it: leaf first, each certificate under a comment naming its
// subject and issuer. Written atomically, so a monitor reading the file never sees half.
import writeFileAtomic from "write-file-atomic";
import { join } from "node:path";
import type { RunEvent, TlsFacts } from "../runtime/events.js";
import type { Reporter } from "./types.js";

/** A file name from host:port that no host name can turn into a path elsewhere. */
export function chainFileName(server: string): string {
  return `${server.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/^\.+/, "_")}.pem`;
}

export function chainPem(facts: TlsFacts, now = new Date()): string {
  const chain = facts.chain ?? [];
  const head = `# certificate chain of ${facts.server ?? "the server"} (${facts.version}), ${now.toISOString()}, saved by mailchat\n`;
  // Comments hold server-chosen names: line breaks in them must not start a PEM block.
  const clean = (text: string) => text.replace(/[\r\n]+/g, " ");
  return head + chain.map((c) => `# [${c.depth}] s:${clean(c.subject)}\n#     i:${clean(c.issuer)}${c.trusted ? " (trust anchor)" : ""}\n${c.pem}`).join("");
}

/** Passes every event on, and writes the chain of each handshake into `dir`. */
export function withCertificateFiles(reporter: Reporter, dir: string, warn: (message: string) => void): Reporter {
  return {
    event: (event: RunEvent) => {
      reporter.event(event);
      if (event.type !== "tls" || !event.facts.chain?.length) return;
      const path = join(dir, chainFileName(event.facts.server ?? "server"));
      try {
        writeFileAtomic.sync(path, chainPem(event.facts));
      } catch (error) {
        warn(`--save-certs: cannot write ${path}: ${(error as Error).message}`);
      }
    },
    finish: () => reporter.finish(),
  };
}
