// Protocol modules by name. A protocol missing here is refused by the compiler.
import type { ProtocolName } from "../compile/steps.js";
import { imap } from "./imap.js";
import { pop3 } from "./pop3.js";
import { lmtp, smtp } from "./smtp.js";
import type { Protocol } from "./types.js";

export const PROTOCOLS: Partial<Record<ProtocolName, Protocol>> = { smtp, lmtp, pop3, imap };

export function protocolFor(name: ProtocolName): Protocol | undefined {
  return PROTOCOLS[name];
}
