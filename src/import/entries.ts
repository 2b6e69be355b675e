// The neutral form every reader gives: what each side said, and the session's facts, in the
// order of the paste. The generator (generate.ts) reads only this.
import type { ProtocolName } from "../compile/steps.js";

export type Entry =
  /** `bytes`: the exact bytes of a golden line (escaped there); `raw`: a `send raw` line. */
  | { kind: "client"; text: string; line: number; bytes?: Buffer; raw?: Buffer }
  | { kind: "server"; text: string; line: number }
  | { kind: "connect"; host?: string; port?: number; url?: string; line: number }
  | { kind: "tls"; version?: string; cipher?: string; line: number }
  | { kind: "cert"; subject?: string; issuer?: string; verified?: boolean; line: number }
  | { kind: "starttls-done"; line: number }
  | { kind: "closed"; line: number }
  | { kind: "unplaced"; text: string; line: number; why: string };

export type Format = "golden" | "swaks" | "openssl" | "labelled" | "client-log" | "packet-capture" | "telnet";

export interface Transcript {
  format: Format;
  protocol: ProtocolName;
  /** `openssl s_client -starttls smtp`: the upgrade happened before the paste starts. */
  starttlsBeforePaste?: string;
  implicitTls: boolean;
  entries: Entry[];
}
