// Every local server mailchat starts (sandbox services, the fault proxy, the replay server)
// listens on loopback only: nothing it runs is reachable from the network.
import type { Server } from "node:net";

export function listenOnLoopback(server: Server, port = 0): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.removeListener("error", reject);
      resolvePromise((server.address() as { port: number }).port);
    });
  });
}
