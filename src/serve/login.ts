// Logins are equivalent for `serve`: where the recording logs in one way (IMAP LOGIN, SMTP
// AUTH LOGIN, POP3 USER/PASS …), a client may log in any of the protocol's plain ways, and is
// answered with the recorded outcome. The SASL dialogue (334 / + prompts) is generated for
// the form the client chose; the recording's own dialogue is skipped.
import type { ReplayLine } from "./recording.js";
import { SECRET_PLACEHOLDER } from "../limits.js";

export type Family = "smtp" | "imap" | "pop3" | "sieve";

export function familyOf(scheme: string): Family {
  if (/^imap/.test(scheme)) return "imap";
  if (/^pop3/.test(scheme)) return "pop3";
  if (scheme === "sieve") return "sieve";
  return "smtp";
}

/** The SASL mechanisms serve can answer in place of any recorded login, by protocol. */
export const EQUIVALENT_MECHANISMS: Record<Family, readonly string[]> = {
  smtp: ["PLAIN", "LOGIN"],
  imap: ["PLAIN"],
  pop3: ["PLAIN", "LOGIN"],
  sieve: [],
};

/** A login in the recording: the lines from its first command to its outcome. */
export interface RecordedLogin {
  /** Index of the first recorded line after the outcome. */
  end: number;
  /** The recorded final reply (IMAP: with the untagged lines before it). */
  outcome: Array<{ text: string; line: number }>;
  /** How the recording logged in: `AUTH LOGIN`, `LOGIN`, `USER/PASS`, `AUTHENTICATE PLAIN`. */
  form: string;
  /** The SASL mechanism, when the recording used one. */
  mechanism?: string;
  /** The user the recording logged in as, when the recording shows it. */
  user?: string;
  /** The recorded IMAP tag of the login command. */
  tag?: string;
}

const IMAP_LOGIN = /^(\S+) (LOGIN|AUTHENTICATE)\b\s*(.*)$/i;

function unquote(word: string): string {
  return /^".*"$/.test(word) ? word.slice(1, -1).replace(/\\(["\\])/g, "$1") : word;
}

/** IMAP's LOGIN arguments: atoms or quoted strings (a literal is not taken). */
function imapArguments(text: string): string[] | undefined {
  const out: string[] = [];
  const word = /\s*("(?:[^"\\]|\\.)*"|[^\s"{]+)/y;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = word.exec(text))) {
    out.push(unquote(match[1]!));
    consumed = word.lastIndex;
  }
  return text.slice(consumed).trim() === "" ? out : undefined;
}

function decode(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}

function isContinuation(family: Family, text: string): boolean {
  if (family === "smtp") return /^334(?: |$)/.test(text);
  if (family === "imap") return /^\+(?: |$)/.test(text);
  if (family === "pop3") return /^\+(?: |$)/.test(text) && !/^\+OK/i.test(text);
  return false;
}

/** The login that starts at recorded line `at`, if one does. */
export function recordedLogin(family: Family, lines: readonly ReplayLine[], at: number): RecordedLogin | undefined {
  const first = lines[at];
  if (first?.kind !== "client") return undefined;
  let form: string;
  let mechanism: string | undefined;
  let user: string | undefined;
  let tag: string | undefined;
  const responses: string[] = [];
  if (family === "imap") {
    const m = IMAP_LOGIN.exec(first.text);
    if (!m) return undefined;
    tag = m[1];
    if (m[2]!.toUpperCase() === "LOGIN") {
      form = "LOGIN";
      const args = imapArguments(m[3]!);
      if (args?.[0] && args[0] !== SECRET_PLACEHOLDER) user = args[0];
    } else {
      mechanism = m[3]!.split(/\s+/)[0]!.toUpperCase();
      form = `AUTHENTICATE ${mechanism}`;
    }
  } else if (family === "pop3" && /^USER\s/i.test(first.text)) {
    form = "USER/PASS";
    user = first.text.replace(/^USER\s+/i, "");
  } else if (family === "pop3" && /^APOP\s/i.test(first.text)) {
    form = "APOP";
    user = first.text.split(/\s+/)[1];
  } else if ((family === "smtp" || family === "pop3") && /^AUTH\s+\S/i.test(first.text)) {
    const [, mech = "", initial] = first.text.split(/\s+/);
    mechanism = mech.toUpperCase();
    form = `AUTH ${mechanism}`;
    if (initial) responses.push(initial);
  } else return undefined;

  // Server groups that continue the exchange (prompts, POP3's +OK to USER) are followed by a
  // client line; the first group that is not is the outcome.
  let i = at + 1;
  for (;;) {
    const start = i;
    while (lines[i]?.kind === "server") i++;
    const group = lines.slice(start, i) as Array<{ kind: "server"; text: string; line: number }>;
    const next = lines[i];
    const continues = group.length > 0 && next?.kind === "client" && (isContinuation(family, group[0]!.text) || (form === "USER/PASS" && /^\+OK/i.test(group[0]!.text) && /^PASS\b/i.test(next.text)));
    if (!continues) {
      if (group.length === 0) return undefined;
      const login: RecordedLogin = { end: i, outcome: group.map(({ text, line }) => ({ text, line })), form };
      if (mechanism) login.mechanism = mechanism;
      if (tag) login.tag = tag;
      if (!user && mechanism === "LOGIN" && responses[0]) user = decode(responses[0]);
      if (user && user !== SECRET_PLACEHOLDER && !user.includes(SECRET_PLACEHOLDER)) login.user = user;
      return login;
    }
    responses.push(next.text);
    i++;
  }
}

