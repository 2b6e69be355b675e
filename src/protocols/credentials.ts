// Credentials recognised by their place in a protocol, wherever they are typed: in a `send`
// line, in `send raw`, in a pasted session (import) or in what a client sends to `serve`.
// Each protocol keeps a spotter per connection (protocols/<name>.ts); these helpers read
// what a SASL response carries.
import type { CredentialSpotter, Reply } from "./types.js";

export type { CredentialSpotter };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): string | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}

/** Whether a server challenge asks for the user name (LOGIN's `334 VXNlcm5hbWU6`). */
export function asksForUser(challenge: string): boolean {
  const decoded = decodeBase64(challenge.trim());
  return decoded !== undefined && /^\s*user/i.test(decoded);
}

/**
 * The secrets in one SASL response (base64) for a mechanism: the response itself and what it
 * decodes to — PLAIN's password, XOAUTH2's bearer token, CRAM-MD5's digest, LOGIN's password.
 * A cancel (`*`) and an empty response carry none.
 */
export function saslResponseSecrets(mechanism: string, response: string): string[] {
  const text = response.trim();
  if (text === "" || text === "*" || text === "=") return [];
  const decoded = decodeBase64(text);
  if (decoded === undefined) return [text];
  const out = [text];
  switch (mechanism.toUpperCase()) {
    case "PLAIN": {
      const parts = decoded.split("\0");
      if (parts.length === 3) out.push(parts[2]!);
      else out.push(decoded);
      break;
    }
    case "XOAUTH2":
    case "OAUTHBEARER": {
      const token = /auth=Bearer ([^\x01]+)/i.exec(decoded)?.[1];
      out.push(token ?? decoded);
      break;
    }
    case "CRAM-MD5": {
      const digest = /\s([0-9a-f]{32})$/i.exec(decoded)?.[1];
      out.push(digest ?? decoded);
      break;
    }
    default:
      out.push(decoded);
  }
  return out;
}

/**
 * A SASL exchange after `AUTH MECH [initial-response]` (SMTP, POP3) or `AUTHENTICATE`
 * (IMAP): every client line until the final reply is a response, and a secret unless it
 * answers LOGIN's user-name prompt.
 */
export class SaslExchange {
  private responses = 0;
  private lastChallengeAsksUser: boolean | undefined;

  constructor(readonly mechanism: string) {}

  /** The server's challenge (`334 …` or `+ …`). */
  challenge(text: string): void {
    this.lastChallengeAsksUser = asksForUser(text);
  }

  response(line: string): string[] {
    this.responses += 1;
    const isLogin = this.mechanism.toUpperCase() === "LOGIN";
    // LOGIN: the first response is the user name (shown, as swaks shows it), unless the
    // server's prompt said otherwise.
    const user = isLogin && (this.lastChallengeAsksUser ?? this.responses === 1);
    this.lastChallengeAsksUser = undefined;
    return user ? [] : saslResponseSecrets(this.mechanism, line);
  }
}

/**
 * `AUTH MECH [initial-response]` as SMTP (RFC 4954) and POP3 (RFC 5034) write it: the client
 * lines that follow answer the server's challenges until a final reply. `isChallenge` and
 * `challengeText` say how the protocol writes a challenge (`334 …`, `+ …`).
 */
export class AuthCommandSpotter implements CredentialSpotter {
  private sasl: SaslExchange | undefined;

  constructor(
    private readonly isChallenge: (reply: Reply) => boolean,
    private readonly challengeText: (reply: Reply) => string,
    /** Credentials the protocol sends outside SASL (POP3 PASS, APOP). */
    private readonly plain: (line: string) => string[] = () => [],
  ) {}

  client(line: string): string[] {
    if (this.sasl) return this.sasl.response(line);
    const auth = /^AUTH\s+(\S+)(?:\s+(\S+))?\s*$/i.exec(line);
    if (!auth) return this.plain(line);
    const { exchange, secrets } = openSasl(auth[1]!, auth[2]);
    this.sasl = exchange;
    return secrets;
  }

  server(reply: Reply): void {
    if (!this.sasl) return;
    if (this.isChallenge(reply)) this.sasl.challenge(this.challengeText(reply));
    else this.sasl = undefined;
  }
}

/** `AUTH MECH [IR]` → the exchange it opens and the secrets of its initial response. */
export function openSasl(mechanism: string, initial: string | undefined): { exchange: SaslExchange; secrets: string[] } {
  const exchange = new SaslExchange(mechanism);
  // LOGIN's initial response (RFC 4954 allows one) is the user name.
  if (initial === undefined) return { exchange, secrets: [] };
  return { exchange, secrets: exchange.response(initial) };
}

/** A transcript's server line as a reply, for spotters fed from a recording or a paste
 *  (serve, import), where no framer has read it. */
export function replyFromLine(line: string): Reply {
  const status = /^(\d{3})(?:[ -]|$)/.exec(line)?.[1] ?? /^(\+OK|-ERR|\+)/.exec(line)?.[1] ?? /^\S+ (OK|NO|BAD)\b/i.exec(line)?.[1]?.toUpperCase();
  const reply: Reply = { lines: [line], raw: [Buffer.from(line)], bytes: line.length + 2 };
  if (status) reply.status = status;
  return reply;
}
