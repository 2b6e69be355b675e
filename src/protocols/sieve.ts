// ManageSieve (RFC 5804): managing Sieve scripts on a server, port 4190, with STARTTLS and
// SASL. A response is any data lines (capabilities, script names, a script as a literal)
// ended by `OK`, `NO` or `BYE`, each with an optional response code in parentheses and a
// human-readable string. During AUTHENTICATE the server's challenges are bare strings.
// After STARTTLS the server sends its capabilities again (§2.2).
import { MAX_REPLY_LINE_BYTES, SECRET_PLACEHOLDER } from "../limits.js";
import { cramMd5Response, loginResponses, plainResponse, xoauth2Response } from "../sasl/index.js";
import { openSasl, type SaslExchange } from "./credentials.js";
import { LiteralLineFramer } from "./literal-framer.js";
import { PlainSession, describeCapabilityList, type Capabilities, type Command, type Credentials, type CredentialSpotter, type Exchange, type Protocol, type Reply } from "./types.js";
import { CommandFraming } from "./command-framing.js";

const COMPLETION = /^(OK|NO|BYE)\b/i;
/** A line that is one string, quoted or a literal: a SASL challenge (RFC 5804 §2.1). */
const LONE_STRING = /^(?:"(?:[^"\\]|\\.)*"|\{\d+\+?\}\n[\s\S]*)$/;

export class SieveFramer extends LiteralLineFramer {
  /** An AUTHENTICATE is in progress: a lone string is a challenge, answered by the client. */
  private authenticating = false;

  constructor() {
    super(MAX_REPLY_LINE_BYTES, "OK, NO or BYE");
  }

  override sent(line: string): void {
    if (/^AUTHENTICATE\b/i.test(line)) this.authenticating = true;
  }

  protected completes(line: string, linesSoFar: number): { status: string } | undefined {
    const status = COMPLETION.exec(line)?.[1]?.toUpperCase();
    if (status) {
      this.authenticating = false;
      return { status };
    }
    return this.authenticating && linesSoFar === 1 && LONE_STRING.test(line) ? { status: "+" } : undefined;
  }
}

/** RFC 5804 §1.8: `"NAME" ["VALUE"]` lines; SASL and SIEVE values are space-separated lists. */
export function sieveCapabilities(reply: Reply): Capabilities | undefined {
  if (reply.status !== "OK") return undefined;
  const capabilities: Capabilities = new Map();
  for (const line of reply.lines) {
    const match = /^"([^"]+)"(?:\s+"((?:[^"\\]|\\.)*)")?\s*$/.exec(line);
    if (match) capabilities.set(match[1]!.toUpperCase(), (match[2] ?? "").split(/\s+/).filter(Boolean).map((v) => v.toUpperCase()));
  }
  if (capabilities.size === 0) return undefined;
  // Scripts written for SMTP say `capability AUTH PLAIN`; ManageSieve calls it SASL.
  const sasl = capabilities.get("SASL");
  if (sasl && !capabilities.has("AUTH")) capabilities.set("AUTH", sasl);
  return capabilities;
}

