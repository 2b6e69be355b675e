// Node's crypto and net modules, loaded when first used. The compiler needs them only for a
// client certificate, a PROXY header or a source address, and SASL only for CRAM-MD5; loading
// them when the CLI loads cost every `check` ~12 ms of its start (docs/benchmarks.md). A
// `run` that connects loads them anyway, through tls and net.
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const crypto = (): typeof import("node:crypto") => load("node:crypto");
export const net = (): typeof import("node:net") => load("node:net");
