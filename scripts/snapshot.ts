// Makes mailchat's V8 start-up snapshot, dist/snapshot/mailchat.blob, from bin/snapshot.cjs,
// and dist/snapshot/node: the Node binary it was made with, whose modification time it
// carries. bin/mailchat starts from the snapshot only when the `node` it would run is that
// same file, unchanged: Node refuses a snapshot made by another version (exit 14, a message),
// and crashes on a damaged one, so anything in doubt runs without it.
//
// The snapshot is made here, beside the bundle, and nowhere else: it holds code that runs as
// the user, as dist/ does. Not in the published package (`files`): a registry install has no
// build step, and its Node is not the publisher's. Failing to make it fails nothing: the
// command then starts as before (bin/mailchat.cjs, with the code cache).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const DIR = join(ROOT, "dist/snapshot");
const BLOB = join(DIR, "mailchat.blob");
const STAMP = join(DIR, "node");

// A blob and a stamp of an earlier build must not outlive a build that cannot make them.
rmSync(STAMP, { force: true });
rmSync(BLOB, { force: true });
mkdirSync(DIR, { recursive: true });

const node = realpathSync(process.execPath);
const temporary = `${BLOB}.${process.pid}.tmp`;
// Node names the built-in modules it has not yet verified in a snapshot (vm, tty, …) on
// stderr; the warm-up check prints its verdict on stdout. Both are shown only on failure.
const built = spawnSync(node, ["--snapshot-blob", temporary, "--build-snapshot", join(ROOT, "bin/snapshot.cjs")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "" } });
if (built.status !== 0 || !existsSync(temporary)) {
  rmSync(temporary, { force: true });
  console.error(`snapshot: not made (node --build-snapshot exited ${built.status ?? built.signal}); mailchat starts without it.\n${built.stdout}${built.stderr}`);
} else {
  // The blob's and the stamp's modification times are the binary's, to the nanosecond
  // (fs.utimes rounds): the launcher starts from the blob only while all three agree, so a
  // blob damaged or replaced after the build (which Node would crash on) is not used.
  const blobTouched = spawnSync("touch", ["-r", node, temporary]);
  renameSync(temporary, BLOB);
  writeFileSync(STAMP, `${node}\n`);
  const touched = spawnSync("touch", ["-r", node, STAMP]);
  if (touched.status !== 0 || blobTouched.status !== 0) rmSync(STAMP, { force: true });
}
