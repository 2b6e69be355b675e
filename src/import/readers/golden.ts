// mailchat's own golden transcripts: exact bytes, escaped.
import { parseLine } from "../../transcript/lines.js";
import type { Entry } from "../entries.js";

export function parseGolden(lines: string[]): Entry[] {
  const entries: Entry[] = [];
  lines.forEach((text, i) => {
    const n = i + 1;
    const line = parseLine(text);
    switch (line?.kind) {
      case "connect":
        return void entries.push({ kind: "connect", url: line.url, line: n });
      case "tls":
        return void entries.push({ kind: "tls", version: line.version, cipher: line.cipher, line: n });
      case "cert":
        if (line.verified) entries.push({ kind: "cert", verified: true, line: n });
        return;
      case "closed":
        if (line.by === "server") entries.push({ kind: "closed", line: n });
        return;
      // Golden lines hold the wire text escaped: the bytes are read back from it.
      case "client": {
        if (line.raw) return void entries.push({ kind: "client", text: line.text, raw: line.bytes(), line: n });
        const bytes = line.bytes();
        return void entries.push({ kind: "client", text: bytes.toString("utf8"), bytes, line: n });
      }
      case "server":
        return void entries.push({ kind: "server", text: line.bytes().toString("utf8"), line: n });
      case undefined:
        return void entries.push({ kind: "unplaced", text, line: n, why: "not a golden transcript line" });
      default:
        return;
    }
  });
  return entries;
}

/** Every line a golden line (`C: `, `S: `, `*: `) or a comment. */
export function goldenScore(lines: string[]): number {
  return lines.some((l) => /^[CS*]: /.test(l)) && lines.every((l) => !l.trim() || /^(?:[CS*]: |#)/.test(l)) ? 1 : 0;
}
