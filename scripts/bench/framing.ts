// Reply framing throughput and memory: each framer against a bare line split over the same
// bytes in the same run (the baseline), and the heap growth while an IMAP literal of 32 MiB
// streams in. Prints figures; asserts nothing.
import { performance } from "node:perf_hooks";
import { ImapFramer } from "../../src/protocols/imap/index.js";
import { Pop3Framer } from "../../src/protocols/pop3.js";
import { SmtpFramer } from "../../src/protocols/smtp.js";

const CHUNK = 16 * 1024;

function chunks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += CHUNK) out.push(data.subarray(i, i + CHUNK));
  return out;
}

function time(label: string, run: () => void, bytes: number): number {
  run(); // warm up
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[2]!;
  console.log(`${label.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms  ${((bytes / 1024 / 1024) / (ms / 1000)).toFixed(0).padStart(6)} MiB/s`);
  return ms;
}

const ehlo = Buffer.from("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING\r\n".repeat(200_000));
const ehloChunks = chunks(ehlo);
const baseline = time("baseline: split lines (indexOf)", () => {
  let rest: Buffer = Buffer.alloc(0);
  for (const chunk of ehloChunks) {
    rest = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let nl: number;
    while ((nl = rest.indexOf(0x0a)) >= 0) {
      rest.subarray(0, nl).toString("utf8");
      rest = rest.subarray(nl + 1);
    }
  }
}, ehlo.length);
const smtp = time("SmtpFramer: EHLO replies", () => {
  const framer = new SmtpFramer();
  for (const chunk of ehloChunks) framer.push(chunk);
}, ehlo.length);

const body = Buffer.from(`+OK\r\n${"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n".repeat(400_000)}.\r\n`);
const bodyChunks = chunks(body);
const pop3 = time("Pop3Framer: one RETR of 29 MiB", () => {
  const framer = new Pop3Framer(false);
  framer.sent("RETR 1");
  for (const chunk of bodyChunks) framer.push(chunk);
}, body.length);

const literalSize = 32 * 1024 * 1024;
const literal = Buffer.concat([Buffer.from(`* 1 FETCH (BODY[] {${literalSize}}\r\n`), Buffer.alloc(literalSize, "a"), Buffer.from(")\r\nA1 OK done\r\n")]);
const literalChunks = chunks(literal);
global.gc?.();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const imap = time("ImapFramer: FETCH with a 32 MiB literal", () => {
  const framer = new ImapFramer(false);
  for (const chunk of literalChunks) framer.push(chunk);
}, literal.length);
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

console.log(`ratio SmtpFramer/baseline: ${(smtp / baseline).toFixed(2)}x   Pop3Framer/baseline per byte: ${((pop3 / body.length) / (baseline / ehlo.length)).toFixed(2)}x   ImapFramer/baseline per byte: ${((imap / literal.length) / (baseline / ehlo.length)).toFixed(2)}x`);
console.log(`heap + buffers growth around the IMAP runs: ${((after - before) / 1024 / 1024).toFixed(1)} MiB for a ${literalSize / 1024 / 1024} MiB literal (a reply is held whole until its completion; MAX_MESSAGE_REPLY_BYTES bounds it)`);

// Linear in the bytes received: the same bytes cut into 64-byte pieces (a slow link, or a
// server that writes a byte at a time) cost per byte what 16 KiB chunks cost. A framer that
// searched a line from its start on every piece would be quadratic in the line's length.
function pieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}
// Same bytes, 64-byte pieces, lines 8x longer: equal per byte when linear, 8x when quadratic.
const shortLines = Buffer.from(`${`250-${"x".repeat(1_000)}\r\n`.repeat(800)}250 done\r\n`);
const longLines = Buffer.from(`${`250-${"x".repeat(8_000)}\r\n`.repeat(100)}250 done\r\n`);
const framed = (data: Buffer) => () => {
  const framer = new SmtpFramer();
  for (const chunk of pieces(data, 64)) framer.push(chunk);
};
const short = time("SmtpFramer: 1 KB lines in 64-byte pieces", framed(shortLines), shortLines.length);
const long = time("SmtpFramer: 8 KB lines in 64-byte pieces", framed(longLines), longLines.length);
console.log(`ratio per byte, 8 KB lines / 1 KB lines: ${((long / longLines.length) / (short / shortLines.length)).toFixed(2)}x (1 when linear; 8 if each piece searched its line from the start)`);
