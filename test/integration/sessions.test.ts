// Named sessions: several connections open at once, `use NAME` switching between them, each
// with its own replies owed. Against the sandbox, whose IMAP announces new mail on NOOP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/paths.js";

test("a message delivered on one session is seen by an IMAP session kept open on another", async () => {
  const result = await runCli(["run", "--sandbox", join(FIXTURES, "sessions", "deliver-while-logged-in.mailchat")]);
  assert.equal(result.code, 0, result.stdout);
  // Each change of session is marked, and the reader's replies follow its own commands.
  assert.match(result.stdout, /\*: session reader\n(?:.*\n)*?\*: session sender\n(?:.*\n)*?\*: session reader\nC: A4 NOOP\nS: \* 1 EXISTS\nS: A4 OK NOOP completed\./);
});
