// Every row of the hint table that is about a reply, tested as a user meets it: the row's
// real reply text comes from a scripted server over TCP, a script expects something else, and
// the failure carries that row's hint (and the server's own words). Rows are generated for
// every registry code, so this is one test per row.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { compile } from "../../src/compile/compile.js";
import { hintRows, type HintRow } from "../../src/hints/index.js";
import { run } from "../../src/runtime/runner.js";
import type { Failure, RunEvent } from "../../src/runtime/events.js";
import { startRawServer, type RawServer } from "../helpers/raw-server.js";

type Protocol = NonNullable<HintRow["example"]>["protocol"];

const GREETING: Record<Protocol, string> = { smtp: "220 mx.example.test ESMTP", pop3: "+OK ready", imap: "* OK ready", sieve: 'OK "ready"' };
const OK_STATUS: Record<Protocol, string> = { smtp: "250", pop3: "+OK", imap: "OK", sieve: "OK" };
const GREETING_STATUS: Record<Protocol, string> = { smtp: "220", pop3: "+OK", imap: "OK", sieve: "OK" };

let next: { greeting: string[]; reply: string[] } = { greeting: [], reply: [] };
const servers = new Map<Protocol, RawServer>();

before(async () => {
  for (const protocol of Object.keys(GREETING) as Protocol[]) {
    servers.set(
      protocol,
      await startRawServer((socket: Socket) => {
        const { greeting, reply } = next;
        socket.write(greeting.map((line) => `${line}\r\n`).join(""));
        // A `* BYE` is followed by the close it announces.
        socket.once("data", () => {
          const text = reply.map((line) => `${line}\r\n`).join("");
          if (reply[0]?.startsWith("* BYE")) socket.end(text);
          else socket.write(text);
        });
      }),
    );
  }
});
after(async () => {
  for (const server of servers.values()) await server.close();
});

async function failureFor(row: HintRow): Promise<Failure | undefined> {
  const example = row.example!;
  const atGreeting = row.id.startsWith("greeting-");
  next = { greeting: atGreeting ? example.reply : [GREETING[example.protocol]], reply: atGreeting ? [] : example.reply };
  const status = atGreeting ? GREETING_STATUS[example.protocol] : OK_STATUS[example.protocol];
  const expectation = example.expected ? `${status} ${example.expected}` : status;
  const source = [`connect ${example.protocol}://127.0.0.1:${servers.get(example.protocol)!.port}`, atGreeting ? `expect ${expectation} within 2s` : `expect ${GREETING_STATUS[example.protocol]} within 2s`, ...(atGreeting ? [] : ["send NOOP", `expect ${expectation} within 2s`]), ""].join("\n");
  const compiled = compile("hint.mailchat", { source });
  assert.deepEqual(compiled.diagnostics, [], source);
  let failure: Failure | undefined;
  await run(compiled.script!, { emit: (event: RunEvent) => void (event.type === "step-end" && event.failure && (failure = event.failure)) });
  return failure;
}

describe("every reply row of the hint table fires on its real reply", () => {
  for (const row of hintRows().filter((r) => r.example)) {
    test(`${row.id} (${row.source})`, async () => {
      const failure = await failureFor(row);
      assert.ok(failure, `the script passed: ${row.example!.reply.join(" / ")}`);
      assert.equal(failure.hint, row.hint, `${row.example!.reply.join(" / ")} got another row's hint`);
      // The hint never hides the server's own words.
      for (const line of row.example!.reply) assert.ok(failure.actual.includes(line), failure.actual);
    });
  }
});

test("every row names its source", () => {
  for (const row of hintRows()) assert.ok(row.source.length > 3, row.id);
});

test("docs/hints.md is generated from the table", async () => {
  const { readFileSync } = await import("node:fs");
  const { HINTS_DOC_PATH, hintsDoc } = await import("../../scripts/hints-doc.js");
  assert.equal(readFileSync(HINTS_DOC_PATH, "utf8"), hintsDoc(), "the hint table changed: run `npm run hints-doc` and commit docs/hints.md");
});
