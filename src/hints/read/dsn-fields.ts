// The fields of an RFC 3464 message/delivery-status part: one block of per-message fields
// (Reporting-MTA, Arrival-Date) and one block per recipient (Final-Recipient, Action,
// Status, Remote-MTA, Diagnostic-Code), separated by blank lines, each field possibly folded
// over several lines (RFC 3464 §2.1, RFC 5322 §2.2.3).
import type { Reading } from "./reading.js";
import { replyLines } from "./reply-lines.js";

export interface DsnRecipient {
  finalRecipient?: string;
  originalRecipient?: string;
  action?: string;
  status?: string;
  remoteMta?: string;
  /** The Diagnostic-Code's type ("smtp", "X-Postfix") and text. */
  diagnostic?: { type: string; text: string };
}

/** A field's value without its address-type or MTA-name-type ("rfc822; bob@x" → "bob@x"). */
const typed = (value: string) => value.replace(/^[\w-]+\s*;\s*/, "").trim();

/** Header-style fields of one block, folded lines joined (first occurrence wins). */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let name: string | undefined;
  for (const line of block.split("\n")) {
    const field = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (/^[ \t]/.test(line) && name) fields.set(name, `${fields.get(name)} ${line.trim()}`.trim());
    else if (field) {
      name = fields.has(field[1]!.toLowerCase()) ? undefined : field[1]!.toLowerCase();
      if (name) fields.set(name, field[2]!.trim());
    } else name = undefined;
  }
  return fields;
}

const RECIPIENT_FIELD = /^(?:Final-Recipient|Original-Recipient|Action|Diagnostic-Code):/im;

/** True when the text holds delivery-status fields for at least one recipient. */
export function hasDeliveryStatus(text: string): boolean {
  return /^Final-Recipient:\s*\S/im.test(text) && /^(?:Status|Action):\s*\S/im.test(text);
}

export function readDeliveryStatus(text: string): DsnRecipient[] {
  const blocks = text.replace(/\r/g, "").split(/\n[ \t]*\n/);
  return blocks
    .filter((block) => RECIPIENT_FIELD.test(block))
    .map((block) => {
      const fields = fieldsOf(block);
      const recipient: DsnRecipient = {};
      const set = <K extends keyof DsnRecipient>(key: K, value: DsnRecipient[K] | undefined) => void (value !== undefined && value !== "" && (recipient[key] = value));
      set("finalRecipient", fields.has("final-recipient") ? typed(fields.get("final-recipient")!) : undefined);
      set("originalRecipient", fields.has("original-recipient") ? typed(fields.get("original-recipient")!) : undefined);
      set("action", fields.get("action")?.toLowerCase());
      set("status", /^\s*([245]\.\d{1,3}\.\d{1,3})/.exec(fields.get("status") ?? "")?.[1]);
      set("remoteMta", fields.has("remote-mta") ? typed(fields.get("remote-mta")!) : undefined);
      const diagnostic = /^([\w-]+)\s*;\s*([\s\S]*)$/.exec(fields.get("diagnostic-code") ?? "");
      if (diagnostic) recipient.diagnostic = { type: diagnostic[1]!, text: diagnostic[2]!.trim() };
      return recipient;
    });
}

/** One reading per recipient: the Diagnostic-Code decides (it is the refusal itself, or the
 *  reporting MTA's own words); the Status, the reporting MTA's summary of it, is context. */
export function dsnReadings(recipients: DsnRecipient[], format: string): Reading[] {
  return recipients.map((r) => {
    const reading: Reading = { format, protocol: "smtp", context: [] };
    const recipient = r.finalRecipient ?? r.originalRecipient;
    if (recipient) reading.recipient = recipient;
    if (r.remoteMta) reading.remoteHost = r.remoteMta;
    if (r.action) reading.action = r.action;
    const status = r.status ? { lines: [`Status: ${r.status}`], from: "Status" } : undefined;
    if (r.diagnostic) {
      reading.deciding = { lines: replyLines(r.diagnostic.text), from: `Diagnostic-Code (${r.diagnostic.type})` };
      if (status) reading.context.push(status);
    } else if (status) reading.deciding = status;
    return reading;
  });
}
