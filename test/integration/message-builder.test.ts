// `data message` through the CLI against nodemailer's smtp-server on 127.0.0.1: the default
// test message and a built one arrive as the script says, with a Date and a Message-ID made
// at each run, and golden runs of it stay the same (the masks).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";

const dir = join(FIXTURES, "message");

/** The header section of a message, unfolded, by lower-case name (each value in order). */
function headersOf(message: string): Map<string, string[]> {
  const section = message.slice(0, message.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string[]>();
  for (const line of section.split("\r\n")) {
    const at = line.indexOf(":");
    const name = line.slice(0, at).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(at + 1).trim()]);
  }
  return headers;
}

describe("data message", () => {
  const messages: string[] = [];
  let server: SMTPServer;
  let port = 0;
  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          messages.push(Buffer.concat(chunks).toString("latin1"));
          callback();
        });
      },
    });
    port = await new Promise<number>((resolvePromise) => server.listen(0, "127.0.0.1", () => resolvePromise((server.server.address() as { port: number }).port)));
  });
  after(() => new Promise<void>((resolvePromise) => server.close(() => resolvePromise())));

  test("alone, it sends the default test message: From and To from the envelope, a Date and Message-ID of this run", async () => {
    const before = Date.now();
    const first = await runCli(["run", join(dir, "default.mailchat"), "--var", `port=${port}`]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const second = await runCli(["run", join(dir, "default.mailchat"), "--var", `port=${port}`]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const [a, b] = messages.slice(-2).map(headersOf) as [Map<string, string[]>, Map<string, string[]>];
    assert.deepEqual(a.get("from"), ["monitor@example.com"]);
    assert.deepEqual(a.get("to"), ["postmaster@example.net"]);
    assert.deepEqual(a.get("subject"), ["mailchat test message"]);
    assert.deepEqual(a.get("x-mailer"), ["mailchat"]);
    // RFC 5322 dates have whole seconds: the Date is this run's, not one replayed.
    const date = Date.parse(a.get("date")![0]!);
    assert.ok(date >= Math.floor(before / 1000) * 1000 && date <= Date.now(), `Date: ${a.get("date")}`);
    assert.match(a.get("message-id")![0]!, /^<[^<>@\s]+@example\.com>$/);
    assert.notEqual(a.get("message-id")![0], b.get("message-id")![0], "each run makes its own Message-ID");
    assert.match(messages.at(-1)!, /\r\n\r\nThis is a test message sent by mailchat\.\r\n$/);
    assert.match(first.stdout, /C: Message-ID: <[^>]+@example\.com>\nC: /);
  });

  test("with a block: headers added and replaced, the body from the script and a file, attachments with their types", async () => {
    const result = await runCli(["run", join(dir, "built.mailchat"), "--var", `port=${port}`]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const message = messages.at(-1)!;
    const headers = headersOf(message);
    assert.deepEqual(headers.get("from"), ["Monitoring <monitor@example.com>"]);
    assert.deepEqual(headers.get("to"), ["postmaster@example.net"]);
    assert.deepEqual(headers.get("subject"), [`weekly check ${port}`]);
    assert.deepEqual(headers.get("x-check"), ["mailchat", "second"]);
    assert.equal(headers.get("date")!.length, 1);
    const boundary = /^multipart\/mixed; boundary="([^"]+)"$/.exec(headers.get("content-type")![0]!)![1]!;
    const parts = message.split(`--${boundary}`).slice(1, -1).map((part) => ({ headers: headersOf(part.replace(/^\r\n/, "")), body: part.slice(part.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, "") }));
    assert.equal(parts.length, 3);
    assert.match(parts[0]!.headers.get("content-type")![0]!, /^text\/plain/);
    assert.equal(parts[0]!.body, "Dear postmaster,\r\nHello,\r\n\r\nthe weekly check ran.\r\n");
    const [csv, png] = [parts[1]!, parts[2]!];
    assert.deepEqual(csv.headers.get("content-disposition"), ["attachment; filename=report.csv"]);
    assert.match(csv.headers.get("content-type")![0]!, /^text\/csv/);
    assert.deepEqual(Buffer.from(csv.body, "base64"), readFileSync(join(dir, "report.csv")));
    assert.deepEqual(png.headers.get("content-type"), ["image/png; name=status.png"]);
    assert.deepEqual(Buffer.from(png.body, "base64"), readFileSync(join(dir, "pixel.png")));
    // The transcript shows the headers, and an attachment's base64 lines as one summary line.
    assert.match(result.stdout, /C: Content-Disposition: attachment; filename=report\.csv\nC: \nC: [A-Za-z0-9+/=]{20,}\nC: ----_NmP-/);
    assert.match(result.stdout, /C: Content-Disposition: attachment; filename=status\.png\nC: \nC: \(base64: 2 lines, \d+ bytes\)\nC: ----_NmP-/);
  });

  test("golden runs stay the same: the Date, Message-ID and boundaries are masked", async () => {
    const work = mkdtempSync(join(tmpdir(), "mailchat-message-"));
    for (const file of ["built.mailchat", "body.txt", "report.csv", "pixel.png"]) copyFileSync(join(dir, file), join(work, file));
    const script = join(work, "built.mailchat");
    const recorded = await runCli(["run", script, "--var", `port=${port}`, "--golden", "--update"]);
    assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
    const golden = readFileSync(`${script}.golden`, "utf8");
    assert.match(golden, /C: Message-ID: <message-id>\n/);
    assert.match(golden, /C: Date: <date>\n/);
    assert.match(golden, /boundary="--_NmP-<boundary>-Part_1"/);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 1100));
    const compared = await runCli(["run", script, "--var", `port=${port}`, "--golden"]);
    assert.equal(compared.code, 0, compared.stdout + compared.stderr);
    assert.match(compared.stdout, /golden: .*match/);
  });
});
