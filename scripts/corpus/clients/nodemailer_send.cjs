// Node nodemailer with logger: true, debug: true. Run with NODE_PATH pointing at a
// node_modules holding nodemailer (the capture script installs it under /tmp).
// usage: node nodemailer_send.cjs MODE HOST PORT CAFILE USER PASSWORD FROM TO
//   MODE: starttls (requireTLS), ssl (secure: true) or plain (no AUTH)
const fs = require("node:fs");
const nodemailer = require("nodemailer");

const [mode, host, port, cafile, user, pass, from, to] = process.argv.slice(2);
const transport = nodemailer.createTransport({
  host,
  port: Number(port),
  secure: mode === "ssl",
  requireTLS: mode === "starttls",
  ignoreTLS: mode === "plain",
  name: "client.example",
  auth: user === "-" ? undefined : { user, pass },
  tls: { ca: fs.readFileSync(cafile) },
  logger: true,
  debug: true,
});
transport
  .sendMail({ from, to, subject: `mailchat corpus: nodemailer ${mode}`, text: "Sent by nodemailer." })
  .then((info) => console.log("sent:", info.response))
  .catch((error) => {
    console.error("failed:", error.message);
    process.exitCode = 1;
  });