/** `NO (QUOTA/MAXSIZE) "…"`, `OK (WARNINGS) "…"`: the code in parentheses. */
function sieveResponseCodes(reply: Reply): string[] {
  const last = reply.lines[reply.lines.length - 1] ?? "";
  const code = /^(?:OK|NO|BYE)\s+\(([A-Za-z][A-Za-z0-9/-]*)/i.exec(last)?.[1];
  return code ? [code.toUpperCase()] : [];
}

const quote = (text: string) => `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

/** A challenge's text: the string of a `"…"` line, or a literal's content. */
function challengeText(reply: Reply): string {
  const line = reply.lines[0] ?? "";
  if (line.startsWith('"')) return line.slice(1, -1).replace(/\\(.)/g, "$1");
  return line.slice(line.indexOf("\n") + 1);
}

/** RFC 5804 §2.1: `AUTHENTICATE "MECH" ["initial response"]`, responses as quoted strings. */
async function authenticate(exchange: Exchange, { mechanism, user, secret }: Credentials): Promise<void> {
  const responses: Array<(challenge: string) => { line: string; shown: string }> = [];
  let command: { line: string; shown: string };
  switch (mechanism) {
    case "plain":
      command = { line: `AUTHENTICATE "PLAIN" ${quote(plainResponse(user, secret))}`, shown: `AUTHENTICATE "PLAIN" ${SECRET_PLACEHOLDER}` };
      break;
    case "xoauth2":
      command = { line: `AUTHENTICATE "XOAUTH2" ${quote(xoauth2Response(user, secret))}`, shown: `AUTHENTICATE "XOAUTH2" ${SECRET_PLACEHOLDER}` };
      responses.push(() => ({ line: '""', shown: '""' }));
      break;
    case "login": {
      const [userLine, secretLine] = loginResponses(user, secret);
      command = { line: 'AUTHENTICATE "LOGIN"', shown: 'AUTHENTICATE "LOGIN"' };
      responses.push(() => ({ line: quote(userLine), shown: quote(userLine) }), () => ({ line: quote(secretLine), shown: SECRET_PLACEHOLDER }));
      break;
    }
    case "cram-md5":
      command = { line: 'AUTHENTICATE "CRAM-MD5"', shown: 'AUTHENTICATE "CRAM-MD5"' };
      responses.push((challenge) => ({ line: quote(cramMd5Response(challenge, user, secret)), shown: SECRET_PLACEHOLDER }));
      break;
    case "user":
      throw new Error("`auth user` is POP3 only; the compiler refuses it elsewhere");
  }
  await exchange.send(command.line, command.shown);
  for (const respond of responses) {
    const reply = await exchange.reply();
    if (reply.status !== "+") return exchange.putBack(reply);
    const { line, shown } = respond(challengeText(reply));
    await exchange.send(line, shown);
  }
  exchange.putBack(await exchange.reply());
}

/** Commands go out as typed; a line ending in `{n+}` announces a literal (RFC 5804 §4) whose
 *  bytes, and the CRLF after them, complete the command: only the line that ends it owes the
 *  reply, however many lines the literal's data takes. */
export class SieveSession extends PlainSession {
  private readonly framing = new CommandFraming();

  override command(line: string): Command {
    const outcome = this.framing.line(line);
    const command: Command = { wire: line, shown: line, replies: outcome.ends ? 1 : 0 };
    if (outcome.continued) command.continues = true;
    return command;
  }

  override raw(bytes: Buffer): void {
    this.framing.bytes(bytes);
  }
}

/** AUTHENTICATE's initial response and the quoted strings answering each challenge. */
export class SieveSpotter implements CredentialSpotter {
  private sasl: SaslExchange | undefined;

  client(line: string): string[] {
    const unquoted = (text: string | undefined) => (text === undefined ? undefined : text.replace(/^"|"$/g, "").replace(/\\(.)/g, "$1"));
    if (this.sasl) return this.sasl.response(unquoted(line.trim())!);
    const auth = /^AUTHENTICATE\s+"?([A-Za-z0-9-]+)"?(?:\s+("(?:[^"\\]|\\.)*"))?\s*$/i.exec(line);
    if (!auth) return [];
    const { exchange, secrets } = openSasl(auth[1]!, unquoted(auth[2]));
    this.sasl = exchange;
    return secrets;
  }

  server(reply: Reply): void {
    if (!this.sasl) return;
    if (reply.status === "+") this.sasl.challenge(challengeText(reply));
    else this.sasl = undefined;
  }
}

export const sieve = {
  name: "sieve",
  title: "ManageSieve",
  // RFC 5804 §2.
  commands: ["AUTHENTICATE", "STARTTLS", "LOGOUT", "CAPABILITY", "HAVESPACE", "PUTSCRIPT", "LISTSCRIPTS", "SETACTIVE", "GETSCRIPT", "DELETESCRIPT", "RENAMESCRIPT", "CHECKSCRIPT", "NOOP", "UNAUTHENTICATE"],
  schemes: [{ scheme: "sieve", defaultPort: 4190, implicitTls: false, source: "RFC 5804 §1.8" }],
  matchers: { kinds: ["status", "continuation", "response-code"], replies: "responses end in OK, NO or BYE, with a (CODE) (RFC 5804 §1.3)" },
  mechanisms: ["plain", "login", "cram-md5", "xoauth2"],
  greetsAfterTls: true,
  createFramer: () => new SieveFramer(),
  starttlsCommand: "STARTTLS",
  starttlsReady: (reply: Reply) => reply.status === "OK",
  capabilities: sieveCapabilities,
  describeCapabilities: describeCapabilityList,
  authenticate,
  createSession: () => new SieveSession(),
  responseCodes: sieveResponseCodes,
  createSpotter: () => new SieveSpotter(),
  isRefusal: (reply: Reply) => reply.status !== "OK" && reply.status !== "+",
  literal: (size: number) => `{${size}+}`,
} as const satisfies Protocol;
