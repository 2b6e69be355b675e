// Golden files hold a run's transcript in the shared line format (src/transcript/lines.ts).
export { eventLines as transcriptLine, transcriptOf } from "../transcript/lines.js";