/** How a client logs in, from its first login line; undefined when the line is no login. */
export interface ClientLogin {
  form: string;
  mechanism?: string;
  /** Whether serve can carry the dialogue of this form itself. */
  supported: boolean;
}

export function clientLogin(family: Family, received: string): ClientLogin | undefined {
  if (family === "imap") {
    const m = IMAP_LOGIN.exec(received);
    if (!m) return undefined;
    if (m[2]!.toUpperCase() === "LOGIN") return { form: "LOGIN", supported: imapArguments(m[3]!)?.length === 2 };
    const mechanism = m[3]!.split(/\s+/)[0]!.toUpperCase();
    return { form: `AUTHENTICATE ${mechanism}`, mechanism, supported: mechanism === "PLAIN" };
  }
  if (family === "pop3" && /^USER\s/i.test(received)) return { form: "USER/PASS", supported: true };
  if (family === "pop3" && /^APOP\s/i.test(received)) return { form: "APOP", supported: false };
  if ((family === "smtp" || family === "pop3") && /^AUTH\s+\S/i.test(received)) {
    const mechanism = received.split(/\s+/)[1]!.toUpperCase();
    return { form: `AUTH ${mechanism}`, mechanism, supported: mechanism === "PLAIN" || mechanism === "LOGIN" };
  }
  return undefined;
}

export interface Credentials {
  user?: string;
  password?: string;
  /** The client gave up (`*`) or closed. */
  cancelled?: boolean;
}

/** The generated side of a login: a prompt sent, a line read back. */
export interface LoginIo {
  prompt(text: string): void;
  read(): Promise<string | undefined>;
}

function plain(response: string | undefined): Credentials {
  if (response === undefined || response.trim() === "*") return { cancelled: true };
  const decoded = decode(response.trim());
  const parts = decoded?.split("\0");
  if (!parts || parts.length !== 3) return {};
  return { user: parts[1]!, password: parts[2]! };
}

/** Carry the client's own login dialogue (its first line already read): what it logged in with. */
export async function converseLogin(family: Family, first: string, io: LoginIo): Promise<Credentials> {
  const prompt = (text: string) => io.prompt(family === "smtp" ? `334 ${text}` : `+ ${text}`);
  if (family === "imap") {
    const m = IMAP_LOGIN.exec(first)!;
    if (m[2]!.toUpperCase() === "LOGIN") {
      const [user, password] = imapArguments(m[3]!) ?? [];
      return { ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
    }
    const initial = m[3]!.split(/\s+/)[1];
    if (initial !== undefined) return plain(initial === "=" ? "" : initial);
    prompt("");
    return plain(await io.read());
  }
  if (family === "pop3" && /^USER\s/i.test(first)) {
    const user = first.replace(/^USER\s+/i, "");
    io.prompt("+OK");
    const pass = await io.read();
    if (pass === undefined || !/^PASS\s/i.test(pass)) return { user, cancelled: true };
    return { user, password: pass.replace(/^PASS\s/i, "") };
  }
  const [, mechanism = "", initial] = first.split(/\s+/);
  if (mechanism.toUpperCase() === "PLAIN") {
    if (initial !== undefined) return plain(initial === "=" ? "" : initial);
    prompt("");
    return plain(await io.read());
  }
  // LOGIN: user name, then password, each base64 (RFC draft-murchison-sasl-login).
  let userLine: string | undefined = initial;
  if (userLine === undefined) {
    prompt("VXNlcm5hbWU6");
    userLine = await io.read();
  }
  if (userLine === undefined || userLine.trim() === "*") return { cancelled: true };
  prompt("UGFzc3dvcmQ6");
  const passLine = await io.read();
  if (passLine === undefined || passLine.trim() === "*") return { cancelled: true };
  const user = decode(userLine.trim());
  const password = decode(passLine.trim());
  return { ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
}

/** The protocol's reply to credentials that do not match. */
export function authFailure(family: Family, tag: string | undefined): string {
  if (family === "imap") return `${tag ?? "*"} NO [AUTHENTICATIONFAILED] Authentication failed.`;
  if (family === "pop3") return "-ERR [AUTH] Authentication failed.";
  return "535 5.7.8 Authentication credentials invalid";
}

/** The protocol's reply to a cancelled SASL exchange. */
export function authCancelled(family: Family, tag: string | undefined): string {
  if (family === "imap") return `${tag ?? "*"} BAD Authentication cancelled.`;
  if (family === "pop3") return "-ERR Authentication cancelled.";
  return "501 5.7.0 Authentication cancelled";
}

/** The protocol's answer to QUIT or LOGOUT. */
export function goodbye(family: Family, tag: string | undefined): string[] {
  if (family === "imap") return ["* BYE Logging out", `${tag ?? "*"} OK Logout completed.`];
  if (family === "pop3") return ["+OK Logging out."];
  if (family === "sieve") return ['OK "Logout completed."'];
  return ["221 2.0.0 Bye"];
}
