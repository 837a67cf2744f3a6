// Whether this process may make the namespaces a run needs: as root it may;
// otherwise only through an unprivileged user namespace, which kernels and
// distributions can switch off (Debian's kernel.unprivileged_userns_clone,
// user.max_user_namespaces = 0, AppArmor's restrict_unprivileged_userns).
// The sysctls say why; a trial `unshare` says whether it works.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { CudasealError } from "../errors.ts";

const run = promisify(execFile);

/** How a run gets its namespaces: as root, or in a user namespace that maps the caller to root. */
export type PrivilegeMode = "root" | "userns";

/**
 * The namespaces every run gets, as unshare's flags (docker's default set but
 * the network, which is asked for apart); a user namespace comes on top
 * where the caller is not root.
 */
export const NAMESPACES = ["--mount", "--pid", "--uts", "--ipc", "--cgroup"] as const;

export interface PrivilegeOptions {
  /** The unshare program (default: `unshare` on PATH). */
  unshare?: string;
  /** Where /proc is (tests point it at a fake tree). */
  procRoot?: string;
  /** Pretend not to be root (tests). */
  uid?: number;
}

/** The mode a run uses, or RUN_NO_PRIVILEGES with what to change. */
export async function privilegeMode(options: PrivilegeOptions = {}): Promise<PrivilegeMode> {
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const unshare = options.unshare ?? "unshare";
  if (uid === 0) return "root";
  const proc = options.procRoot ?? "/proc";
  const clone = (
    await readFile(`${proc}/sys/kernel/unprivileged_userns_clone`, "utf8").catch(() => "")
  ).trim();
  const max = (await readFile(`${proc}/sys/user/max_user_namespaces`, "utf8").catch(() => "")).trim();
  const why: string[] = [];
  if (clone === "0") why.push("kernel.unprivileged_userns_clone is 0");
  if (max === "0") why.push("user.max_user_namespaces is 0");
  if (why.length === 0) {
    try {
      await run(unshare, ["--user", "--map-root-user", ...NAMESPACES, "--fork", "true"], {
        timeout: 10_000,
      });
      return "userns";
    } catch (err) {
      const text = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      why.push(`a trial unshare --user failed: ${text.split("\n")[0]}`);
    }
  }
  throw new CudasealError(
    "RUN_NO_PRIVILEGES",
    `cudaseal run needs root or unprivileged user namespaces: ${why.join("; ")}`,
    {
      hint: "run it as root (sudo), or allow user namespaces: sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces=15000 (on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0)",
      details: { uid, unprivileged_userns_clone: clone || undefined, max_user_namespaces: max || undefined },
    },
  );
}
