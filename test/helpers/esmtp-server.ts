// A small ESMTP server on a real socket for what nodemailer's smtp-server does not speak:
// CHUNKING/BDAT (RFC 3030) and BINARYMIME, with PIPELINING offered or not, and a mode that
// ends a message on a bare-LF `\n.\n` as smuggling-prone servers do. It records what
// arrived: each socket read, the BDAT lines, each message's bytes (or, with `discard`, only
// how many: a large message is counted as it comes and kept nowhere).
import type { Socket } from "node:net";
import { startRawServer, type RawServer } from "./raw-server.js";

export interface EsmtpOptions {
  pipelining?: boolean;
  chunking?: boolean;
  binarymime?: boolean;
  /** End DATA at `\n.\n` too (what Postfix without smtpd_forbid_bare_newline does). */
  bareLfEndsData?: boolean;
  /** BDAT chunks counted and dropped as they arrive; socket reads not recorded. */
  discard?: boolean;
}

export interface EsmtpServer extends RawServer {
  /** Each socket read, as latin1 text: which lines came in one write. */
  reads: string[];
  bdat: string[];
  messages: Buffer[];
  /** Each BDAT message's size in bytes. */
  octets: number[];
}

export async function startEsmtpServer(options: EsmtpOptions): Promise<EsmtpServer> {
  const reads: string[] = [];
  const bdat: string[] = [];
  const messages: Buffer[] = [];
  const octets: number[] = [];
  const server = await startRawServer((socket) => serve(socket, options, { reads, bdat, messages, octets }));
  return Object.assign(server, { reads, bdat, messages, octets });
}

function serve(socket: Socket, options: EsmtpOptions, record: Pick<EsmtpServer, "reads" | "bdat" | "messages" | "octets">): void {
  let buffer: Buffer = Buffer.alloc(0);
  let mode: "command" | "data" | { chunk: number; left: number; last: boolean } = "command";
  let message: Buffer[] = [];
  let size = 0;
  const reply = (text: string) => socket.write(`${text}\r\n`);
  socket.write("220 esmtp.test ESMTP test server\r\n");
  socket.on("data", (chunk: Buffer) => {
    if (!options.discard) record.reads.push(chunk.toString("latin1"));
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (typeof mode === "object") {
        // Taken as it comes, so a large chunk is never joined again and again.
        const take = Math.min(mode.left, buffer.length);
        if (!options.discard) message.push(buffer.subarray(0, take));
        buffer = buffer.subarray(take);
        mode.left -= take;
        size += take;
        if (mode.left > 0) return;
        if (mode.last) {
          record.messages.push(Buffer.concat(message));
          record.octets.push(size);
          message = [];
          size = 0;
          reply("250 2.0.0 Ok: queued as BDAT1");
        } else reply(`250 2.0.0 ${mode.chunk} octets received`);
        mode = "command";
        continue;
      }
      if (mode === "data") {
        const text = buffer.toString("latin1");
        const end = options.bareLfEndsData ? /(?:\r?\n)\.\r?\n/.exec(text) : /\r\n\.\r\n/.exec(text);
        if (!end) return;
        record.messages.push(buffer.subarray(0, end.index));
        buffer = buffer.subarray(end.index + end[0].length);
        mode = "command";
        reply("250 2.0.0 Ok: queued as DATA1");
        continue;
      }
      const at = buffer.indexOf("\n");
      if (at < 0) return;
      const line = buffer.subarray(0, at).toString("latin1").replace(/\r$/, "");
      buffer = buffer.subarray(at + 1);
      const verb = line.split(" ")[0]!.toUpperCase();
      if (verb === "EHLO") {
        const keywords = ["esmtp.test", ...(options.pipelining ? ["PIPELINING"] : []), ...(options.chunking ? ["CHUNKING"] : []), ...(options.binarymime ? ["BINARYMIME"] : []), "8BITMIME"];
        keywords.forEach((k, i) => reply(`250${i < keywords.length - 1 ? "-" : " "}${k}`));
      } else if (verb === "MAIL" || verb === "RCPT" || verb === "NOOP" || verb === "RSET") reply("250 2.0.0 Ok");
      else if (verb === "DATA") {
        mode = "data";
        reply("354 End data with <CR><LF>.<CR><LF>");
      } else if (verb === "BDAT") {
        record.bdat.push(line);
        const [, size, last] = /^BDAT (\d+)( LAST)?$/i.exec(line) ?? [];
        if (size === undefined) reply("501 5.5.4 Syntax: BDAT size [LAST]");
        else mode = { chunk: Number(size), left: Number(size), last: Boolean(last) };
      } else if (verb === "QUIT") {
        socket.end("221 2.0.0 Bye\r\n");
        return;
      } else reply("502 5.5.2 Error: command not recognized");
    }
  });
}
