// The sandbox's accounts. Printed by `mailchat sandbox` and used by the examples.
export const SANDBOX_DOMAIN = "mailchat.test";

export interface SandboxUser {
  address: string;
  password: string;
}

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { address: "alice@mailchat.test", password: "alice-sandbox-pw" },
  { address: "bob@mailchat.test", password: "bob-sandbox-pw" },
];

/** Accepts the full address or the local part, as many servers do. */
export function findUser(name: string): SandboxUser | undefined {
  const wanted = name.toLowerCase();
  return SANDBOX_USERS.find((user) => user.address === wanted || user.address.split("@")[0] === wanted);
}

export function isLocalAddress(address: string): boolean {
  return address.toLowerCase().endsWith(`@${SANDBOX_DOMAIN}`);
}
