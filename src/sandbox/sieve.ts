// The sandbox's ManageSieve server (RFC 5804), Pigeonhole-like in its wording: capabilities,
// STARTTLS, AUTHENTICATE PLAIN/LOGIN (after TLS only, as Dovecot's default), and scripts
// kept per user in memory. PUTSCRIPT and CHECKSCRIPT run a small checker — the `require`d
// extensions must be ones the server lists, brackets and strings must close, commands must
// end — enough for the recipe's question: does the server accept my script?
import type { LineHandler, LineSession } from "./line-server.js";
import { findUser, type SandboxUser } from "./users.js";

/** The extensions the sandbox says it supports (a subset of Pigeonhole's). */
export const SIEVE_EXTENSIONS = ["fileinto", "reject", "envelope", "encoded-character", "vacation", "subaddress", "comparator-i;ascii-numeric", "relational", "regex", "imap4flags", "copy", "include", "variables", "body", "mailbox", "date", "index"];

const MAX_SCRIPT_BYTES = 1_048_576;

/** Where a script goes wrong, as Pigeonhole says it: `line N: error: …`, or undefined. */
export function checkSieve(script: string): string | undefined {
  let line = 1;
  const stack: string[] = [];
  let statementOpen = false;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "\n") line += 1;
    else if (ch === "#") while (i + 1 < script.length && script[i + 1] !== "\n") i += 1;
    else if (ch === "/" && script[i + 1] === "*") {
      const end = script.indexOf("*/", i + 2);
      if (end < 0) return `line ${line}: error: unterminated comment`;
      line += script.slice(i, end).split("\n").length - 1;
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < script.length && script[j] !== '"') j += script[j] === "\\" ? 2 : 1;
      if (j >= script.length) return `line ${line}: error: unterminated string`;
      line += script.slice(i, j).split("\n").length - 1;
      i = j;
      statementOpen = true;
    } else if (ch === "[" || ch === "(" || ch === "{") {
      if (ch === "{") statementOpen = false;
      stack.push(ch);
    } else if (ch === "]" || ch === ")" || ch === "}") {
      const open = stack.pop();
      if (open !== { "]": "[", ")": "(", "}": "{" }[ch]) return `line ${line}: error: unexpected '${ch}'`;
      if (ch === "}") statementOpen = false;
    } else if (ch === ";") statementOpen = false;
    else if (!/\s/.test(ch)) statementOpen = true;
  }
  if (stack.length > 0) return `line ${line}: error: unexpected end of script (missing closing bracket)`;
  if (statementOpen) return `line ${line}: error: unexpected end of script (missing ';')`;
  for (const match of script.matchAll(/^\s*require\s+(\[[^\]]*\]|"[^"]*")\s*;/gm)) {
    const at = script.slice(0, match.index).split("\n").length;
    for (const extension of [...match[1]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!)) {
      if (!SIEVE_EXTENSIONS.includes(extension)) return `line ${at}: error: require command: unknown Sieve capability \`${extension}'.`;
    }
  }
  return undefined;
}

