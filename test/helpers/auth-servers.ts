// Small scripted SMTP, POP3 and IMAP servers that take any credentials. `behave` accepts
// them; `echo` refuses them with a reply that repeats every line the client sent during the
// exchange — the worst case for a transcript that must not show a secret.
import type { Socket } from "node:net";
import { onClientLines, startRawServer, type RawServer } from "./raw-server.js";

export type AuthMode = "behave" | "echo";
export type AuthProtocol = "smtp" | "pop3" | "imap";

/** The CRAM-MD5 challenge of RFC 2195 §2, fixed so a test can compute the response. */
export const CRAM_CHALLENGE = "<1896.697170952@postoffice.example.net>";

function smtp(socket: Socket, mode: AuthMode): void {
  socket.write("220 mx.example.test ESMTP\r\n");
  let exchange: string[] | undefined;
  let prompts: string[] = [];
  const final = () => {
    const seen = exchange!.join(" | ");
    exchange = undefined;
    socket.write(mode === "behave" ? "235 2.7.0 Authentication successful\r\n" : `535 5.7.8 rejected: ${seen}\r\n`);
  };
  onClientLines(socket, (line) => {
    if (exchange) {
      exchange.push(line);
      const prompt = prompts.shift();
      if (prompt !== undefined) socket.write(`334 ${prompt}\r\n`);
      else final();
      return;
    }
    const auth = /^AUTH (\S+)(?: (\S+))?$/i.exec(line);
    if (auth) {
      exchange = [line];
      const mechanism = auth[1]!.toUpperCase();
      prompts = mechanism === "LOGIN" ? (auth[2] ? [] : ["UGFzc3dvcmQ6"]) : [];
      if (mechanism === "LOGIN") socket.write(`334 ${auth[2] ? "UGFzc3dvcmQ6" : "VXNlcm5hbWU6"}\r\n`);
      else if (mechanism === "CRAM-MD5") socket.write(`334 ${Buffer.from(CRAM_CHALLENGE).toString("base64")}\r\n`);
      else if (auth[2] === undefined) socket.write("334 \r\n");
      else final();
      return;
    }
    if (/^(EHLO|HELO)/i.test(line)) socket.write("250-mx.example.test\r\n250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n250 8BITMIME\r\n");
    else if (/^QUIT/i.test(line)) socket.end("221 2.0.0 Bye\r\n");
    else socket.write("250 2.0.0 Ok\r\n");
  });
}

function pop3(socket: Socket, mode: AuthMode): void {
  socket.write("+OK POP3 ready\r\n");
  let exchange: string[] | undefined;
  const final = () => {
    const seen = exchange!.join(" | ");
    exchange = undefined;
    socket.write(mode === "behave" ? "+OK logged in\r\n" : `-ERR [AUTH] rejected: ${seen}\r\n`);
  };
  onClientLines(socket, (line) => {
    if (exchange) {
      exchange.push(line);
      if (/^USER /i.test(exchange[0]!) && exchange.length === 1) return;
      return final();
    }
    if (/^USER /i.test(line)) {
      exchange = [line];
      socket.write("+OK\r\n");
      return;
    }
    const auth = /^AUTH (\S+)(?: (\S+))?$/i.exec(line);
    if (auth) {
      exchange = [line];
      if (auth[2] === undefined) socket.write("+ \r\n");
      else final();
      return;
    }
    if (/^QUIT/i.test(line)) socket.end("+OK bye\r\n");
    else socket.write("+OK\r\n");
  });
}

function imap(socket: Socket, mode: AuthMode): void {
  socket.write("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
  let pending: { tag: string; seen: string[] } | undefined;
  const final = () => {
    const { tag, seen } = pending!;
    pending = undefined;
    socket.write(mode === "behave" ? `${tag} OK logged in\r\n` : `${tag} NO [AUTHENTICATIONFAILED] rejected: ${seen.join(" | ")}\r\n`);
  };
  onClientLines(socket, (line) => {
    if (pending) {
      pending.seen.push(line);
      return final();
    }
    const [tag = "*", verb = ""] = line.split(" ");
    if (/^LOGIN$/i.test(verb)) {
      pending = { tag, seen: [line] };
      return final();
    }
    if (/^AUTHENTICATE$/i.test(verb)) {
      pending = { tag, seen: [line] };
      if (line.split(" ").length > 3) return final();
      socket.write("+ \r\n");
      return;
    }
    if (/^LOGOUT$/i.test(verb)) socket.end(`* BYE bye\r\n${tag} OK done\r\n`);
    else socket.write(`${tag} OK done\r\n`);
  });
}

export function startAuthServer(protocol: AuthProtocol, mode: AuthMode): Promise<RawServer> {
  const serve = { smtp, pop3, imap }[protocol];
  return startRawServer((socket) => serve(socket, mode));
}
