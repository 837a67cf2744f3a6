// /etc/passwd, /etc/group and /etc/nsswitch.conf, which a scriptless build
// must write itself (base-passwd's and adduser's scripts never run). Only
// root and the accounts the spec names exist; passwords are locked.

import type { SpecGroup, SpecUser } from "../spec/types.ts";

export interface Accounts {
  users: SpecUser[];
  groups: SpecGroup[];
  /** root's login shell where the spec did not name root: a real shell only in images that have one. */
  rootShell?: string;
}

/** The default account: distroless's and Chainguard's `nonroot`, uid/gid 65532. */
export const NONROOT: SpecUser = {
  name: "nonroot",
  uid: 65532,
  gid: 65532,
  home: "/home/nonroot",
  shell: "/sbin/nologin",
};

export function passwdFile(accounts: Accounts): string {
  const users = withRoot(accounts.users, {
    name: "root",
    uid: 0,
    gid: 0,
    home: "/root",
    shell: "/sbin/nologin",
  });
  return users
    .map(
      (u) =>
        `${u.name}:x:${u.uid}:${u.gid ?? u.uid}::${u.home ?? "/nonexistent"}:${u.shell ?? "/sbin/nologin"}\n`,
    )
    .join("");
}

export function groupFile(accounts: Accounts): string {
  const groups = withRoot(accounts.groups, { name: "root", gid: 0 });
  // A user whose primary gid names no group still gets one, as useradd would make.
  for (const u of accounts.users) {
    const gid = u.gid ?? u.uid;
    if (!groups.some((g) => g.gid === gid)) groups.push({ name: u.name, gid });
  }
  groups.sort((a, b) => a.gid - b.gid);
  return groups.map((g) => `${g.name}:x:${g.gid}:${(g.members ?? []).join(",")}\n`).join("");
}

/** Locked passwords for every account (no shadow package is installed to read it otherwise). */
export function shadowFile(accounts: Accounts): string {
  const users = withRoot(accounts.users, { name: "root", uid: 0 });
  return users.map((u) => `${u.name}:*:0:0:99999:7:::\n`).join("");
}

export const NSSWITCH = `passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
`;

function withRoot<T extends { name: string; uid?: number; gid?: number }>(list: readonly T[], root: T): T[] {
  const out = list.some((x) => x.name === "root") ? [...list] : [root, ...list];
  return out.sort((a, b) => idOf(a) - idOf(b));
}

function idOf(x: { uid?: number; gid?: number }): number {
  return x.uid ?? x.gid ?? 0;
}

/** The home directories to create, with their owners. */
export function homeDirectories(accounts: Accounts): { path: string; uid: number; gid: number }[] {
  return accounts.users
    .filter((u) => u.home && u.home !== "/" && u.home !== "/nonexistent")
    .map((u) => ({ path: u.home!.replace(/^\/+/, ""), uid: u.uid, gid: u.gid ?? u.uid }));
}
