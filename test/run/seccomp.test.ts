// The launcher's seccomp filter, call by call: a harness built from the
// launcher's own source installs the filter and makes every call on its
// denylist with arguments that are all -1. Run as root, the kernel answers
// such calls with EFAULT, EINVAL, EBADF or ENOSYS, never EPERM, so an EPERM
// can only come from the filter, and a call the filter lets through shows.
// The end-to-end behaviour (a probe in a real container) is in run.test.ts.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const LAUNCHER = join(import.meta.dirname, "..", "..", "native", "cudaseal-launch.c");

const HARNESS = String.raw`
#define main cudaseal_launch_main
#include "${LAUNCHER}"
#undef main
static void report(const char *name, long r) { printf("%s %s\n", name, r >= 0 ? "ok" : strerror(errno)); }
int main(int argc, char **argv) {
  (void)argv;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
  if (argc == 1) install_seccomp();
  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "nr%d", denied[i]);
    errno = 0;
    report(name, syscall(denied[i], -1L, -1L, -1L, -1L, -1L, -1L));
  }
  long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone_newns", pid);
  pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone_plain", pid);
  report("clone3", syscall(SYS_clone3, NULL, 0));
  report("personality_query", syscall(SYS_personality, 0xffffffffUL));
  report("personality_linux32_high_bits", syscall(SYS_personality, 0x100000008UL));
  report("personality_norandom", syscall(SYS_personality, 0x0040000UL));
  report("getppid", getppid());
  return 0;
}
`;

const work = mkdtempSync(join(tmpdir(), "cudaseal-seccomp-"));
after(() => rmSync(work, { recursive: true, force: true }));

function why(): string | false {
  if (spawnSync("gcc", ["--version"]).error !== undefined) return "gcc is not installed";
  if (process.getuid?.() !== 0) return "needs root, so that only the filter can answer EPERM";
  return false;
}

let built: string | undefined;

/** The harness binary, compiled on first use. */
function harnessBinary(): string {
  if (built !== undefined) return built;
  const source = join(work, "harness.c");
  const binary = join(work, "harness");
  writeFileSync(source, HARNESS);
  const cc = spawnSync("gcc", ["-std=gnu11", "-o", binary, source], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  built = binary;
  return binary;
}

/** Run the harness: with the filter, or (`filtered` false) without, as the control. */
function harness(filtered: boolean): Map<string, string> {
  const r = spawnSync(harnessBinary(), filtered ? [] : ["--no-filter"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return new Map(
    r.stdout
      .trim()
      .split("\n")
      .map((line) => {
        const space = line.indexOf(" ");
        return [line.slice(0, space), line.slice(space + 1)] as [string, string];
      }),
  );
}

test("every call on the denylist gets EPERM from the filter, and from nothing else", { skip: why() }, () => {
  const control = harness(false);
  const denied = [...control.keys()].filter((k) => k.startsWith("nr"));
  assert.ok(denied.length >= 40, `${denied.length} calls on the list`);
  // Without the filter the kernel answers none of them with EPERM: the test can tell.
  for (const nr of denied)
    assert.notEqual(control.get(nr), "Operation not permitted", `${nr} without the filter`);
  assert.equal(control.get("clone_newns"), "ok");
  assert.equal(control.get("personality_norandom"), "ok");

  const filtered = harness(true);
  for (const nr of denied) assert.equal(filtered.get(nr), "Operation not permitted", nr);
  assert.equal(filtered.get("clone_newns"), "Operation not permitted");
  assert.equal(filtered.get("clone_plain"), "ok");
  assert.equal(filtered.get("clone3"), "Function not implemented");
  assert.equal(filtered.get("personality_query"), "ok");
  assert.equal(filtered.get("personality_linux32_high_bits"), "Operation not permitted");
  assert.equal(filtered.get("personality_norandom"), "Operation not permitted");
  assert.equal(filtered.get("getppid"), "ok");
});
