// The sandbox's SMTP services, on nodemailer's smtp-server (the well-kept server library; no
// SMTP server is written by hand here): smtp (the port-25 role), submission (587: STARTTLS,
// AUTH required), smtps (465: implicit TLS), lmtp (24). Postfix-like wording, so recipes
// read the same against the sandbox as against a real server.
import { randomBytes } from "node:crypto";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { CertificateSet } from "./certs.js";
import type { MailStore } from "./store.js";
import { findUser, isLocalAddress } from "./users.js";

export type SmtpServiceName = "smtp" | "submission" | "smtps" | "lmtp";

export interface RunningService {
  name: string;
  scheme: string;
  defaultPort: number;
  port: number;
  tls: "starttls" | "implicit" | "none";
  stop(): Promise<void>;
}

export const BANNER_NAME = "mailchat.test";
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** A queue id in Postfix's style (hex), so `queued as (?<queue>\w+)` works as it does there. */
function queueId(): string {
  return randomBytes(5).toString("hex").toUpperCase();
}

interface ServiceSpec {
  name: SmtpServiceName;
  defaultPort: number;
  secure: boolean;
  lmtp: boolean;
  /** Whether MAIL FROM needs AUTH first (submission, smtps). */
  authRequired: boolean;
}

export const SMTP_SERVICES: readonly ServiceSpec[] = [
  { name: "smtp", defaultPort: 25, secure: false, lmtp: false, authRequired: false },
  { name: "submission", defaultPort: 587, secure: false, lmtp: false, authRequired: true },
  { name: "smtps", defaultPort: 465, secure: true, lmtp: false, authRequired: true },
  { name: "lmtp", defaultPort: 24, secure: false, lmtp: true, authRequired: false },
];

interface ConnectionStart {
  init?: () => void;
  _setListeners?: (ready: () => void) => void;
  connectionReady?: () => void;
}

/**
 * smtp-server holds every greeting 100 ms to catch clients that talk first (a spam-bot tell,
 * which Postfix's postscreen tests too). The sandbox has no bots to catch, and the wait was a
 * third of the README's first command: here each connection greets at once. This reaches into
 * smtp-server's connection (`init` is `_setListeners`, then `connectionReady` after the
 * timer); a version without them keeps its own start, only slower. A sandbox without
 * `maxClients` loses nothing of `init`'s.
 */
function greetAtOnce(server: SMTPServer): void {
  const connections = (server as unknown as { connections: Set<ConnectionStart> }).connections;
  const add = connections.add.bind(connections);
  connections.add = (connection: ConnectionStart) => {
    const { _setListeners: listen, connectionReady: ready } = connection;
    if (typeof listen === "function" && typeof ready === "function") connection.init = () => listen.call(connection, () => ready.call(connection));
    return add(connection);
  };
}

export async function startSmtpService(spec: ServiceSpec, certificates: CertificateSet, store: MailStore, adjust?: (options: SMTPServerOptions) => void, listenPort = 0): Promise<RunningService> {
  const options: SMTPServerOptions = {
    // stop() must not wait smtp-server's default 30 s for clients to leave.
    closeTimeout: 250,
    secure: spec.secure,
    lmtp: spec.lmtp,
    key: certificates.keyPem,
    cert: certificates.certPem,
    name: BANNER_NAME,
    banner: "mailchat sandbox",
    heloResponse: "%s",
    logger: false,
    disableReverseLookup: true,
    hideENHANCEDSTATUSCODES: false,
    size: MAX_MESSAGE_BYTES,
    authMethods: ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"],
    authOptional: !spec.authRequired,
    // A permissive lab server: plaintext AUTH works here (scripts must still say
    // `allow plaintext-auth`); the `no-auth-before-tls` profile turns it off.
    allowInsecureAuth: true,
    disabledCommands: spec.lmtp ? ["AUTH"] : [],
    onAuth(auth, _session, callback) {
      const user = findUser(auth.username ?? "");
      const ok =
        user !== undefined &&
        (auth.method === "CRAM-MD5" ? auth.validatePassword(user.password) : auth.method === "XOAUTH2" ? auth.accessToken === user.password : auth.password === user.password);
      if (!ok) return callback(smtpError(535, "Error: authentication failed"));
      callback(null, { user: user.address });
    },
    onMailFrom(_address, session, callback) {
      if (spec.authRequired && !session.user) return callback(smtpError(530, "Authentication required"));
      callback();
    },
    onRcptTo(address, session, callback) {
      if (!isLocalAddress(address.address) && !session.user) return callback(smtpError(554, `<${address.address}>: Relay access denied`));
      if (isLocalAddress(address.address) && !findUser(address.address)) return callback(smtpError(550, `<${address.address}>: Recipient address rejected: User unknown in local recipient table`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        // What Postfix does with smtpd_forbid_bare_newline = yes: a bare LF or CR, or a NUL,
        // in the message is refused, so no ending a smuggler sends can split it.
        const stray = /\r(?!\n)|(?<!\r)\n|\0/.exec(raw.toString("latin1"));
        if (stray) {
          const what = stray[0] === "\n" ? "bare <LF>" : stray[0] === "\r" ? "bare <CR>" : "<NUL>";
          return callback(Object.assign(new Error(`Error: ${what} received`), { responseCode: 500 }));
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        store.deliver({ from, recipients, raw });
        const id = queueId();
        // LMTP (RFC 2033 §4.2): one reply per accepted recipient.
        if (spec.lmtp) return callback(null, recipients.map((r) => `<${r}> Ok: queued as ${id}`) as unknown as string);
        callback(null, `Ok: queued as ${id}`);
      });
    },
  };
  adjust?.(options);
  const server = new SMTPServer(options);
  greetAtOnce(server);
  server.on("error", () => undefined);
  const port = await new Promise<number>((resolvePromise, reject) => {
    server.server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolvePromise((server.server.address() as { port: number }).port));
  });
  return {
    name: spec.name,
    scheme: spec.name,
    defaultPort: spec.defaultPort,
    port,
    tls: spec.secure ? "implicit" : "starttls",
    stop: () =>
      // smtp-server closes its own connections: destroying a socket beneath a TLS wrap
      // (what a raw-socket sweep would do) crashes Node.
      new Promise<void>((resolvePromise) => server.close(() => resolvePromise())),
  };
}
