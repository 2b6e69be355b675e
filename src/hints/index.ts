// The two hint tables: replies and step failures (replies.ts), connection and TLS errors
// (connection.ts).
export { hintRows, hintFor, matchHint, type HintContext, type HintRow, type Situation } from "./replies.js";
export { CONNECTION_ERRORS, classifyConnectionError, hintForConnectionError, type ConnectionContext } from "./connection.js";
