// Hostile clients against `mailchat serve`, over real TCP on 127.0.0.1: a client that writes
// NOOP as fast as the socket takes it and never reads, one that diverges and goes on sending,
// one that falls silent, one that fails its TLS handshake. Serve's memory stays bounded, the
// connection ends with a note, `--once` exits when it ends, and a signal stops serve at once.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startServe, type Served } from "../helpers/serve.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { SERVE_STALL_TIMEOUT_MS } from "../../src/limits.js";
import { parseGolden, startReplay, type ReplayEvent } from "../../src/serve/replay.js";
import { generateCertificates } from "../../src/sandbox/certs.js";

const MiB = 1_048_576;
/** Well above an idle serve (~55 MiB) and far below the 800 MB a flood drove it to. */
const PEAK_LIMIT_MIB = 150;
const dir = mkdtempSync(join(tmpdir(), "mailchat-hostile-"));
let golden: string;

before(async () => {
  const script = join(dir, "first.mailchat");
  copyFileSync(join(REPO_ROOT, "examples", "first.mailchat"), script);
  const record = await runCli(["run", "--sandbox", "--golden", "--update", script]);
  assert.equal(record.code, 0, record.stdout + record.stderr);
  golden = `${script}.golden`;
});

/** A client that never reads: its socket is paused from the start. */
async function silentReader(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, "127.0.0.1");
  socket.pause();
  socket.on("error", () => undefined);
  const closed = new Promise<number>((done) => socket.once("close", () => done(Date.now())));
  await new Promise<void>((done) => socket.once("connect", () => done()));
  return { socket, closed };
}

/**
 * Writes NOOP\r\n as fast as the socket takes it, up to `limit` bytes, and stops when the
 * socket takes nothing more for `stuckMs` (or closes). Resolves with the bytes written and when
 * the last write went.
 */
function flood(socket: Socket, limit: number, stuckMs = 1_000): Promise<{ sent: number; lastWrite: number }> {
  const chunk = Buffer.from("NOOP\r\n".repeat(10_000));
  let sent = 0;
  let lastWrite = Date.now();
  return new Promise((done) => {
    const stop = () => done({ sent, lastWrite });
    socket.once("close", stop);
    const pump = () => {
      while (sent < limit && !socket.destroyed) {
        sent += chunk.length;
        lastWrite = Date.now();
        if (!socket.write(chunk)) {
          const stuck = setTimeout(stop, stuckMs);
          socket.once("drain", () => {
            clearTimeout(stuck);
            pump();
          });
          return;
        }
      }
      stop();
    };
    pump();
  });
}

const serveHostile = (name: string, once = true): Promise<Served> => startServe(golden, join(dir, `${name}-ca.pem`), { timeoutMs: 90_000, once });

test("a client that writes NOOP and never reads: serve stays small, cuts it off with a note, --once exits", async () => {
  const served = await serveHostile("never-reads");
  const { socket } = await silentReader(served.port);
  const { sent, lastWrite } = await flood(socket, 64 * MiB);
  // The client stops writing but keeps the connection open: serve ends it.
  const server = await served.exit;
  const exited = Date.now();
  socket.destroy();
  assert.equal(server.code, 1, server.stdout);
  assert.match(server.stdout, /✘ connection 1 ended: the client read none of its replies for 5 s \(.* unread, .* of its commands waiting\)/);
  assert.ok(server.peakMiB > 0 && server.peakMiB < PEAK_LIMIT_MIB, `serve's peak was ${server.peakMiB.toFixed(0)} MiB after ${(sent / MiB).toFixed(1)} MiB of NOOP`);
  // Serve still answers what the kernel had buffered of the client's commands, then waits the stall time.
  assert.ok(exited - lastWrite < SERVE_STALL_TIMEOUT_MS + 20_000, `serve exited ${exited - lastWrite} ms after the client's last write`);
});

test("a client that floods, never reads and then leaves: --once exits within seconds", async () => {
  const served = await serveHostile("leaves");
  const { socket } = await silentReader(served.port);
  await flood(socket, 64 * MiB, 500);
  socket.destroy();
  const left = Date.now();
  const server = await served.exit;
  assert.ok(Date.now() - left < 3_000, `serve exited ${Date.now() - left} ms after the client left`);
  assert.equal(server.code, 1, server.stdout);
  assert.match(server.stdout, /connection 1 diverged at .*:\d+\n {2}expected: C: EHLO mailchat\.test\n {2}received: +\(the client closed the connection\)/);
  assert.ok(server.peakMiB < PEAK_LIMIT_MIB, `serve's peak was ${server.peakMiB.toFixed(0)} MiB`);
});