const unquote = (text: string) => text.replace(/^"|"$/g, "").replace(/\\(.)/g, "$1");
const quote = (text: string) => `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;

export function sieveHandler(): () => LineHandler {
  const scripts = new Map<string, Map<string, string>>();
  const active = new Map<string, string>();
  return () => {
    let user: SandboxUser | undefined;
    /** A command whose literal is being read: the line that announced it, its size, what came. */
    let literal: { command: string; size: number; data: Buffer[]; got: number } | undefined;
    let sasl: ((line: string) => void) | undefined;

    const capabilities = (session: LineSession) => {
      session.send('"IMPLEMENTATION" "mailchat sandbox"');
      session.send(`"SIEVE" "${SIEVE_EXTENSIONS.join(" ")}"`);
      if (session.secure) session.send('"SASL" "PLAIN LOGIN"');
      else session.send('"STARTTLS"');
      session.send('"VERSION" "1.0"');
    };

    const login = (session: LineSession, name: string, password: string) => {
      const found = findUser(name);
      if (!found || found.password !== password) return session.send('NO "Authentication failed."');
      user = found;
      session.send('OK "Logged in."');
    };

    const own = () => {
      const key = user!.address;
      if (!scripts.has(key)) scripts.set(key, new Map());
      return scripts.get(key)!;
    };

    const withScript = (session: LineSession, command: string, body: string) => {
      if (!user) return session.send('NO "Not authenticated."');
      const error = Buffer.byteLength(body) > MAX_SCRIPT_BYTES ? undefined : checkSieve(body);
      if (Buffer.byteLength(body) > MAX_SCRIPT_BYTES) return session.send('NO (QUOTA/MAXSIZE) "Script is too large."');
      if (error) return session.send(`NO ${quote(error)}`);
      const put = /^PUTSCRIPT\s+("(?:[^"\\]|\\.)*"|\S+)/i.exec(command);
      if (put) own().set(unquote(put[1]!), body);
      session.send(put ? 'OK "PUTSCRIPT completed."' : 'OK "Script is valid."');
    };

    const command = (session: LineSession, line: string): void => {
      const [verb = "", ...rest] = line.trim().split(/\s+/);
      const args = rest.join(" ");
      const name = unquote(args.split(/\s+/)[0] ?? "");
      switch (verb.toUpperCase()) {
        case "CAPABILITY":
          capabilities(session);
          return session.send('OK "Capability completed."');
        case "NOOP":
          return session.send('OK "NOOP completed."');
        case "LOGOUT":
          session.send('OK "Logout completed."');
          return session.close();
        case "STARTTLS":
          if (session.secure) return session.send('NO "TLS is already active."');
          session.send('OK "Begin TLS negotiation now."');
          void session.startTls().then(() => {
            capabilities(session);
            session.send('OK "TLS negotiation successful."');
          });
          return;
        case "AUTHENTICATE": {
          if (user) return session.send('NO "Already authenticated."');
          if (!session.secure) return session.send('NO "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."');
          const [mechanism = "", initial] = args.split(/\s+/).map(unquote);
          if (mechanism.toUpperCase() === "PLAIN") {
            const finish = (response: string) => {
              const [, name = "", password = ""] = Buffer.from(unquote(response), "base64").toString("utf8").split("\0");
              login(session, name, password);
            };
            if (initial !== undefined) return finish(initial);
            sasl = finish;
            return session.send('""');
          }
          if (mechanism.toUpperCase() === "LOGIN") {
            session.send(quote(Buffer.from("Username:").toString("base64")));
            sasl = (first) => {
              const name = Buffer.from(unquote(first), "base64").toString("utf8");
              session.send(quote(Buffer.from("Password:").toString("base64")));
              sasl = (second) => login(session, name, Buffer.from(unquote(second), "base64").toString("utf8"));
            };
            return;
          }
          return session.send('NO "Unsupported authentication mechanism."');
        }
      }
      if (!user) return session.send('NO "Not authenticated."');
      switch (verb.toUpperCase()) {
        case "LISTSCRIPTS":
          for (const script of own().keys()) session.send(`${quote(script)}${active.get(user.address) === script ? " ACTIVE" : ""}`);
          return session.send('OK "Listscripts completed."');
        case "GETSCRIPT": {
          const body = own().get(name);
          if (body === undefined) return session.send('NO (NONEXISTENT) "Script does not exist."');
          session.write(`{${Buffer.byteLength(body)}}\r\n${body}\r\n`);
          return session.send('OK "Getscript completed."');
        }
        case "SETACTIVE":
          if (name && !own().has(name)) return session.send('NO (NONEXISTENT) "Script does not exist."');
          active.set(user.address, name);
          return session.send('OK "Setactive completed."');
        case "DELETESCRIPT":
          if (!own().delete(name)) return session.send('NO (NONEXISTENT) "Script does not exist."');
          return session.send('OK "Deletescript completed."');
        case "HAVESPACE": {
          const size = Number(args.split(/\s+/)[1]);
          return session.send(size > MAX_SCRIPT_BYTES ? 'NO (QUOTA/MAXSIZE) "Script is too large."' : 'OK "Putscript would succeed."');
        }
        case "PUTSCRIPT":
        case "CHECKSCRIPT":
          return session.send('NO "Missing script: send it as a literal {n+}."');
        default:
          return session.send('NO "Unknown command."');
      }
    };

    return {
      tooLong: 'BYE "line too long"',
      greet(session) {
        capabilities(session);
        session.send('OK "mailchat sandbox ManageSieve ready."');
      },
      line(session, line) {
        if (literal) {
          // The literal's bytes are counted; the CRLF after them ends the command.
          const bytes = Buffer.from(`${line}\r\n`);
          const left = literal.size - literal.got;
          if (left > 0) {
            literal.data.push(bytes.subarray(0, Math.min(left, bytes.length)));
            literal.got += Math.min(left, bytes.length);
            if (bytes.length <= left) return;
          }
          const { command: announced, data } = literal;
          literal = undefined;
          return withScript(session, announced, Buffer.concat(data).toString("utf8"));
        }
        if (sasl) {
          const next = sasl;
          sasl = undefined;
          return line.trim() === '"*"' ? session.send('NO "Authentication aborted."') : next(line.trim());
        }
        const announced = /\{(\d+)\+?\}$/.exec(line);
        if (announced && /^(PUTSCRIPT|CHECKSCRIPT)\b/i.test(line)) {
          // Read whole even when it will be refused, so its lines are not taken as commands.
          literal = { command: line, size: Number(announced[1]), data: [], got: 0 };
          return;
        }
        command(session, line);
      },
    };
  };
}
