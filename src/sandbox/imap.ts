// The sandbox's IMAP server: the subset the recipes and examples use (CAPABILITY, STARTTLS,
// LOGIN, AUTHENTICATE PLAIN with SASL-IR, SELECT/EXAMINE, FETCH, SEARCH, NOOP, LOGOUT),
// answering as Dovecot does, serving the shared mail store.
import type { LineHandler, LineSession } from "./line-server.js";
import type { MailStore, StoredMessage } from "./store.js";
import { findUser, type SandboxUser } from "./users.js";

export interface ImapOptions {
  /** LOGINDISABLED before TLS (RFC 9051 §6.2.3). */
  loginDisabledBeforeTls?: boolean;
  /** Refuse every login (the `bad-credentials` fault). */
  rejectAllLogins?: boolean;
}

/** Atoms and quoted strings of a command line (no literals in the subset served). */
function parseArguments(text: string): string[] {
  const out: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text))) out.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2]!);
  return out;
}

function messageSet(spec: string, count: number): number[] {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const [from, to = from] = part.split(":");
    const start = from === "*" ? count : Number(from);
    const end = to === "*" ? count : Number(to);
    for (let i = Math.min(start, end); i <= Math.max(start, end); i++) if (i >= 1 && i <= count) out.push(i);
  }
  return out;
}

