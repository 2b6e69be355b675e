// One in-memory mail store for every sandbox service: what SMTP, submission or LMTP accept
// is what POP3 and IMAP serve.
export interface StoredMessage {
  uid: number;
  raw: Buffer;
  size: number;
  flags: Set<string>;
  internalDate: Date;
  from: string;
}

export class MailStore {
  private readonly boxes = new Map<string, StoredMessage[]>();
  private nextUid = 1;
  /** IMAP UIDVALIDITY: fixed for the life of the store. */
  readonly uidValidity = Math.floor(Date.now() / 1000);

  deliver(message: { from: string; recipients: string[]; raw: Buffer }): void {
    for (const recipient of message.recipients) {
      const box = this.mailbox(recipient);
      box.push({ uid: this.nextUid++, raw: message.raw, size: message.raw.length, flags: new Set(), internalDate: new Date(), from: message.from });
    }
  }

  mailbox(user: string): StoredMessage[] {
    const key = user.toLowerCase();
    let box = this.boxes.get(key);
    if (!box) {
      box = [];
      this.boxes.set(key, box);
    }
    return box;
  }
}
