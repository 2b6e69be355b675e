// The embedded sandbox: real mail services on 127.0.0.1 ephemeral ports, a CA made at start,
// and one mail store. `mailchat run --sandbox` points a script's connections here.
import { generateCertificates } from "./certs.js";
import { startSmtpService, SMTP_SERVICES, type RunningService } from "./smtp.js";
import { MailStore } from "./store.js";
import { SANDBOX_USERS, type SandboxUser } from "./users.js";

export interface Sandbox {
  caPem: string;
  services: RunningService[];
  users: readonly SandboxUser[];
  store: MailStore;
  /** The port serving a scheme (`submission` → the submission service), if any. */
  portFor(scheme: string): number | undefined;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Extra names for the server certificate: the hosts a script connects to. */
  hosts?: string[];
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const certificates = generateCertificates({ hosts: options.hosts ?? [] });
  const store = new MailStore();
  const services: RunningService[] = [];
  try {
    for (const spec of SMTP_SERVICES) services.push(await startSmtpService(spec, certificates, store));
  } catch (error) {
    await Promise.all(services.map((s) => s.stop()));
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    caPem: certificates.caPem,
    services,
    users: SANDBOX_USERS,
    store,
    portFor: (scheme) => services.find((s) => s.scheme === scheme)?.port,
    stop: () => (stopped ??= Promise.all(services.map((s) => s.stop())).then(() => undefined)),
  };
}
