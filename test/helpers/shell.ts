// What changes between two runs of the same shell session, masked so the session can be
// pinned in a fixture: ports, timings, certificate dates and fingerprints (the sandbox makes
// its certificates anew each run), queue ids, the recording's date.
import { BUILT_IN_MASKS } from "../../src/golden/masks.js";

export function maskShellOutput(text: string, port: number | undefined, savedFile: string): string {
  let out = text.split(savedFile).join("SAVED");
  if (port !== undefined) out = out.split(`:${port}`).join(":{port}");
  out = out.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>").replace(/\(in \d+ days\)/g, "(in <n> days)").replace(/sha256 (?:[0-9A-F]{2}:){31}[0-9A-F]{2}/g, "sha256 <fingerprint>");
  for (const mask of BUILT_IN_MASKS) out = out.replace(mask.regex, mask.replacement);
  return out;
}
