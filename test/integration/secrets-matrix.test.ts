// The canary-secret matrix (issue 10): two secrets — one with `"`, `\`, `<`, `&`, `>` and a
// non-ASCII letter, one plain — through every mechanism, typed in `auth` statements and in
// `send` lines, against a server that behaves and one that echoes every client line back in
// its failure reply. Every byte mailchat writes (stdout, stderr, the JSON, JUnit, TAP and
// HTML reports, the golden file and its comparison diff, `import` of a paste of the session,
// `serve`'s divergence report) is searched for every form of the secret; one hit fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CRAM_CHALLENGE, startAuthServer, type AuthMode, type AuthProtocol } from "../helpers/auth-servers.js";
import { runCli } from "../helpers/cli.js";
import { CLI, FIXTURES } from "../helpers/paths.js";
import { onClientLines, startRawServer } from "../helpers/raw-server.js";

const USER = "alice@example.test";
const SECRETS = { special: 'Canary"\\<&>wörd-7', plain: "plaincanary42" };

const b64 = (data: string | Buffer) => Buffer.from(data).toString("base64");

/** Every form of a secret that must not appear, computed here independently of mailchat. */
function forms(secret: string): Map<string, string> {
  const bytes = Buffer.from(secret, "utf8");
  const out = new Map<string, string>([
    ["raw", secret],
    ["json", JSON.stringify(secret).slice(1, -1)],
    ["json-ascii", JSON.stringify(secret).slice(1, -1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)],
    ["html", secret.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)],
    ["xml", secret.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!)],
    ["url", encodeURIComponent(secret)],
    ["imap-quoted", secret.replace(/[\\"]/g, (c) => `\\${c}`)],
    ["hex", bytes.toString("hex")],
    ["plain-blob", b64(`\0${USER}\0${secret}`)],
    ["login-b64", b64(secret)],
    ["xoauth2-blob", b64(`user=${USER}\x01auth=Bearer ${secret}\x01\x01`)],
  ]);
  const digest = createHmac("md5", secret).update(CRAM_CHALLENGE).digest("hex");
  out.set("cram-digest", digest);
  out.set("cram-response", b64(`${USER} ${digest}`));
  // Base64 of the secret inside a longer base64 text, at each byte offset: the middle part.
  for (let offset = 0; offset < 3; offset++) {
    const encoded = b64(Buffer.concat([Buffer.alloc(offset, 0x41), bytes]));
    out.set(`base64@${offset}`, encoded.slice(Math.ceil((offset * 8) / 6) + 1, -4));
  }
  return out;
}

interface Mechanism {
  name: string;
  protocol: AuthProtocol;
  /** The script lines after the greeting, with the secret in an `auth` statement. */
  auth: string[];
  /** The same exchange typed as `send` lines, the way knowledge-base sessions do it. */
  typed: (secret: string) => string[];
}

const quoted = (secret: string) => `"${secret.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const MECHANISMS: Mechanism[] = [
  { name: "SMTP AUTH PLAIN", protocol: "smtp", auth: ["auth plain ${user} ${env.CANARY}", "expect 235|535"], typed: (s) => [`send AUTH PLAIN ${b64(`\0${USER}\0${s}`)}`, "expect 235|535"] },
  { name: "SMTP AUTH LOGIN", protocol: "smtp", auth: ["auth login ${user} ${env.CANARY}", "expect 235|535"], typed: (s) => ["send AUTH LOGIN", "expect 334", `send ${b64(USER)}`, "expect 334", `send ${b64(s)}`, "expect 235|535"] },
  {
    name: "SMTP AUTH CRAM-MD5",
    protocol: "smtp",
    auth: ["auth cram-md5 ${user} ${env.CANARY}", "expect 235|535"],
    typed: (s) => ["send AUTH CRAM-MD5", "expect 334", `send ${b64(`${USER} ${createHmac("md5", s).update(CRAM_CHALLENGE).digest("hex")}`)}`, "expect 235|535"],
  },
  { name: "SMTP AUTH XOAUTH2", protocol: "smtp", auth: ["auth xoauth2 ${user} ${env.CANARY}", "expect 235|535"], typed: (s) => [`send AUTH XOAUTH2 ${b64(`user=${USER}\x01auth=Bearer ${s}\x01\x01`)}`, "expect 235|535"] },
  { name: "IMAP LOGIN", protocol: "imap", auth: ["auth login ${user} ${env.CANARY}", "expect any"], typed: (s) => [`send LOGIN ${USER} ${quoted(s)}`, "expect any"] },
  { name: "IMAP AUTHENTICATE PLAIN", protocol: "imap", auth: ["auth plain ${user} ${env.CANARY}", "expect any"], typed: (s) => ["send AUTHENTICATE PLAIN", "expect +", `send ${b64(`\0${USER}\0${s}`)}`, "expect any"] },
  { name: "POP3 USER/PASS", protocol: "pop3", auth: ["auth user ${user} ${env.CANARY}", "expect any"], typed: (s) => [`send USER ${USER}`, "expect +OK", `send PASS ${s}`, "expect any"] },
  { name: "POP3 AUTH PLAIN", protocol: "pop3", auth: ["auth plain ${user} ${env.CANARY}", "expect any"], typed: (s) => [`send AUTH PLAIN ${b64(`\0${USER}\0${s}`)}`, "expect any"] },
];

const GREETING: Record<AuthProtocol, string[]> = {
  smtp: ["connect smtp://127.0.0.1:${port}", "expect 220", "send EHLO client.test", "expect 250"],
  pop3: ["connect pop3://127.0.0.1:${port}", "expect +OK"],
  imap: ["connect imap://127.0.0.1:${port}", "expect OK"],
};
const FAREWELL: Record<AuthProtocol, string[]> = { smtp: ["send QUIT", "expect 221"], pop3: ["send QUIT", "expect +OK"], imap: ["send LOGOUT", "expect OK"] };

function script(mechanism: Mechanism, typing: "auth" | "send", secret: string): string {
  // `$` in a typed line would start an interpolation: the typed exchange is sent as written.
  const body = typing === "auth" ? mechanism.auth : mechanism.typed(secret).map((line) => line.replace(/\$\{/g, "$$${"));
  return [`param port`, `param user default "${USER}"`, "allow plaintext-auth", ...GREETING[mechanism.protocol], ...body, ...FAREWELL[mechanism.protocol], ""].join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "mailchat-secrets-"));
const checked: string[] = [];

function assertClean(where: string, text: string, secret: string): void {
  for (const [form, value] of forms(secret)) {
    if (value.length < 4) continue;
    assert.ok(!text.includes(value), `${where}: the secret's ${form} form ${JSON.stringify(value)} was written:\n${text.slice(Math.max(0, text.indexOf(value) - 300), text.indexOf(value) + 300)}`);
  }
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

