// Real Dovecot (IMAP, POP3, LMTP, SASL for Postfix) and real Postfix (SMTP, submission,
// SMTPS) from Debian's packages, started by the suite on 127.0.0.1 with their own temporary
// configuration, users and a certificate made at test time. Needs root (as CI runs).
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCertificates } from "../../src/sandbox/certs.js";
import { makePki, type Pki } from "../helpers/pki.js";
import { removeTree } from "../helpers/remove-tree.js";

export const USERS = { alice: "alice-interop-pw", bob: "bob-interop-pw" } as const;

export interface MailServers {
  dir: string;
  caFile: string;
  /** Client certificates: `pki.client` is in relay_clientcerts, `pki.leaf` is not. */
  pki: Pki;
  ports: Record<"smtpClientCert" | "smtp" | "smtpProxy" | "smtpForbidBareNewline" | "submission" | "smtps" | "smtpsTls12" | "imap" | "imapProxy" | "imaps" | "pop3" | "pop3s" | "lmtp" | "auth" | "sieve", number>;
  /** Dovecot's LMTP socket (a unix_listener in its base_dir). */
  sockets: { lmtp: string };
  versions: { postfix: string; dovecot: string };
  stop(): void;
}

/** Why the servers cannot run here, or undefined when they can. */
export function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return "the interop suite must run as root (Postfix and Dovecot drop privileges themselves)";
  for (const binary of ["/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/lib/dovecot/lmtp", "/usr/lib/dovecot/managesieve", "/usr/lib/dovecot/pop3", "/usr/lib/dovecot/imap"]) {
    if (!existsSync(binary)) return `${binary} is missing: apt-get install postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved`;
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePromise(port));
    });
  });
}

function waitForPort(port: number, timeoutMs = 15_000): void {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const probe = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { timeout: 2_000 });
    if (probe.status === 0) return;
    spawnSync("sleep", ["0.2"]);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
}

