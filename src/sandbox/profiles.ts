// Fault profiles: the knowledge-base problems, reproduced on purpose. Each is a small piece
// laid over the normal sandbox (an option of a server library, a certificate variant, a
// front proxy), never a branch inside the services' handlers.
import type { SMTPServerOptions } from "smtp-server";
import type { CertificateOptions } from "./certs.js";
import type { ImapOptions } from "./imap.js";
import type { Pop3Options } from "./pop3.js";
import type { SmtpServiceName } from "./smtp.js";

export interface FaultProfile {
  name: string;
  description: string;
  /** The knowledge-base symptom it reproduces. */
  symptom: string;
  certificates?: CertificateOptions;
  /** false: clients are not given the sandbox CA (the self-signed case). */
  trustCa?: boolean;
  /** Highest TLS version the sandbox accepts. */
  maxTlsVersion?: "TLSv1.2";
  smtp?: (service: SmtpServiceName, options: SMTPServerOptions) => void;
  pop3?: Pop3Options;
  imap?: ImapOptions;
  /** Services put behind a proxy that waits for CRLF (the bare-LF timeout). */
  crlfProxy?: SmtpServiceName[];
}

const fail = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export const PROFILES: readonly FaultProfile[] = [
  {
    name: "strip-starttls",
    description: "a middlebox removes STARTTLS from the EHLO reply",
    symptom: 'Exchange: "the remote SMTP service does not support TLS"; firewall SMTP inspection',
    smtp: (service, options) => {
      if (service !== "smtps") options.hideSTARTTLS = true;
    },
  },
  {
    name: "lf-only-timeout",
    description: "the server waits for CRLF; bare LF line ends end in 451 4.7.0 Timeout waiting for client input",
    symptom: "451 4.7.0 Timeout waiting for client input after typing commands in a terminal without CRLF",
    crlfProxy: ["smtp", "submission"],
  },
  {
    name: "expired-cert",
    description: "the server certificate expired 30 days ago",
    symptom: "certificate has expired / CERT_HAS_EXPIRED",
    certificates: { expired: true },
  },
  {
    name: "self-signed",
    description: "a self-signed server certificate, and clients are not given a CA",
    symptom: "DEPTH_ZERO_SELF_SIGNED_CERT / self-signed certificate",
    certificates: { selfSigned: true },
    trustCa: false,
  },
  {
    name: "tls12-only",
    description: "every service accepts TLS 1.2 at most",
    symptom: "openssl s_client -tls1_3 fails while -tls1_2 works",
    maxTlsVersion: "TLSv1.2",
  },
  {
    name: "no-auth-before-tls",
    description: "AUTH is neither offered nor accepted before STARTTLS (smtpd_tls_auth_only)",
    symptom: "538 5.7.11 Encryption required / AUTH missing from the first EHLO",
    smtp: (_service, options) => {
      options.allowInsecureAuth = false;
      options.hideSTARTTLS = false;
    },
  },
  {
    name: "relay-denied",
    description: "mail to other domains is refused even after AUTH",
    symptom: "554 5.7.1 Relay access denied",
    smtp: (_service, options) => {
      options.onRcptTo = (address, _session, callback) => {
        if (!address.address.toLowerCase().endsWith("@mailchat.test")) return callback(fail(554, `<${address.address}>: Relay access denied`));
        callback();
      };
    },
  },
  {
    name: "bad-credentials",
    description: "every AUTH is refused",
    symptom: "535 5.7.8 Error: authentication failed",
    smtp: (_service, options) => {
      options.onAuth = (_auth, _session, callback) => callback(fail(535, "Error: authentication failed"));
    },
    pop3: { rejectAllLogins: true },
    imap: { rejectAllLogins: true },
  },
  {
    name: "plaintext-pop3-login-disabled",
    description: "POP3 and IMAP refuse passwords before TLS (Dovecot's disable_plaintext_auth)",
    symptom: "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections",
    pop3: { plaintextLoginDisabled: true },
    imap: { loginDisabledBeforeTls: true },
  },
];

export function findProfile(name: string): FaultProfile | undefined {
  return PROFILES.find((profile) => profile.name === name);
}