async function runAgainst(protocol: AuthProtocol, mode: AuthMode, args: string[], secret: string) {
  const server = await startAuthServer(protocol, mode);
  try {
    return await runCli([...args, "--var", `port=${server.port}`], { env: { CANARY: secret } });
  } finally {
    await server.close();
  }
}

for (const [secretName, secret] of Object.entries(SECRETS)) {
  for (const mechanism of MECHANISMS) {
    for (const typing of ["auth", "send"] as const) {
      test(`${secretName} secret × ${mechanism.name} × ${typing === "auth" ? "auth statement" : "send lines"}: no form in any output`, async () => {
        const base = join(dir, `${secretName}-${mechanism.name.replace(/\W+/g, "-")}-${typing}`);
        const file = `${base}.mailchat`;
        writeFileSync(file, script(mechanism, typing, secret));
        const reports = (tag: string) => ["--report-json", `${base}.${tag}.json`, "--report-junit", `${base}.${tag}.xml`, "--report-tap", `${base}.${tag}.tap`, "--report-html", `${base}.${tag}.html`];
        const outputs = (tag: string, result: { stdout: string; stderr: string }) => [
          [`${tag} stdout`, result.stdout],
          [`${tag} stderr`, result.stderr],
          ...["json", "xml", "tap", "html"].map((ext) => [`${tag} ${ext} report`, read(`${base}.${tag}.${ext}`)]),
        ];

        // A server that behaves: the run passes and records the golden transcript.
        const good = await runAgainst(mechanism.protocol, "behave", ["run", file, "--golden", "--update", ...reports("behave")], secret);
        assert.equal(good.code, 0, good.stdout + good.stderr);
        // A server that echoes every client line in its refusal: compared with the golden file.
        const echoed = await runAgainst(mechanism.protocol, "echo", ["run", file, "--golden", ...reports("echo")], secret);
        assert.equal(echoed.code, 1, echoed.stdout + echoed.stderr);
        assert.match(echoed.stdout, /golden/);
        // A paste of the session as the user saw it with --show-secrets, imported.
        const shown = await runAgainst(mechanism.protocol, "behave", ["run", file, "--show-secrets"], secret);
        assert.equal(shown.code, 0, shown.stdout + shown.stderr);
        const paste = shown.stdout
          .split("\n")
          .filter((line) => /^[CS]: /.test(line))
          .map((line) => line.slice(3))
          .join("\n");
        writeFileSync(`${base}.paste.txt`, `$ telnet 127.0.0.1 ${{ smtp: 25, pop3: 110, imap: 143 }[mechanism.protocol]}\n${paste}\n`);
        const imported = await runCli(["import", `${base}.paste.txt`, "--protocol", mechanism.protocol]);

        const everything = [...outputs("behave", good), ...outputs("echo", echoed), ["golden file", read(`${file}.golden`)], ["import output", imported.stdout], ["import stderr", imported.stderr]] as Array<[string, string]>;
        for (const [where, text] of everything) assertClean(where, text, secret);
        checked.push(`${secretName} × ${mechanism.name} × ${typing}: ${everything.length} outputs × ${forms(secret).size} forms`);
      });
    }
  }

  test(`${secretName} secret: serve masks what a client sends in its divergence report`, async () => {
    const file = join(dir, `${secretName}-serve.mailchat`);
    writeFileSync(file, script(MECHANISMS[0]!, "auth", secret));
    const recorded = await runAgainst("smtp", "behave", ["run", file, "--golden", "--update"], secret);
    assert.equal(recorded.code, 0, recorded.stdout);
    const child = spawn(process.execPath, [CLI, "serve", `${file}.golden`, "--once"], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((resolvePromise) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
        if (found) resolvePromise(Number(found));
      }),
    );
    const exit = new Promise<number | null>((done) => child.on("close", done));
    // The client skips EHLO and sends its credentials at once: serve reports the divergence.
    await new Promise<void>((done) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(`AUTH PLAIN ${b64(`\0${USER}\0${secret}`)}\r\n`));
      socket.on("data", () => undefined);
      socket.on("close", () => done());
      socket.on("error", () => done());
    });
    assert.equal(await exit, 1, stdout);
    assert.match(stdout, /diverged/);
    assertClean("serve stdout", stdout, secret);
    assertClean("serve stderr", stderr, secret);
    checked.push(`${secretName} × serve divergence report`);
  });
}

