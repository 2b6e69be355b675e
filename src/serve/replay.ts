// `mailchat serve`: plays the server side of a golden transcript. Each client connection gets
// the next recorded connection; server lines are sent as recorded, client lines must match
// (masks and `********` match anything), STARTTLS upgrades with a generated certificate.
// Unless strict, capabilities offer only the logins serve can replay (offer.ts), questions a
// client asks on its own are answered from the recording, and a login in another plain form
// gets the recorded outcome (login.ts). The first divergence is reported with its place in
// the golden file.
import { createServer, type Server, type Socket } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import { listenOnLoopback } from "../sandbox/listen.js";
import { PREFIX, parseLine } from "../transcript/lines.js";
import { isMultiLineCommand } from "../protocols/pop3.js";
import type { CredentialSpotter } from "../protocols/types.js";
import { divergenceReply, sameClientLine } from "./matching.js";
import { ClientConnection, DEFAULT_TIMEOUTS, SessionEnded, type ConnectionTimeouts } from "./connection.js";

export { clientPattern } from "./matching.js";
import { protocolFor } from "../protocols/index.js";
import { SCHEMES } from "../protocols/schemes.js";
import { SecretBook } from "../secrets/book.js";
import { replyFromLine } from "../protocols/credentials.js";
import { escapeBytes, unescapeBytes } from "../transcript/escape.js";
import { authCancelled, authFailure, clientLogin, converseLogin, familyOf, goodbye, recordedLogin } from "./login.js";
import { harmlessAnswer, offer, replayableMechanisms, verbOf } from "./offer.js";

import type { ReplayLine, ReplaySegment } from "./recording.js";

export type { ReplayLine, ReplaySegment } from "./recording.js";

export interface Divergence {
  segment: number;
  /** Line of the golden file. */
  line: number;
  expected: string;
  received: string;
  /** The client's line number in its session (1 for its first line). */
  clientLine?: number;
  /** Why the line does not do, beyond not matching (credentials, a cancelled login). */
  why?: string;
}

export type ReplayEvent =
  | { type: "session-start"; segment: number; url: string }
  /** `note`: why serve ended the session outside the recording (a client that stopped
   *  reading, flooded, fell silent, failed its TLS handshake). */
  | { type: "session-end"; segment: number; ok: boolean; note?: string }
  | { type: "divergence"; divergence: Divergence }
  /** What serve did outside the recording: a capability withheld, a question it answered,
   *  a login in another form. */
  | { type: "note"; segment: number; text: string };

export function parseGolden(text: string): ReplaySegment[] {
  const segments: ReplaySegment[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const parsed = parseLine(raw);
    if (parsed?.kind === "connect") {
      segments.push({ url: parsed.url, implicitTls: SCHEMES[parsed.url.split(":")[0]!]?.implicitTls ?? false, lines: [] });
      return;
    }
    const segment = segments[segments.length - 1];
    if (!segment || !parsed) return;
    if (parsed.kind === "server" || parsed.kind === "client") segment.lines.push({ kind: parsed.kind, text: parsed.text, line });
    else if (parsed.kind === "tls" && !segment.implicitTls) segment.lines.push({ kind: "tls", line });
    else if (parsed.kind === "closed") segment.lines.push({ kind: "closed", by: parsed.by, line });
  });
  return segments;
}

const IMAP_TAG = /^([A-Za-z0-9.]+) /;

/** Masked server text gets plausible values back, so a client's own checks
 *  (`queued as (?<queue>\w+)`, a CRAM-MD5 challenge) work against the replay. */
const FILLERS: Record<string, () => string> = {
  "<queue-id>": () => "4F2A1B3C9D",
  "<date>": () => new Date().toUTCString().replace("GMT", "+0000"),
  "<unix-time>": () => String(Math.floor(Date.now() / 1000)),
  "<uidvalidity>": () => "1",
  "<time>": () => "0.001 secs",
  "<session-id>": () => "replay",
  "<message-id>": () => "<replay@mailchat.test>",
  "<challenge>": () => Buffer.from(`<${process.pid}.${Date.now()}@mailchat.replay>`).toString("base64"),
  "<id>": () => "replay0000000.1",
};

/** The recorded client line at `at` is the first line of a message body (after a 354). */
function isMessageBody(lines: ReplayLine[], at: number): boolean {
  const previous = lines[at - 1];
  return previous?.kind === "server" && /^354\b/.test(previous.text);
}

