// `data message`: what the message mailchat builds is made of, checked when the script
// compiles — header names and values (one line each), body text and files, attachments that
// exist and fit. The MIME itself is built at run time (src/message/compose.ts), where the
// Date and Message-ID belong.
import { statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { MAX_ATTACHMENT_BYTES } from "../limits.js";
import { describeFsError } from "./load.js";
import type { ReportError, Scope } from "./scope.js";
import type { MessagePlan } from "./steps.js";

/** RFC 5322 §3.6.8: a field name is printable US-ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;

export function messagePlan(s: Extract<A.Statement, { kind: "data-message" }>, scope: Scope, error: ReportError): MessagePlan | undefined {
  const plan: MessagePlan = { headers: [], body: [], attachments: [] };
  let ok = true;
  for (const part of s.parts) {
    switch (part.kind) {
      case "header": {
        if (!FIELD_NAME.test(part.name)) {
          error("bad-header-name", `\`${part.name}\` is not a header name: RFC 5322 §3.6.8 allows printable ASCII without a colon`, part.span, `write the name without the colon: \`header ${part.name.replace(/:+$/, "") || "X-Check"} "…"\``);
          ok = false;
          break;
        }
        const value = scope.text(part.value, "line");
        if (value) plan.headers.push({ name: part.name, value });
        else ok = false;
        break;
      }
      case "body": {
        const text = scope.text(part.text, "value");
        if (text) plan.body.push({ text });
        else ok = false;
        break;
      }
      case "body-file":
      case "attach": {
        const path = readablePath(part.path, part.kind === "attach" ? "an attachment" : "a body file", part.span, scope, error);
        if (!path) {
          ok = false;
          break;
        }
        if (part.kind === "body-file") {
          plan.body.push({ file: path });
          break;
        }
        const filename = part.filename ? scope.text(part.filename, "line") : { parts: [basename(path)] };
        const contentType = part.contentType ? scope.text(part.contentType, "line") : null;
        // Each of them reported its own error when it gave nothing.
        if (!filename || contentType === undefined) {
          ok = false;
          break;
        }
        plan.attachments.push(contentType ? { path, filename, contentType } : { path, filename });
        break;
      }
    }
  }
  return ok ? plan : undefined;
}

/** A file the message takes, relative to the script, readable now and within the bound. */
function readablePath(template: A.Template, what: string, span: A.Span, scope: Scope, error: ReportError): string | undefined {
  const written = scope.known(template, `the path of ${what}`, "message-file-capture");
  if (written === undefined) return undefined;
  const path = resolve(dirname(span.file), written);
  try {
    const size = statSync(path).size;
    if (size > MAX_ATTACHMENT_BYTES) {
      error("message-file-too-large", `${written} holds ${size} bytes, more than ${what} may (${MAX_ATTACHMENT_BYTES / 1_048_576} MiB): the message is built in memory`, template.span, "send a large message with `data file` or `bdat file`, which stream it");
      return undefined;
    }
  } catch (failure) {
    error("message-file-unreadable", `cannot read ${written}: ${describeFsError(failure)}`, template.span, `paths are relative to ${dirname(span.file)}`);
    return undefined;
  }
  return path;
}