export function imapHandler(store: MailStore, options: ImapOptions = {}): () => LineHandler {
  return () => {
    let user: SandboxUser | undefined;
    let selected: StoredMessage[] | undefined;
    /** The EXISTS count last told to the client. */
    let reported = 0;
    let continuation: ((line: string) => void) | undefined;

    const capabilities = (session: LineSession) =>
      ["IMAP4rev1", "SASL-IR", "ID", "IDLE", ...(session.secure ? [] : ["STARTTLS"]), ...(options.loginDisabledBeforeTls && !session.secure ? ["LOGINDISABLED"] : ["AUTH=PLAIN"])].join(" ");

    const login = (session: LineSession, tag: string, name: string, password: string) => {
      const found = findUser(name);
      if (!found || found.password !== password || options.rejectAllLogins) return session.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.`);
      user = found;
      session.send(`${tag} OK [CAPABILITY IMAP4rev1 SASL-IR ID IDLE UIDPLUS MOVE] Logged in`);
    };

    const fetchItems = (m: StoredMessage, seq: number, items: string): string => {
      const parts: string[] = [];
      const upper = items.toUpperCase();
      if (upper.includes("UID")) parts.push(`UID ${m.uid}`);
      if (upper.includes("FLAGS")) parts.push(`FLAGS (${[...m.flags].join(" ")})`);
      if (upper.includes("RFC822.SIZE")) parts.push(`RFC822.SIZE ${m.size}`);
      const body = m.raw.toString("utf8").replace(/\r?\n/g, "\r\n");
      if (/BODY(\.PEEK)?\[\]|RFC822(?![.])/.test(upper)) parts.push(`${upper.includes("RFC822") && !upper.includes("BODY") ? "RFC822" : "BODY[]"} {${Buffer.byteLength(body)}}\r\n${body}`);
      if (/BODY(\.PEEK)?\[HEADER\]/.test(upper)) {
        const header = body.slice(0, body.indexOf("\r\n\r\n") + 4 || body.length);
        parts.push(`BODY[HEADER] {${Buffer.byteLength(header)}}\r\n${header}`);
      }
      return `* ${seq} FETCH (${parts.join(" ")})`;
    };

    return {
      tooLong: "* BYE line too long",
      greet: (session) => session.send(`* OK [CAPABILITY ${capabilities(session)}] mailchat sandbox IMAP ready.`),
      line(session, line) {
        if (continuation) return continuation(line);
        const [tag = "*", verb = "", ...rest] = line.split(" ");
        const args = parseArguments(rest.join(" "));
        switch (verb.toUpperCase()) {
          case "CAPABILITY":
            session.send(`* CAPABILITY ${capabilities(session)}`);
            return session.send(`${tag} OK Pre-login capabilities listed.`);
          case "NOOP":
          case "CHECK":
            // RFC 9051 §7.4.1: mail delivered since the last report is announced on the next command.
            if (selected && selected.length > reported) {
              reported = selected.length;
              session.send(`* ${reported} EXISTS`);
            }
            return session.send(`${tag} OK ${verb.toUpperCase()} completed.`);
          case "LOGOUT":
            session.send("* BYE Logging out");
            session.send(`${tag} OK Logout completed.`);
            return session.close();
          case "STARTTLS":
            if (session.secure) return session.send(`${tag} BAD TLS is already active.`);
            session.send(`${tag} OK Begin TLS negotiation now.`);
            return session.startTls();
          case "LOGIN":
            if (options.loginDisabledBeforeTls && !session.secure) return session.send(`${tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.`);
            return login(session, tag, args[0] ?? "", args[1] ?? "");
          case "AUTHENTICATE": {
            if ((args[0] ?? "").toUpperCase() !== "PLAIN") return session.send(`${tag} NO Unsupported authentication mechanism.`);
            if (options.loginDisabledBeforeTls && !session.secure) return session.send(`${tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.`);
            const finish = (b64: string) => {
              continuation = undefined;
              const [, name = "", password = ""] = Buffer.from(b64, "base64").toString("utf8").split("\0");
              login(session, tag, name, password);
            };
            if (args[1]) return finish(args[1]);
            continuation = finish;
            return session.send("+ ");
          }
        }
        if (!user) return session.send(`${tag} BAD Unknown command or not logged in.`);
        switch (verb.toUpperCase()) {
          case "SELECT":
          case "EXAMINE": {
            if ((args[0] ?? "").toUpperCase() !== "INBOX") return session.send(`${tag} NO Mailbox doesn't exist: ${args[0] ?? ""}`);
            selected = store.mailbox(user.address);
            session.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
            reported = selected.length;
            session.send(`* ${selected.length} EXISTS`);
            session.send("* 0 RECENT");
            session.send(`* OK [UIDVALIDITY ${store.uidValidity}] UIDs valid`);
            session.send(`* OK [UIDNEXT ${(selected.at(-1)?.uid ?? 0) + 1}] Predicted next UID`);
            return session.send(`${tag} OK [${verb.toUpperCase() === "SELECT" ? "READ-WRITE" : "READ-ONLY"}] ${verb.toUpperCase() === "SELECT" ? "Select" : "Examine"} completed.`);
          }
          case "LIST":
            session.send('* LIST (\\HasNoChildren) "/" INBOX');
            return session.send(`${tag} OK List completed.`);
          case "STATUS": {
            if ((args[0] ?? "").toUpperCase() !== "INBOX") return session.send(`${tag} NO Mailbox doesn't exist: ${args[0] ?? ""}`);
            const box = store.mailbox(user.address);
            const values: Record<string, number> = { MESSAGES: box.length, UIDNEXT: (box.at(-1)?.uid ?? 0) + 1, UIDVALIDITY: store.uidValidity, UNSEEN: box.filter((m) => !m.flags.has("\\Seen")).length, RECENT: 0 };
            // Only the items asked for, in the order asked (RFC 9051 §6.3.11).
            const asked = args.slice(1).join(" ").replace(/[()]/g, " ").trim().split(/\s+/).map((item) => item.toUpperCase()).filter((item) => item in values);
            if (asked.length === 0) return session.send(`${tag} BAD STATUS needs items: (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)`);
            session.send(`* STATUS INBOX (${asked.map((item) => `${item} ${values[item]}`).join(" ")})`);
            return session.send(`${tag} OK Status completed.`);
          }
          case "APPEND": {
            // APPEND mailbox [(flags)] {n} or {n+} (RFC 7888): the literal is read line by line.
            const literal = /\{(\d+)(\+?)\}$/.exec(line);
            if (!literal || (args[0] ?? "").toUpperCase() !== "INBOX") return session.send(`${tag} BAD Expected APPEND INBOX {size}`);
            const size = Number(literal[1]);
            const owner = user;
            let data = "";
            continuation = (part) => {
              data += data ? `\r\n${part}` : part;
              if (Buffer.byteLength(data) < size) return;
              continuation = undefined;
              store.deliver({ from: "", recipients: [owner.address], raw: Buffer.from(data).subarray(0, size) });
              session.send(`${tag} OK [APPENDUID ${store.uidValidity} ${store.mailbox(owner.address).at(-1)!.uid}] Append completed.`);
            };
            if (!literal[2]) session.send("+ Ready for literal data");
            return;
          }
        }
        if (!selected) return session.send(`${tag} BAD No mailbox selected.`);
        switch (verb.toUpperCase()) {
          case "FETCH": {
            const items = rest.slice(1).join(" ");
            for (const seq of messageSet(args[0] ?? "", selected.length)) session.send(fetchItems(selected[seq - 1]!, seq, items));
            return session.send(`${tag} OK Fetch completed.`);
          }
          case "UID": {
            // UID FETCH / UID SEARCH: the same, addressed by UID.
            const sub = (args[0] ?? "").toUpperCase();
            const box = selected;
            if (sub === "FETCH") {
              const wanted = new Set(messageSet(args[1] ?? "", Math.max(0, ...box.map((m) => m.uid))));
              box.forEach((m, i) => wanted.has(m.uid) && session.send(fetchItems(m, i + 1, `UID ${rest.slice(2).join(" ")}`)));
              return session.send(`${tag} OK Fetch completed.`);
            }
            if (sub === "SEARCH") {
              session.send(`* SEARCH ${box.map((m) => m.uid).join(" ")}`.trimEnd());
              return session.send(`${tag} OK Search completed.`);
            }
            return session.send(`${tag} BAD Unknown UID command.`);
          }
          case "SEARCH":
            session.send(`* SEARCH ${selected.map((_, i) => i + 1).join(" ")}`.trimEnd());
            return session.send(`${tag} OK Search completed.`);
          case "CLOSE":
            selected = undefined;
            return session.send(`${tag} OK Close completed.`);
        }
        return session.send(`${tag} BAD Unknown command.`);
      },
    };
  };
}