export async function startMailServers(): Promise<MailServers> {
  const dir = mkdtempSync(join(tmpdir(), "mailchat-interop-"));
  const names = ["smtpClientCert", "smtp", "smtpProxy", "smtpForbidBareNewline", "submission", "smtps", "smtpsTls12", "imap", "imapProxy", "imaps", "pop3", "pop3s", "lmtp", "auth", "sieve"] as const;
  const ports = {} as MailServers["ports"];
  for (const name of names) ports[name] = await freePort();

  // mx.mailchat.test: the MX name the DNS tests route to (test/interop/dns.ts).
  const certs = generateCertificates({ hosts: ["localhost", "mx.mailchat.test"] });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, certs.caPem);
  writeFileSync(join(dir, "cert.pem"), certs.certPem);
  writeFileSync(join(dir, "key.pem"), certs.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, "users"), Object.entries(USERS).map(([user, pw]) => `${user}@mailchat.test:{PLAIN}${pw}\n`).join(""), { mode: 0o644 });
  const mail = join(dir, "mail");
  mkdirSync(mail);
  chownSync(mail, 8, 8); // the `mail` user Dovecot delivers as
  spawnSync("chmod", ["755", dir]);
  // Relay by client certificate (permit_tls_clientcerts): the client certificate's SHA-256
  // fingerprint is listed; its CA is the one Postfix names when it asks for a certificate.
  const pki = makePki();
  spawnSync("chmod", ["755", pki.dir]);
  writeFileSync(join(dir, "relay_clientcerts"), `${pki.fingerprint(pki.client).replace(/(..)(?!$)/g, "$1:")} mailchat client\n`);

  const dovecotDir = join(dir, "dovecot");
  mkdirSync(join(dovecotDir, "run"), { recursive: true });
  mkdirSync(join(dovecotDir, "state"), { recursive: true });
  const dovecotConf = join(dovecotDir, "dovecot.conf");
  writeFileSync(
    dovecotConf,
    `base_dir = ${dovecotDir}/run
state_dir = ${dovecotDir}/state
log_path = ${dovecotDir}/dovecot.log
protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = yes
login_trusted_networks =
haproxy_trusted_networks = 127.0.0.0/8
first_valid_uid = 1
auth_mechanisms = plain login cram-md5
mail_location = maildir:${mail}/%u
# URLAUTH (RFC 4467), for imaptest's urlauth tests: URLs naming any host, keys kept as
# mailbox attributes.
imap_urlauth_host = *
mail_attribute_dict = file:%h/dovecot-attributes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
  inet_listener imap_haproxy {
    port = ${ports.imapProxy}
    haproxy = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service managesieve-login {
  inet_listener sieve {
    port = ${ports.sieve}
  }
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${ports.lmtp}
  }
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = ${ports.auth}
  }
}
protocol lmtp {
  postmaster_address = postmaster@mailchat.test
}
`,
  );
  // Daemons keep inherited pipes open: give them a file, so the call returns once they fork.
  const log = openSync(join(dir, "start.log"), "a");
  const dovecot = spawnSync("/usr/sbin/dovecot", ["-c", dovecotConf], { stdio: ["ignore", log, log] });
  if (dovecot.status !== 0) throw new Error(`dovecot did not start: ${readFileSync(join(dir, "start.log"), "utf8")}`);

  const postfixDir = join(dir, "postfix");
  mkdirSync(postfixDir);
  writeFileSync(
    join(postfixDir, "main.cf"),
    `compatibility_level = 3.6
queue_directory = ${postfixDir}/queue
data_directory = ${postfixDir}/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.mailchat.test
mydomain = mailchat.test
mydestination =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = mailchat.test
virtual_transport = lmtp:inet:127.0.0.1:${ports.lmtp}
smtpd_tls_cert_file = ${dir}/cert.pem
smtpd_tls_key_file = ${dir}/key.pem
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:${ports.auth}
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
maillog_file = ${postfixDir}/maillog
maillog_file_prefixes = /tmp, /var
smtpd_banner = $myhostname ESMTP Postfix (mailchat interop)
smtputf8_enable = no
`,
  );
  // Debian's master.cf, with the port-25 listener replaced by ours and nothing chrooted.
  const master = readFileSync("/etc/postfix/master.cf", "utf8")
    .split("\n")
    .filter((line) => !/^smtp\s+inet/.test(line))
    .map((line) => line.replace(/^(\S+\s+\S+\s+\S+\s+\S+\s+)y(\s)/, "$1n$2"))
    .join("\n");
  writeFileSync(
    join(postfixDir, "master.cf"),
    `${master}
${ports.smtp} inet n - n - - smtpd
${ports.smtpProxy} inet n - n - - smtpd
  -o smtpd_upstream_proxy_protocol=haproxy
  -o smtpd_peername_lookup=no
${ports.smtpClientCert} inet n - n - - smtpd
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=${pki.root}
  -o smtpd_tls_fingerprint_digest=sha256
  -o relay_clientcerts=texthash:${dir}/relay_clientcerts
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject_unauth_destination
${ports.smtpForbidBareNewline} inet n - n - - smtpd
  -o smtpd_forbid_bare_newline=yes
  -o smtpd_forbid_bare_newline_exclusions=
${ports.submission} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
${ports.smtps} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
${ports.smtpsTls12} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o {smtpd_tls_protocols=>=TLSv1.2, <=TLSv1.2}
  -o {smtpd_tls_mandatory_protocols=>=TLSv1.2, <=TLSv1.2}
`,
  );
  // Debian's postfix refuses a configuration directory the default one does not list.
  const listed = spawnSync("postconf", ["-h", "alternate_config_directories"], { encoding: "utf8" }).stdout.trim();
  if (!listed.split(/[\s,]+/).includes(postfixDir)) {
    execFileSync("postconf", ["-e", `alternate_config_directories = ${[listed, postfixDir].filter(Boolean).join(", ")}`]);
  }
  mkdirSync(join(postfixDir, "queue"));
  mkdirSync(join(postfixDir, "data"));
  chownSync(join(postfixDir, "data"), Number(spawnSync("id", ["-u", "postfix"], { encoding: "utf8" }).stdout.trim()), 0);
  spawnSync("postfix", ["-c", postfixDir, "post-install", "create-missing"], { stdio: "ignore" });
  // Through `script`, postfix writes its start-up errors to the terminal instead of syslog.
  // A Postfix stopped a moment ago (the interop suite's, before the bench's) may still be on
  // its way out: one more try after it has had time to go.
  const start = () => spawnSync("script", ["-qec", `postfix -c ${postfixDir} start`, "/dev/null"], { stdio: ["ignore", log, log] });
  let started = start();
  if (started.status !== 0) {
    spawnSync("sleep", ["2"]);
    started = start();
  }
  if (started.status !== 0) {
    spawnSync("doveadm", ["-c", dovecotConf, "stop"], { stdio: "ignore" });
    throw new Error(`postfix did not start: ${readFileSync(join(dir, "start.log"), "utf8")}`);
  }

  for (const name of names) waitForPort(ports[name]);
  const versions = {
    postfix: spawnSync("postconf", ["-h", "mail_version"], { encoding: "utf8" }).stdout.trim(),
    dovecot: spawnSync("dovecot", ["--version"], { encoding: "utf8" }).stdout.trim(),
  };
  return {
    dir,
    caFile,
    pki,
    ports,
    sockets: { lmtp: join(dovecotDir, "run", "lmtp") },
    versions,
    stop() {
      spawnSync("postfix", ["-c", postfixDir, "stop"], { stdio: "ignore" });
      spawnSync("doveadm", ["-c", dovecotConf, "stop"], { stdio: "ignore" });
      // `postfix stop` only signals the master: wait (bounded) until its lock is released, so
      // a Postfix started next does not meet this one on its way out.
      spawnSync("bash", ["-c", `for i in $(seq 50); do postfix -c ${postfixDir} status >/dev/null 2>&1 || exit 0; sleep 0.1; done`], { stdio: "ignore" });
      // Dovecot's processes may still be writing their last lines (test/helpers/remove-tree.ts).
      // The servers are stopped by now; the certificates go whatever the removal does.
      try {
        removeTree(dir);
      } finally {
        pki.remove();
      }
    },
  };
}
