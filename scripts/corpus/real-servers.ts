// Starts Debian's Postfix and Dovecot as the interop suite does (test/interop/servers.ts) and
// writes their ports, CA file and users' passwords as a shell file for scripts/corpus/capture.sh
// to source; stops them on SIGTERM or SIGINT. Root only.
// usage: node dist/scripts/corpus/real-servers.js ENV_FILE
import { writeFileSync } from "node:fs";
import { missingPrerequisites, startMailServers, USERS } from "../../test/interop/servers.js";

const envFile = process.argv[2];
if (!envFile) {
  process.stderr.write("usage: real-servers.js ENV_FILE\n");
  process.exit(2);
}
const missing = missingPrerequisites();
if (missing) {
  process.stderr.write(`real-servers: ${missing}\n`);
  process.exit(1);
}
const servers = await startMailServers();
const shellName = (name: string) => `REAL_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
const lines = [
  ...Object.entries(servers.ports).map(([name, port]) => `${shellName(name)}=${port}`),
  `REAL_CA=${servers.caFile}`,
  `REAL_ALICE_PW=${USERS.alice}`,
  `REAL_BOB_PW=${USERS.bob}`,
  `REAL_POSTFIX_VERSION='${servers.versions.postfix}'`,
  `REAL_DOVECOT_VERSION='${servers.versions.dovecot}'`,
];
writeFileSync(envFile, `${lines.join("\n")}\n`);
process.stdout.write(`Postfix ${servers.versions.postfix} and Dovecot ${servers.versions.dovecot} are running; ${envFile} written\n`);
const stop = () => {
  servers.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => undefined, 1 << 30);