/** The recorded line at `at` is the client's "." that ends a body. */
function isEndOfBody(lines: ReplayLine[], at: number): boolean {
  return lines[at]!.kind === "client" && (lines[at] as { text: string }).text === ".";
}

export function fillMasks(text: string): string {
  return text.replace(/<(?:queue-id|date|unix-time|uidvalidity|time|session-id|message-id|challenge|id)>/g, (placeholder) => FILLERS[placeholder]!());
}

export interface ReplayServer {
  port: number;
  stop(): Promise<void>;
}

export async function startReplay(options: {
  segments: ReplaySegment[];
  port?: number;
  certificate: { certPem: string; keyPem: string };
  onEvent: (event: ReplayEvent) => void;
  /** Serve the recorded connections once each, then stop. */
  once?: boolean;
  /** Secrets a client sends (spotted by their place in the protocol) are masked in reports. */
  secrets?: SecretBook;
  /** Compare client lines byte for byte (no tolerance for case, EHLO names, parameters,
   *  other login forms or questions the recording does not hold). */
  strict?: boolean;
  /** `--secret` values: a client's login password must be one of them (when given). */
  passwords?: string[];
  /** `--record`: each session as it went, in transcript lines (the client's own lines). */
  record?: (segment: number, line: string) => void;
  /** The waits of each connection (src/limits.ts by default); tests shorten them. */
  timeouts?: Partial<ConnectionTimeouts>;
}): Promise<ReplayServer> {
  const book = options.secrets ?? new SecretBook();
  const context: SecureContext = createSecureContext({ cert: options.certificate.certPem, key: options.certificate.keyPem });
  const timeouts: ConnectionTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const open = new Set<ClientConnection>();
  let next = 0;
  let server: Server;
  let stopping: Promise<void> | undefined;

  // Stopping closes the listener and destroys every connection at once (TLS and the socket
  // under it): nothing waits on a client.
  const stop = () =>
    (stopping ??= new Promise<void>((resolvePromise) => {
      server.close(() => resolvePromise());
      for (const client of open) client.end("server", "serve stopped");
    }));

  const serve = (raw: Socket) => {
    // Replies leave as soon as a turn of the event loop has written them (ClientConnection):
    // no Nagle wait on the client's delayed ACK between them.
    raw.setNoDelay(true);
    const index = next++;
    const segment = options.segments[index % options.segments.length]!;
    options.onEvent({ type: "session-start", segment: index, url: segment.url });
    options.record?.(index, `${PREFIX.event}connect ${segment.url}`);
    void play(raw, segment, index).then(({ ok, note }) => {
      options.onEvent({ type: "session-end", segment: index, ok, ...(note ? { note } : {}) });
      if (options.once && (index + 1 >= options.segments.length || !ok)) void stop();
    });
  };

  /** One connection: the session, then its end, however it ends. */
  const play = async (raw: Socket, segment: ReplaySegment, index: number): Promise<{ ok: boolean; note?: string }> => {
    // What the client sent and what it was answered, as transcript lines, masked as they go.
    const record = (line: string) => options.record?.(index, book.redact(line));
    const spotter = protocolFor(SCHEMES[segment.url.split(":")[0]!]?.protocol ?? "smtp")?.createSpotter();
    const parse = (bytes: Buffer) => {
      // Compared in the transcript's escaped form: the golden file holds exact bytes that way.
      const shown = escapeBytes(bytes);
      for (const secret of spotter?.client(shown) ?? []) book.add(secret);
      return shown;
    };
    const client = new ClientConnection(raw, parse, timeouts);
    open.add(client);
    raw.once("close", () => open.delete(client));
    try {
      return { ok: await converse(client, segment, index, record, spotter) };
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
      record(`${PREFIX.event}closed by ${error.by} (${error.note})`);
      return { ok: false, note: error.note };
    } finally {
      client.finish();
    }
  };

  /** The recorded session against one client: true when it went as recorded. */
  const converse = async (client: ClientConnection, segment: ReplaySegment, index: number, record: (line: string) => void, spotter: CredentialSpotter | undefined): Promise<boolean> => {
    const scheme = segment.url.split(":")[0]!;
    const family = familyOf(scheme);
    const strict = Boolean(options.strict);
    const recorded = segment.lines;
    const note = (text: string) => options.onEvent({ type: "note", segment: index, text: book.redact(text) });
    /** Lines serve makes up (prompts, plain answers): sent, recorded, seen by the spotter. */
    const answer = (lines: string[]) => {
      for (const line of lines) {
        spotter?.server(replyFromLine(line));
        record(`${PREFIX.server}${escapeBytes(Buffer.from(line, "latin1"))}`);
      }
      client.write(lines.map((line) => `${line}\r\n`).join(""));
    };
    let tagMap: { recorded: string; client: string } | undefined;
    let received = 0;
    const readLine = async () => {
      const line = await client.readLine();
      if (line !== undefined) {
        received += 1;
        record(`${PREFIX.client}${line}`);
      }
      return line;
    };
    let tls = segment.implicitTls;
    const secure = async () => {
      const tlsSocket = await client.upgrade(context);
      tls = true;
      record(`${PREFIX.event}tls ${tlsSocket.getProtocol() ?? "TLS"} ${tlsSocket.getCipher()?.standardName ?? tlsSocket.getCipher()?.name ?? ""}`.trimEnd());
    };
    if (segment.implicitTls) await secure();
    else client.attach();

    // Capabilities list only the SASL mechanisms serve can replay; what is left out is said once.
    const { mechanisms: keep } = replayableMechanisms(family, recorded, strict);
    const withheld = new Set<string>();
    const said = new Set<string>();
    const noted = new Set<string>();
    const noteWithheld = () => {
      const fresh = [...withheld].filter((m) => !said.has(m));
      if (fresh.length === 0) return;
      for (const m of fresh) said.add(m);
      note(`withheld from the capabilities: ${fresh.join(", ")} (the recording cannot answer ${fresh.length === 1 ? "that mechanism" : "those mechanisms"}; offered: ${[...keep].join(", ") || "none"})`);
    };

    const pop3 = family === "pop3";
    /** POP3: the list a multi-line command opened, whose "." the recording does not hold. */
    let list: "expected" | "open" | undefined;
    const endList = () => {
      if (list === "open") answer(["."]);
      list = undefined;
    };
    /** Recorded server lines, as offered: IMAP tags mapped, masks filled, capabilities filtered. */
    const sendRecorded = (texts: string[], after: string | undefined) => {
      for (let text of offer(family, texts, after, keep, withheld)) {
        if (tagMap && text.startsWith(`${tagMap.recorded} `)) text = `${tagMap.client}${text.slice(tagMap.recorded.length)}`;
        spotter?.server(replyFromLine(text));
        let bytes = unescapeBytes(fillMasks(text));
        if (list === "open" && bytes[0] === 0x2e) bytes = Buffer.concat([Buffer.from("."), bytes]); // RFC 1939 §3 dot-stuffing
        if (list === "expected") list = /^\+OK/.test(text) ? "open" : undefined;
        record(`${PREFIX.server}${escapeBytes(bytes)}`);
        client.write(Buffer.concat([bytes, Buffer.from("\r\n")]));
      }
      noteWithheld();
    };
    const diverge = (step: { text: string; line: number }, got: string | undefined, why?: string) => {
      const divergence: Divergence = { segment: index, line: step.line, expected: book.redact(step.text), received: book.redact(got ?? "(the client closed the connection)") };
      if (got !== undefined) divergence.clientLine = received;
      if (why) divergence.why = book.redact(why);
      options.onEvent({ type: "divergence", divergence });
    };

    for (let at = 0; at < recorded.length; at++) {
      const step = recorded[at]!;
      if (step.kind === "server") {
        const previous = recorded[at - 1];
        const after = previous?.kind === "client" ? verbOf(family, previous.text) : undefined;
        const group: string[] = [];
        for (; recorded[at]?.kind === "server"; at++) group.push((recorded[at] as { text: string }).text);
        at -= 1;
        sendRecorded(group, after);
        continue;
      }
      endList();
      if (step.kind === "tls") {
        await secure();
        continue;
      }
      if (step.kind === "closed") {
        // The recording's client closed; a real client may wait for the server to (s_client):
        // give it a moment, then end the session either way. Closed by the server: serve
        // closes after its last reply (finish() flushes it first).
        if (step.by === "client") await Promise.race([readLine(), new Promise((done) => setTimeout(done, 1_000).unref())]);
        record(`${PREFIX.event}closed by ${step.by}`);
        return true;
      }
      let line = await readLine();
      // Questions that change nothing (EHLO again, CAPA, CAPABILITY, NOOP, ID …) may come where
      // the recording has none: they are answered from the recording, and the session goes on.
      while (!strict && line !== undefined) {
        const tag = family === "imap" ? (IMAP_TAG.exec(line)?.[1] ?? "*") : "";
        const reply = harmlessAnswer({ family, received: line, tag, lines: recorded, at, tls, keep }, step.text);
        if (!reply) break;
        answer(reply.lines);
        noteWithheld();
        // Each kind of answer is noted once per connection: a NOOP flood is not a flood of notes.
        if (!noted.has(reply.note)) {
          noted.add(reply.note);
          note(`${reply.note}: \`${line}\` (the recording has \`${step.text}\` next, line ${step.line}; further ones are not noted)`);
        }
        line = await readLine();
      }
      // A login in another of the protocol's forms is answered with the recorded outcome.
      const login = !strict && line !== undefined ? recordedLogin(family, recorded, at) : undefined;
      const theirs = login && line !== undefined ? clientLogin(family, line) : undefined;
      if (login && theirs?.supported && line !== undefined) {
        const clientTag = family === "imap" ? IMAP_TAG.exec(line)?.[1] : undefined;
        const credentials = await converseLogin(family, line, { prompt: (text) => answer([text]), read: readLine });
        if (credentials.password) book.add(credentials.password);
        let why: string | undefined;
        if (credentials.cancelled) why = "the client cancelled its login (or left during it)";
        else if (login.user && credentials.user !== undefined && credentials.user.toLowerCase() !== login.user.toLowerCase()) why = `the client logged in as \`${credentials.user}\`; the recording as \`${login.user}\``;
        else if (options.passwords?.length && !options.passwords.includes(credentials.password ?? "")) why = "the client's password is not the --secret value given to serve";
        if (why) {
          if (!credentials.cancelled || credentials.user !== undefined) answer([credentials.cancelled ? authCancelled(family, clientTag) : authFailure(family, clientTag)]);
          diverge(step, line, why);
          // As a server would, serve lets the client try again (every try fails: smtplib tries
          // its next mechanism) and say goodbye; anything else ends the session.
          for (let next = await readLine(); next !== undefined; next = await readLine()) {
            const tag = family === "imap" ? IMAP_TAG.exec(next)?.[1] : undefined;
            if (clientLogin(family, next)?.supported) {
              const again = await converseLogin(family, next, { prompt: (text) => answer([text]), read: readLine });
              if (again.password) book.add(again.password);
              answer([authFailure(family, tag)]);
            } else if (verbOf(family, next) === "QUIT" || verbOf(family, next) === "LOGOUT") {
              answer(goodbye(family, tag));
              break;
            } else {
              answer([divergenceReply(scheme, "nothing but QUIT after a refused login", tag)]);
              break;
            }
          }
          return false;
        }
        if (clientTag && login.tag) tagMap = { recorded: login.tag, client: clientTag };
        sendRecorded(
          login.outcome.map((o) => o.text),
          verbOf(family, step.text),
        );
        if (theirs.form !== login.form) note(`the client logged in with ${theirs.form} where the recording has ${login.form} (line ${step.line}): answered with the recorded outcome`);
        at = login.end - 1;
        continue;
      }
      let expected = step.text;
      if (expected.startsWith("(message from ") || (!strict && isMessageBody(recorded, at))) {
        // A message body: clients write their own headers (Date, Message-ID), so the body is
        // taken up to its "." and the recording's body lines are skipped.
        while (line !== undefined && line !== ".") line = await readLine();
        while (at < recorded.length && !isEndOfBody(recorded, at)) at += 1;
        continue;
      }
      const recordedTag = IMAP_TAG.exec(expected)?.[1];
      const clientTag = line !== undefined ? IMAP_TAG.exec(line)?.[1] : undefined;
      if (recordedTag && /^A\d+$/.test(recordedTag) && clientTag) {
        tagMap = { recorded: recordedTag, client: clientTag };
        expected = expected.slice(recordedTag.length + 1);
      }
      const comparable = tagMap && recordedTag === tagMap.recorded && line ? line.slice(tagMap.client.length + 1) : line;
      if (comparable === undefined || !sameClientLine(expected, comparable, strict)) {
        const why = login && theirs && !theirs.supported ? `serve answers a login in place of the recorded one only in the forms it can carry itself (${theirs.form} is not one)` : undefined;
        diverge(step, line, why);
        // The client hears why, in its protocol, before the session ends.
        if (line !== undefined) answer([book.redact(divergenceReply(scheme, expected, clientTag))]);
        return false;
      }
      if (pop3 && isMultiLineCommand(comparable)) list = "expected";
    }
    endList();
    return true;
  };

  server = createServer(serve);
  const port = await listenOnLoopback(server, options.port ?? 0);
  return { port, stop };
}
