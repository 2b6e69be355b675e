// Why a connection failed, in words: DNS, refused, dropped, TLS, certificate (exit 3).
import type { ConnectionFailure, ConnectionFailureKind } from "./events.js";
import { VERIFY_REASONS } from "./tls.js";

interface Where {
  host: string;
  port: number;
  stage: "connect" | "tls" | "certificate";
}

const CAUSES: Record<ConnectionFailureKind, string> = {
  dns: "DNS problem: the host name does not resolve",
  refused: "service not running on that port, or a firewall rejects the connection",
  timeout: "firewall drop, wrong port, or the network (many ISPs block outbound port 25)",
  reset: "the server or a middlebox reset the connection",
  tls: "TLS handshake failure",
  certificate: "certificate problem",
  other: "network problem",
};

function kindOf(code: string | undefined, stage: Where["stage"]): ConnectionFailureKind {
  if (stage === "certificate" || (code && code in VERIFY_REASONS)) return "certificate";
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return "dns";
    case "ECONNREFUSED":
      return "refused";
    case "ETIMEDOUT":
      return stage === "tls" ? "tls" : "timeout";
    case "ECONNRESET":
    case "EPIPE":
      return stage === "tls" ? "tls" : "reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "other";
  }
  if (stage === "tls" || (code && /^ERR_(SSL|TLS)/.test(code))) return "tls";
  return "other";
}

export function classifyConnectionError(error: unknown, where: Where): ConnectionFailure {
  const code = (error as { code?: string }).code;
  const kind = kindOf(code, where.stage);
  const address = `${where.host.includes(":") ? `[${where.host}]` : where.host}:${where.port}`;
  let message: string;
  switch (kind) {
    case "dns":
      message = `cannot resolve ${where.host}`;
      break;
    case "refused":
      message = `connection to ${address} refused`;
      break;
    case "timeout":
      message = `connection to ${address} timed out`;
      break;
    default:
      message = `${(error as Error).message} (${address})`;
  }
  const failure: ConnectionFailure = { kind, message, cause: CAUSES[kind] };
  if (code) failure.code = code;
  if (kind === "other" && (code === "EHOSTUNREACH" || code === "ENETUNREACH")) failure.cause = "no route to the host: the network or a firewall";
  return failure;
}
