// What a step sends besides its line, read or checked when the script compiles: a sized
// literal (`{file "PATH"}`, `{"TEXT"}`), a `data` body, a `data file`.
import { accessSync, constants as fsConstants, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { MAX_CHUNK_BYTES, MAX_LITERAL_BYTES } from "../limits.js";
import { describeFsError } from "./load.js";
import type { ReportError, Scope } from "./scope.js";
import type { RuntimeText } from "./steps.js";

/** Bare LF (and bare CR) line ends → CRLF. */
function crlf(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString("latin1").replace(/\r?\n|\r/g, "\r\n"), "latin1");
}

/**
 * The bytes of `{file "PATH"}` (read now, relative to the script) or `{"TEXT"}`, with line
 * ends made CRLF: IMAP messages (RFC 9051 §6.3.12) and Sieve scripts (RFC 5228 §2.2) are
 * CRLF text, and a file saved on Unix has bare LFs. `send raw` sends bytes as they are.
 */
export function readLiteral(literal: A.SizedLiteral, scope: Scope, error: ReportError): { bytes: Buffer; file?: string; binary?: boolean } | undefined {
  // BINARY's literal8 (RFC 3516 `~{n}`) carries bytes as they are: no line end is changed.
  const lines = literal.binary ? (bytes: Buffer) => bytes : crlf;
  const marked = <T extends object>(value: T) => (literal.binary ? { ...value, binary: true } : value);
  if (literal.kind === "text") {
    const text = scope.known(literal.text, "a sized literal");
    return text === undefined ? undefined : marked({ bytes: lines(Buffer.from(text, /[^\x00-\xff]/.test(text) ? "utf8" : "latin1")) });
  }
  const written = scope.known(literal.path, "a literal's file path");
  if (written === undefined) return undefined;
  const path = resolve(dirname(literal.span.file), written);
  try {
    if (statSync(path).size > MAX_LITERAL_BYTES) {
      error("literal-too-large", `${written} is larger than a literal may be (${MAX_LITERAL_BYTES / 1_048_576} MiB)`, literal.span);
      return undefined;
    }
    return marked({ bytes: lines(readFileSync(path)), file: written });
  } catch (failure) {
    error("literal-unreadable", `cannot read literal file ${written}: ${describeFsError(failure)}`, literal.span, `paths are relative to ${dirname(literal.span.file)}`);
    return undefined;
  }
}

/** A `data` block's lines; a NUL written in one is refused (RFC 5321 §4.5.2). */
export function dataBody(s: { body: A.Template[] }, scope: Scope, error: ReportError): RuntimeText[] {
  const body: RuntimeText[] = [];
  for (const line of s.body) {
    const text = scope.text(line, "line");
    if (!text) continue;
    if (text.parts.some((p) => typeof p === "string" && p.includes("\0"))) {
      error("nul-in-data", "a `data` body line holds a NUL byte", line.span, "RFC 5321 §4.5.2 forbids NUL in message text and `data` never sends one; use `send raw` to test how a server treats it");
      continue;
    }
    body.push(text);
  }
  return body;
}

/** A `data file`'s path, relative to the script, readable now (it is streamed at run time). */
export function messageFile(s: { path: A.Template; span: A.Span }, scope: Scope, error: ReportError): string | undefined {
  const written = scope.known(s.path, "a `data file` path", "data-file-capture");
  if (written === undefined) return undefined;
  const path = resolve(dirname(s.span.file), written);
  try {
    accessSync(path, fsConstants.R_OK);
  } catch (failure) {
    error("data-file-unreadable", `cannot read message file ${written}: ${describeFsError(failure)}`, s.path.span, `paths are relative to ${dirname(s.span.file)}`);
    return undefined;
  }
  return path;
}

/**
 * A BDAT chunk size as written: bytes, or with a binary suffix (`64k`, `64KiB`, `1m`, `1MiB`),
 * between 1 byte and MAX_CHUNK_BYTES.
 */
export function chunkSize(chunk: { text: string; span: A.Span }, error: ReportError): number | undefined {
  const match = /^(\d+)(k|kib|m|mib)?$/i.exec(chunk.text);
  const unit = match?.[2]?.toLowerCase();
  const size = match ? Number(match[1]) * (unit?.startsWith("k") ? 1024 : unit?.startsWith("m") ? 1_048_576 : 1) : NaN;
  if (!Number.isSafeInteger(size)) {
    error("bad-chunk-size", `\`${chunk.text}\` is not a chunk size`, chunk.span, "write bytes, or KiB/MiB with a suffix: `chunk 1000`, `chunk 64k`, `chunk 1m`");
    return undefined;
  }
  if (size < 1 || size > MAX_CHUNK_BYTES) {
    error("bad-chunk-size", `a chunk of ${size} bytes is ${size < 1 ? "empty: BDAT needs at least one byte a chunk" : `beyond the limit of ${MAX_CHUNK_BYTES / 1_048_576} MiB a chunk`}`, chunk.span, "a few KiB to a few MiB is usual, e.g. `chunk 64k`");
    return undefined;
  }
  return size;
}
