// A recording as serve replays it: one segment a connection, its lines in wire order. Its own
// module, so that the modules replay.ts asks (login.ts, offer.ts) need not ask replay.ts back.
export type ReplayLine =
  | { kind: "server"; text: string; line: number }
  | { kind: "client"; text: string; line: number }
  | { kind: "tls"; line: number }
  | { kind: "closed"; by: "server" | "client"; line: number };

export interface ReplaySegment {
  url: string;
  implicitTls: boolean;
  lines: ReplayLine[];
}
