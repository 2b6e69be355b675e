// Credentials in IMAP client lines, by their place: LOGIN's password and AUTHENTICATE's
// responses.
import { openSasl, type SaslExchange } from "../credentials.js";
import type { CredentialSpotter, Reply } from "../types.js";

/**
 * IMAP `LOGIN user password` (atoms, quoted strings or literals, RFC 9051 §6.2.3) and
 * `AUTHENTICATE MECH [initial-response]` with `+` challenges (§6.2.2). Lines may carry a
 * tag (import, serve) or not (a `send` line before the runner tags it).
 */
export class ImapSpotter implements CredentialSpotter {
  private sasl: SaslExchange | undefined;
  /** LOGIN's arguments read so far, and the size of a literal whose data comes next. */
  private login: { args: string[]; literal?: number } | undefined;

  client(line: string): string[] {
    if (this.login?.literal !== undefined) {
      const size = this.login.literal;
      delete this.login.literal;
      this.login.args.push(line.slice(0, size));
      return [...this.loginSecret(), ...this.loginArgs(line.slice(size))];
    }
    this.login = undefined;
    if (this.sasl) return this.sasl.response(line);
    // Whatever precedes the command: mailchat's tag, a tag typed by the user, or both.
    const command = /^(?:\S+\s+){0,2}?(LOGIN|AUTHENTICATE)\s+(.*)$/i.exec(line);
    if (!command) return [];
    if (command[1]!.toUpperCase() === "LOGIN") {
      this.login = { args: [] };
      return this.loginArgs(command[2]!);
    }
    const [mechanism = "", initial] = command[2]!.trim().split(/\s+/);
    const { exchange, secrets } = openSasl(mechanism, initial);
    this.sasl = exchange;
    return secrets;
  }

  private loginSecret(): string[] {
    return this.login && this.login.args.length === 2 ? [this.login.args[1]!] : [];
  }

  private loginArgs(text: string): string[] {
    const login = this.login!;
    let rest = text.trimStart();
    const before = login.args.length;
    while (rest && login.args.length < 2) {
      const literal = /^\{(\d+)\+?\}$/.exec(rest);
      if (literal) {
        login.literal = Number(literal[1]);
        break;
      }
      const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (quoted) {
        login.args.push(quoted[1]!.replace(/\\(.)/g, "$1"));
        rest = rest.slice(quoted[0].length).trimStart();
        continue;
      }
      const atom = /^\S+/.exec(rest)![0];
      login.args.push(atom);
      rest = rest.slice(atom.length).trimStart();
    }
    return before < 2 && login.args.length === 2 ? this.loginSecret() : [];
  }

  server(reply: Reply): void {
    if (this.sasl && reply.status === "+") return this.sasl.challenge(reply.lines[reply.lines.length - 1]!.replace(/^\+ ?/, ""));
    if (reply.status !== "+") {
      this.sasl = undefined;
      if (this.login?.literal === undefined) this.login = undefined;
    }
  }
}