test("the matrix that was checked", (t) => {
  t.diagnostic(`${checked.length} cells:\n${checked.join("\n")}`);
  assert.equal(checked.length, Object.keys(SECRETS).length * (MECHANISMS.length * 2 + 1));
});

// Issue 21, item 8: a server that echoes the password a character at a time, each character
// in an encoding (HTML numeric references, \u and \u{…}, %XX and \xHH of its UTF-8 bytes), or
// mixed with literal characters. Each form is one line of the refusal, `LABEL: FORM end`; every
// output must show `LABEL: ******** end`, the whole form masked and nothing of it left.
const ECHOED = 'Canary"\\<&>wörd-7🐤';
const hex = (value: number, width = 0) => value.toString(16).padStart(width, "0");
const utf8Bytes = (ch: string) => [...Buffer.from(ch, "utf8")];
const codeOf = (ch: string) => ch.codePointAt(0)!;
const utf16Units = (ch: string) => Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i));
const PER_CHARACTER: Array<[string, (ch: string) => string]> = [
  ["html-decimal", (ch) => `&#${codeOf(ch)};`],
  ["html-decimal-zeros-no-semicolon", (ch) => `&#000${codeOf(ch)}`],
  ["html-hex", (ch) => `&#x${hex(codeOf(ch))};`],
  ["html-hex-upper-zeros-no-semicolon", (ch) => `&#X00${hex(codeOf(ch)).toUpperCase()}`],
  ["js-u", (ch) => utf16Units(ch).map((unit) => `\\u${hex(unit, 4)}`).join("")],
  ["js-u-upper", (ch) => utf16Units(ch).map((unit) => `\\u${hex(unit, 4).toUpperCase()}`).join("")],
  ["js-u-braces", (ch) => `\\u{${hex(codeOf(ch))}}`],
  ["js-u-braces-zeros", (ch) => `\\u{000${hex(codeOf(ch)).toUpperCase()}}`],
  ["url-utf8", (ch) => utf8Bytes(ch).map((byte) => `%${hex(byte, 2).toUpperCase()}`).join("")],
  ["url-utf8-lower", (ch) => utf8Bytes(ch).map((byte) => `%${hex(byte, 2)}`).join("")],
  ["x-utf8", (ch) => utf8Bytes(ch).map((byte) => `\\x${hex(byte, 2)}`).join("")],
  ["x-utf8-upper", (ch) => utf8Bytes(ch).map((byte) => `\\x${hex(byte, 2).toUpperCase()}`).join("")],
];

/** Pieces joined; a bare HTML reference (no `;`) followed by a digit or letter would read
 *  on into it, so there it gets its `;`, as a browser needs. */
