// A small SMTP server on a real TLS socket (implicit TLS, or STARTTLS on a plain one) whose
// handshake is what a test needs: the certificates it sends, an OCSP response it staples,
// the ALPN protocols it accepts, and a client certificate it asks for. It tells the client
// what it saw: `MAIL FROM` is answered with the client certificate's subject, or "none".
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import * as tls from "node:tls";

export interface TlsSmtpOptions {
  /** PEM files: the certificate (with its chain when the server sends one) and its key. */
  cert: string;
  key: string;
  starttls?: boolean;
  /** A DER OCSP response file, stapled when the client asks. */
  staple?: string;
  alpn?: string[];
  /** Ask for a client certificate (not required: the test judges what came). */
  requestCert?: boolean;
}

export interface TlsSmtpServer {
  port: number;
  close(): Promise<void>;
}

function speak(socket: Socket | tls.TLSSocket, secure: boolean, upgrade: (socket: Socket) => void): void {
  let buffer = "";
  const reply = (text: string) => socket.write(`${text}\r\n`);
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      const line = buffer.slice(0, at).replace(/\r$/, "");
      buffer = buffer.slice(at + 1);
      const verb = line.split(" ")[0]!.toUpperCase();
      if (verb === "EHLO") reply(secure ? "250 tls.test" : "250-tls.test\r\n250 STARTTLS");
      else if (verb === "STARTTLS" && !secure) {
        socket.removeListener("data", onData);
        reply("220 2.0.0 Ready to start TLS");
        upgrade(socket as Socket);
        return;
      } else if (verb === "MAIL") {
        const peer = (socket as tls.TLSSocket).getPeerCertificate?.();
        reply(`250 2.1.0 Ok, client certificate ${peer && peer.subject ? `CN=${peer.subject.CN}` : "none"}`);
      } else if (verb === "QUIT") {
        reply("221 2.0.0 Bye");
        socket.end();
        return;
      } else reply("502 5.5.2 Error: command not recognized");
    }
  };
  socket.on("data", onData);
  socket.on("error", () => undefined);
}

export async function startTlsSmtpServer(options: TlsSmtpOptions): Promise<TlsSmtpServer> {
  const serverOptions: tls.TlsOptions = { cert: readFileSync(options.cert), key: readFileSync(options.key), requestCert: Boolean(options.requestCert), rejectUnauthorized: false };
  if (options.alpn) serverOptions.ALPNProtocols = options.alpn;
  const staple = options.staple ? readFileSync(options.staple) : undefined;
  const secured = (socket: tls.TLSSocket) => {
    socket.write("220 tls.test ESMTP\r\n");
    speak(socket, true, () => undefined);
  };
  let server: Server;
  if (options.starttls) {
    server = createTcpServer((socket) => {
      socket.write("220 tls.test ESMTP\r\n");
      speak(socket, false, (plain) => {
        const secure = new tls.TLSSocket(plain, { isServer: true, server: tlsServer, secureContext: tls.createSecureContext(serverOptions), requestCert: serverOptions.requestCert, rejectUnauthorized: false, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}) });
        secure.on("secure", () => speak(secure, true, () => undefined));
        secure.on("error", () => undefined);
      });
    });
  } else server = tls.createServer(serverOptions, secured);
  // The STARTTLS path needs a tls.Server only for its settings (and its OCSPRequest event).
  const tlsServer = options.starttls ? tls.createServer(serverOptions) : (server as tls.Server);
  if (staple) tlsServer.on("OCSPRequest", (_cert: Buffer, _issuer: Buffer, done: (error: Error | null, response?: Buffer) => void) => done(null, staple));
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolvePromise) => server.close(() => resolvePromise())),
  };
}
