// The message `data message` sends, built by nodemailer's MailComposer (the MIME tree,
// header encoding, multipart boundaries, transfer encodings): no multipart code of our own.
// What mailchat decides is the default test message, after swaks's: From and To from the
// session's envelope, a Subject, a one-line body, and a Date and Message-ID made now.
import { hostname } from "node:os";
import MailComposer, { type MailComposerOptions } from "nodemailer/lib/mail-composer";

export interface MessageInput {
  /** Headers as the script gave them, in order: a well-known one replaces the generated one. */
  headers: Array<{ name: string; value: string }>;
  /** The body text, or undefined for the default. */
  text: string | undefined;
  attachments: Array<{ filename: string; content: Buffer; contentType?: string }>;
  /** The session's MAIL FROM and RCPT TO addresses, for the default From and To. */
  envelope: { from?: string; to: string[] };
}

export const DEFAULT_SUBJECT = "mailchat test message";
export const DEFAULT_TEXT = "This is a test message sent by mailchat.\n";

/** Headers MailComposer sets from its own fields (and so replaces rather than adds). */
const FIELDS: Record<string, keyof MailComposerOptions> = { from: "from", to: "to", cc: "cc", "reply-to": "replyTo", subject: "subject", "message-id": "messageId", date: "date", sender: "sender", "in-reply-to": "inReplyTo", references: "references" };

export function composeMessage(input: MessageInput): Promise<Buffer> {
  const options: MailComposerOptions = {
    from: input.envelope.from || `mailchat@${hostname()}`,
    subject: DEFAULT_SUBJECT,
    text: input.text ?? DEFAULT_TEXT,
    // No version: a golden transcript stays the same across upgrades.
    headers: [{ key: "X-Mailer", value: "mailchat" }],
    attachments: input.attachments.map((a) => ({ filename: a.filename, content: a.content, ...(a.contentType ? { contentType: a.contentType } : {}) })),
    // Every byte comes from the script or its files, read by mailchat: never a URL or a path
    // that MailComposer would open itself.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (input.envelope.to.length > 0) options.to = input.envelope.to.join(", ");
  const extra = options.headers as Array<{ key: string; value: string }>;
  for (const { name, value } of input.headers) {
    const field = FIELDS[name.toLowerCase()];
    if (field) (options as Record<string, unknown>)[field] = value;
    else if (name.toLowerCase() === "x-mailer") extra.splice(0, 1, { key: name, value });
    else extra.push({ key: name, value });
  }
  return new Promise((resolvePromise, reject) => new MailComposer(options).compile().build((error, message) => (error ? reject(error) : resolvePromise(message))));
}