function spell(pieces: string[]): string {
  return pieces.map((piece, i) => (/&#[xX]?[0-9a-fA-F]+$/.test(piece) && /^[0-9a-zA-Z]/.test(pieces[i + 1] ?? "") ? `${piece};` : piece)).join("");
}

function echoedForms(secret: string): Array<[string, string]> {
  const chars = [...secret];
  const forms: Array<[string, string]> = PER_CHARACTER.map(([label, encode]) => [label, spell(chars.map(encode))]);
  const rotate = (literalEvery: number) => spell(chars.map((ch, i) => (literalEvery > 0 && i % literalEvery === 0 ? ch : PER_CHARACTER[i % PER_CHARACTER.length]![1](ch))));
  forms.push(["mixed-every-encoding", rotate(0)], ["mixed-half-literal", rotate(2)], ["mixed-third-literal", rotate(3)]);
  for (const [label, encode] of PER_CHARACTER) forms.push([`mixed-${label}-odd-literal`, spell(chars.map((ch, i) => (i % 2 === 1 ? ch : encode(ch))))]);
  return forms;
}

/** An SMTP server that answers AUTH PLAIN with `code` and one line a form of the password. */
function startEchoingServer(code: number) {
  return startRawServer((socket) => {
    socket.write("220 mx ESMTP\r\n");
    let awaitingResponse = false;
    const refuse = (response: string) => {
      const password = Buffer.from(response, "base64").toString("utf8").split("\0")[2] ?? "";
      const lines = echoedForms(password).map(([label, form]) => `${label}: ${form} end`);
      socket.write(lines.map((line, i) => `${code}${i === lines.length - 1 ? " " : "-"}5.7.8 ${line}\r\n`).join(""));
    };
    onClientLines(socket, (line) => {
      if (awaitingResponse) {
        awaitingResponse = false;
        refuse(line);
      } else if (/^EHLO /i.test(line)) socket.write("250-mx\r\n250 AUTH PLAIN\r\n");
      else if (/^AUTH PLAIN \S/i.test(line)) refuse(line.slice("AUTH PLAIN ".length));
      else if (/^AUTH PLAIN$/i.test(line)) {
        awaitingResponse = true;
        socket.write("334 \r\n");
      } else if (/^QUIT/i.test(line)) socket.end("221 bye\r\n");
      else socket.write("502 5.5.2 no\r\n");
    });
  });
}

function assertMaskedPerCharacter(where: string, text: string): void {
  const excerpt = (at: number) => text.slice(Math.max(0, at - 300), at + 300);
  assert.ok(!text.includes(ECHOED), `${where}: the secret was written:\n${excerpt(text.indexOf(ECHOED))}`);
  for (const [label, form] of echoedForms(ECHOED)) {
    for (const written of [form, form.replace(/\\/g, "\\\\"), JSON.stringify(form).slice(1, -1)]) {
      assert.ok(!text.includes(written), `${where}: the ${label} form was written:\n${excerpt(text.indexOf(written))}`);
    }
    assert.ok(text.includes(`${label}: ******** end`), `${where}: the ${label} line is not shown masked whole:\n${excerpt(text.indexOf(`${label}:`))}`);
  }
}

test("a password echoed a character at a time, in any encoding or mixed, is masked in every output", async () => {
  const scriptDir = mkdtempSync(join(tmpdir(), "mailchat-per-character-"));
  const file = join(scriptDir, "echoed.mailchat");
  copyFileSync(join(FIXTURES, "secrets", "echoed-per-character", "script.mailchat"), file);
  const run = async (code: number, args: string[]) => {
    const server = await startEchoingServer(code);
    try {
      return await runCli(["run", file, "--var", `port=${server.port}`, "--secret", `password=${ECHOED}`, ...args]);
    } finally {
      await server.close();
    }
  };
  // The refusal the script expects: the run passes and records its golden transcript.
  const recorded = await run(535, ["--golden", "--update"]);
  assert.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
  assertMaskedPerCharacter("golden file", read(`${file}.golden`));
  // A refusal it does not expect (454): the reply is the failure's actual text everywhere.
  const reports = ["json", "junit", "tap", "html"].flatMap((kind) => [`--report-${kind}`, join(scriptDir, `report.${kind}`)]);
  const pretty = await run(454, reports);
  assert.equal(pretty.code, 1, pretty.stdout + pretty.stderr);
  assertMaskedPerCharacter("pretty stdout", pretty.stdout);
  for (const kind of ["json", "junit", "tap"]) assertMaskedPerCharacter(`${kind} report`, read(join(scriptDir, `report.${kind}`)));
  for (const reporter of ["json", "tap"]) {
    const result = await run(454, ["--reporter", reporter]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assertMaskedPerCharacter(`--reporter ${reporter}`, result.stdout);
  }
  for (const [where, text] of [["pretty stderr", pretty.stderr], ["html report", read(join(scriptDir, "report.html"))]] as const) {
    assert.ok(!text.includes(ECHOED), `${where}: the secret was written`);
    for (const [label, form] of echoedForms(ECHOED)) assert.ok(!text.includes(form), `${where}: the ${label} form was written`);
  }
});