for (const [signal, once, status] of [
  ["SIGTERM", true, 130],
  ["SIGINT", true, 130],
  ["SIGTERM", false, 1],
] as const) {
  test(`${signal} during a flood ends serve${once ? " --once" : ""} within a second, status ${status}`, async () => {
    const served = await serveHostile(`${signal}-${once}`, once);
    const { socket } = await silentReader(served.port);
    const flooding = flood(socket, 64 * MiB, 5_000);
    await new Promise((done) => setTimeout(done, 1_500));
    const signalled = Date.now();
    served.child.kill(signal);
    const server = await served.exit;
    const took = Date.now() - signalled;
    socket.destroy();
    await flooding;
    assert.ok(took < 1_000, `serve took ${took} ms to end after ${signal}`);
    assert.equal(server.code, status, server.stdout);
    assert.match(server.stdout, new RegExp(`${signal}: serve stops`));
    // The connection it cut is reported as such, not as the client's doing.
    assert.match(server.stdout, /✘ connection 1 ended: serve stopped/);
  });
}

test("SIGTERM with no client: serve (without --once) stops at once with status 0", async () => {
  const served = await serveHostile("idle-sigterm", false);
  const signalled = Date.now();
  served.child.kill("SIGTERM");
  const server = await served.exit;
  assert.ok(Date.now() - signalled < 1_000);
  assert.equal(server.code, 0, server.stdout);
});

test("a client that diverges and goes on sending is disconnected, its lines left unread", async () => {
  const served = await serveHostile("diverges", false);
  const { socket, closed } = await silentReader(served.port);
  socket.write("EHLO client.test\r\nSTARTTLS-NOT\r\n");
  const { sent } = await flood(socket, 64 * MiB, 3_000);
  const closedAt = await closed;
  served.child.kill("SIGTERM");
  const server = await served.exit;
  assert.match(server.stdout, /connection 1 diverged at .*:\d+\n {2}expected: C: STARTTLS\n {2}received: +STARTTLS-NOT/);
  assert.ok(sent < 32 * MiB, `serve went on taking ${(sent / MiB).toFixed(1)} MiB after the divergence`);
  assert.ok(closedAt > 0);
  assert.ok(server.peakMiB < PEAK_LIMIT_MIB, `serve's peak was ${server.peakMiB.toFixed(0)} MiB`);
});

test("a client that fails the TLS handshake after STARTTLS ends the session; --once exits", async () => {
  const served = await serveHostile("tls-refused");
  const socket = connect(served.port, "127.0.0.1");
  socket.on("error", () => undefined);
  let seen = "";
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((done) => {
      const onData = (chunk: Buffer) => {
        seen += chunk.toString("latin1");
        if (!pattern.test(seen)) return;
        seen = "";
        socket.off("data", onData);
        done();
      };
      socket.on("data", onData);
    });
  await waitFor(/^220 .*\r\n/m);
  socket.write("EHLO client.test\r\n");
  await waitFor(/^250 .*\r\n/m);
  socket.write("STARTTLS\r\n");
  await waitFor(/^220 .*\r\n/m);
  // The client does not trust serve's certificate (no CA given): it aborts the handshake.
  const tls = tlsConnect({ socket, servername: "localhost" });
  tls.on("error", () => undefined);
  const server = await served.exit;
  tls.destroy();
  assert.equal(server.code, 1, server.stdout);
  assert.match(server.stdout, /✘ connection 1 ended: (the client closed the connection during the TLS handshake|the TLS handshake failed: .*)/);
});

test("a client that falls silent is disconnected after the idle time, with a note", async () => {
  const segments = parseGolden(readFileSync(golden, "utf8"));
  const events: ReplayEvent[] = [];
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const replay = await startReplay({
    segments,
    certificate: generateCertificates({ hosts: ["localhost"] }),
    once: true,
    timeouts: { idleMs: 300 },
    onEvent: (event) => {
      events.push(event);
      if (event.type === "session-end") ended();
    },
  });
  const { socket, closed } = await silentReader(replay.port);
  const started = Date.now();
  await done;
  // Reading now, the client finds the connection closed.
  socket.resume();
  await closed;
  await replay.stop();
  socket.destroy();
  assert.ok(Date.now() - started < 3_000);
  assert.deepEqual(events.at(-1), { type: "session-end", segment: 0, ok: false, note: "the client sent nothing for 0.3 s" });
});
