// The sandbox's POP3 server (RFC 1939, CAPA and STLS from RFC 2449/2595, AUTH from RFC 5034),
// Dovecot-like in its wording, serving the shared mail store.
import type { LineHandler, LineSession } from "./line-server.js";
import type { MailStore, StoredMessage } from "./store.js";
import { findUser, type SandboxUser } from "./users.js";

export interface Pop3Options {
  /** Refuse USER/PASS and AUTH before TLS (Dovecot's disable_plaintext_auth). */
  plaintextLoginDisabled?: boolean;
  /** Refuse every login (the `bad-credentials` fault). */
  rejectAllLogins?: boolean;
}

const PLAINTEXT_REFUSED = "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

function dotStuffed(raw: Buffer): string {
  const text = raw.toString("utf8").replace(/\r?\n/g, "\r\n");
  const lines = text.endsWith("\r\n") ? text.slice(0, -2).split("\r\n") : text.split("\r\n");
  return lines.map((line) => (line.startsWith(".") ? `.${line}` : line)).join("\r\n") + "\r\n.\r\n";
}

export function pop3Handler(store: MailStore, options: Pop3Options = {}): () => LineHandler {
  return () => {
    let pendingUser: string | undefined;
    let user: SandboxUser | undefined;
    let messages: StoredMessage[] = [];
    const deleted = new Set<number>();
    let sasl: ((line: string) => void) | undefined;

    const capabilities = (session: LineSession) => [
      "CAPA",
      "TOP",
      "UIDL",
      "RESP-CODES",
      "AUTH-RESP-CODE",
      "PIPELINING",
      ...(session.secure ? [] : ["STLS"]),
      "USER",
      "SASL PLAIN LOGIN",
    ];

    const login = (session: LineSession, name: string, password: string) => {
      const found = findUser(name);
      if (!found || found.password !== password || options.rejectAllLogins) return session.send("-ERR [AUTH] Authentication failed.");
      user = found;
      messages = [...store.mailbox(found.address)];
      session.send("+OK Logged in.");
    };

    const message = (session: LineSession, arg: string | undefined): StoredMessage | undefined => {
      const index = Number(arg);
      const found = Number.isInteger(index) && index >= 1 ? messages[index - 1] : undefined;
      if (!found || deleted.has(index)) {
        session.send("-ERR There's no message " + (arg ?? "") + ".");
        return undefined;
      }
      return found;
    };

    return {
      tooLong: "-ERR line too long",
      greet: (session) => session.send("+OK mailchat sandbox POP3 ready."),
      line(session, line) {
        if (sasl) return sasl(line);
        const [verb = "", ...args] = line.split(" ");
        const command = verb.toUpperCase();
        const plaintextRefused = options.plaintextLoginDisabled && !session.secure;
        switch (command) {
          case "CAPA":
            session.send("+OK");
            for (const capability of capabilities(session)) session.send(capability);
            return session.send(".");
          case "STLS":
            if (session.secure) return session.send("-ERR TLS already active.");
            session.send("+OK Begin TLS negotiation now.");
            return session.startTls();
          case "USER":
            if (user) return session.send("-ERR Already logged in.");
            if (plaintextRefused) return session.send(PLAINTEXT_REFUSED);
            pendingUser = args.join(" ");
            return session.send("+OK");
          case "PASS":
            if (plaintextRefused) return session.send(PLAINTEXT_REFUSED);
            if (!pendingUser) return session.send("-ERR No username given.");
            return login(session, pendingUser, args.join(" "));
          case "AUTH": {
            if (plaintextRefused) return session.send(PLAINTEXT_REFUSED);
            const mechanism = (args[0] ?? "").toUpperCase();
            if (mechanism === "PLAIN") {
              const finish = (b64: string) => {
                sasl = undefined;
                const [, name = "", password = ""] = Buffer.from(b64, "base64").toString("utf8").split("\0");
                login(session, name, password);
              };
              if (args[1]) return finish(args[1]);
              sasl = finish;
              return session.send("+ ");
            }
            if (mechanism === "LOGIN") {
              let name: string | undefined;
              sasl = (b64) => {
                const value = Buffer.from(b64, "base64").toString("utf8");
                if (name === undefined) {
                  name = value;
                  return session.send("+ UGFzc3dvcmQ6");
                }
                sasl = undefined;
                login(session, name, value);
              };
              return session.send("+ VXNlcm5hbWU6");
            }
            return session.send("-ERR Unsupported authentication mechanism.");
          }
          case "QUIT":
            session.send("+OK Logging out.");
            return session.close();
          case "NOOP":
            return session.send("+OK");
        }
        if (!user) return session.send("-ERR Unknown command.");
        switch (command) {
          case "STAT": {
            const live = messages.filter((_, i) => !deleted.has(i + 1));
            return session.send(`+OK ${live.length} ${live.reduce((sum, m) => sum + m.size, 0)}`);
          }
          case "LIST":
          case "UIDL": {
            const describe = (m: StoredMessage, i: number) => `${i + 1} ${command === "LIST" ? m.size : m.uid}`;
            if (args[0]) {
              const m = message(session, args[0]);
              return m && session.send(`+OK ${describe(m, Number(args[0]) - 1)}`);
            }
            session.send(command === "LIST" ? `+OK ${messages.length} messages:` : "+OK");
            messages.forEach((m, i) => !deleted.has(i + 1) && session.send(describe(m, i)));
            return session.send(".");
          }
          case "RETR": {
            const m = message(session, args[0]);
            if (!m) return;
            session.send(`+OK ${m.size} octets`);
            return session.write(dotStuffed(m.raw));
          }
          case "TOP": {
            const m = message(session, args[0]);
            if (!m) return;
            const text = m.raw.toString("utf8");
            const split = text.search(/\r?\n\r?\n/);
            const headers = split < 0 ? text : text.slice(0, split);
            const body = split < 0 ? "" : text.slice(split).replace(/^\r?\n\r?\n/, "");
            const lines = body.split(/\r?\n/).slice(0, Number(args[1] ?? 0));
            session.send("+OK");
            return session.write(dotStuffed(Buffer.from(`${headers}\r\n\r\n${lines.join("\r\n")}`)));
          }
          case "DELE": {
            const m = message(session, args[0]);
            if (!m) return;
            deleted.add(Number(args[0]));
            return session.send("+OK Marked to be deleted.");
          }
          case "RSET":
            deleted.clear();
            return session.send("+OK");
        }
        return session.send("-ERR Unknown command.");
      },
    };
  };
}
