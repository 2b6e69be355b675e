// The embedded sandbox: real mail services on 127.0.0.1 ephemeral ports, a CA made at start,
// one mail store, and optionally a fault profile. `mailchat run --sandbox` points a script's
// connections here; `mailchat sandbox` keeps it running for other terminals.
import { createSecureContext } from "node:tls";
import { generateCertificates } from "./certs.js";
import { startCrlfProxy } from "./crlf-proxy.js";
import { imapHandler } from "./imap.js";
import { startLineService } from "./line-server.js";
import { pop3Handler } from "./pop3.js";
import { sieveHandler } from "./sieve.js";
import { findProfile, PROFILES, type FaultProfile } from "./profiles.js";
import { startSmtpService, SMTP_SERVICES, type RunningService } from "./smtp.js";
import { MailStore } from "./store.js";
import { SANDBOX_USERS, type SandboxUser } from "./users.js";

export { PROFILES, findProfile, type FaultProfile };

export interface Sandbox {
  /** The CA clients should trust, or undefined under a profile that withholds it. */
  caPem: string | undefined;
  services: RunningService[];
  users: readonly SandboxUser[];
  store: MailStore;
  profile?: FaultProfile;
  /** The port serving a scheme (`submission` → the submission service), if any. */
  portFor(scheme: string): number | undefined;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Extra names for the server certificate: the hosts a script connects to. */
  hosts?: string[];
  profile?: FaultProfile;
  /** Fixed ports instead of free ones: each service listens on its default port + offset. */
  portOffset?: number;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const profile = options.profile;
  const certificates = generateCertificates({ hosts: options.hosts ?? [], ...profile?.certificates });
  const store = new MailStore();
  const smtp = SMTP_SERVICES.map(async (spec): Promise<{ service: RunningService; stops: Array<() => Promise<void>> }> => {
    const fixed = options.portOffset !== undefined && !profile?.crlfProxy?.includes(spec.name) ? spec.defaultPort + options.portOffset : 0;
    const service = await startSmtpService(
      spec,
      certificates,
      store,
      (smtpOptions) => {
        if (profile?.maxTlsVersion) Object.assign(smtpOptions, { maxVersion: profile.maxTlsVersion });
        profile?.smtp?.(spec.name, smtpOptions);
      },
      fixed,
    );
    if (!profile?.crlfProxy?.includes(spec.name)) return { service, stops: [service.stop] };
    const proxy = await startCrlfProxy(service.port, options.portOffset !== undefined ? spec.defaultPort + options.portOffset : 0).catch(async (error: unknown) => {
      await service.stop();
      throw error;
    });
    return { service: { ...service, port: proxy.port, stop: proxy.stop }, stops: [service.stop, proxy.stop] };
  });
  // The line services share one TLS context: making one costs more than its listener does.
  const context = createSecureContext({ key: certificates.keyPem, cert: certificates.certPem, ...(profile?.maxTlsVersion ? { maxVersion: profile.maxTlsVersion } : {}) });
  const line = [
    { name: "pop3", defaultPort: 110, implicitTls: false, handler: pop3Handler(store, profile?.pop3) },
    { name: "pop3s", defaultPort: 995, implicitTls: true, handler: pop3Handler(store, profile?.pop3) },
    { name: "imap", defaultPort: 143, implicitTls: false, handler: imapHandler(store, profile?.imap) },
    { name: "imaps", defaultPort: 993, implicitTls: true, handler: imapHandler(store, profile?.imap) },
    { name: "sieve", defaultPort: 4190, implicitTls: false, handler: sieveHandler() },
  ].map(async (spec) => {
    const lineOptions: Parameters<typeof startLineService>[0] = { ...spec, scheme: spec.name, context };
    if (options.portOffset !== undefined) lineOptions.port = spec.defaultPort + options.portOffset;
    const service = await startLineService(lineOptions);
    return { service, stops: [service.stop] };
  });
  // Started side by side; the services are listed in this order whichever listens first.
  const started = await Promise.allSettled([...smtp, ...line]);
  const stops = started.flatMap((result) => (result.status === "fulfilled" ? result.value.stops : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await Promise.all(stops.map((stop) => stop()));
    throw failed.reason;
  }
  const services = started.map((result) => (result as PromiseFulfilledResult<{ service: RunningService }>).value.service);
  let stopped: Promise<void> | undefined;
  const sandbox: Sandbox = {
    caPem: profile?.trustCa === false ? undefined : certificates.caPem,
    services,
    users: SANDBOX_USERS,
    store,
    portFor: (scheme) => services.find((s) => s.scheme === scheme)?.port,
    stop: () => (stopped ??= Promise.all(stops.map((stop) => stop())).then(() => undefined)),
  };
  if (profile) sandbox.profile = profile;
  return sandbox;
}
