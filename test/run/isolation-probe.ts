// A static probe for what a root workload can reach from inside `cudaseal
// run`, and the images that hold it. It first tries the classic
// double-chroot escape (mkdir x; chroot x; chdir .. until it stops;
// chroot .), then, from wherever that left it, reports as `key=value`
// lines what a container must not see or do: a host file whose path it is
// given, the host's /etc/hostname (the images have none), a write into a
// host folder, the processes /proc lists, its namespaces, which of
// docker's read-only /proc and /sys paths it could write, what docker's
// masked paths hold, whether a device node it makes can be opened, what
// /sys and /dev offer, its capabilities, umask and session keyring. It
// only opens the kernel's settings for writing and never writes them, so
// a runtime that fails the test changes nothing on the host.

import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { compile, tarDirectory, writeImage } from "./fixture.ts";

/** Docker's default masked paths (moby daemon/pkg/oci/defaults.go), without the per-CPU ones. */
export const DOCKER_MASKED = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/sys/devices/virtual/powercap",
  "/sys/firmware",
];

/** Docker's default read-only paths, plus the one file that made /proc/sys a host escape and sysfs itself. */
export const READ_ONLY = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
  "/proc/sys/kernel/core_pattern",
  "/sys",
  "/sys/kernel",
  "/sys/fs/cgroup",
];

/** Where the probe makes a device node and tries to open it. */
export const NODE_DIRS = ["/", "/dev", "/dev/shm", "/tmp"];

/**
 * argv: `keyring` (only the session keyring's id: safe to run on the host),
 * or MARKER OUTSIDE MAJOR:MINOR MASKED... MARKER is a host file to look
 * for, OUTSIDE a host folder to write into, MAJOR:MINOR the host disk's
 * device number for the node, MASKED the paths to read.
 */
const PROBE = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const read_only[] = {${READ_ONLY.map((p) => `"${p}"`).join(", ")}};
static const char *const node_dirs[] = {${NODE_DIRS.map((p) => `"${p}"`).join(", ")}};

/* The first line of a file as read:LINE, or why it cannot be read. */
static void show_file(const char *key, const char *path) {
  char buf[512] = "";
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    printf("%s=%s\n", key, strerror(errno));
    return;
  }
  if (fgets(buf, sizeof buf, f) == NULL) buf[0] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  fclose(f);
  printf("%s=read:%s\n", key, buf);
}

static void escape(void) {
  printf("escape.mkdir=%s\n", mkdir("/tmp/jail", 0700) == 0 ? "ok" : strerror(errno));
  /* The working directory stays outside the new root, so .. is never stopped at it. */
  printf("escape.chroot=%s\n", chroot("/tmp/jail") == 0 ? "ok" : strerror(errno));
  int climbed = 0;
  while (climbed < 1024 && chdir("..") == 0) climbed++;
  printf("escape.climb=%s\n", chroot(".") == 0 ? "ok" : strerror(errno));
  if (chdir("/") != 0) printf("escape.chdir=%s\n", strerror(errno));
}

static void processes(void) {
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') n++;
  if (d != NULL) closedir(d);
  printf("procs=%d\n", n);
}

static void namespaces(void) {
  static const char *const kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "user", "uts"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char path[64], link[128] = "";
    snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
    ssize_t n = readlink(path, link, sizeof link - 1);
    printf("ns.%s=%s\n", kinds[i], n > 0 ? link : strerror(errno));
  }
}

/* What a masked path holds: absent, entries:N for a folder, bytes:N for a file, or an error. */
static void masked(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("masked.%s=%s\n", path, errno == ENOENT ? "absent" : strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (d == NULL) {
      printf("masked.%s=%s\n", path, strerror(errno));
      return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    printf("masked.%s=entries:%d\n", path, n);
    return;
  }
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("masked.%s=%s\n", path, strerror(errno));
    return;
  }
  char buf[65536];
  long total = 0;
  ssize_t got;
  while (total < (1L << 20) && (got = read(fd, buf, sizeof buf)) > 0) total += got;
  close(fd);
  printf("masked.%s=bytes:%ld\n", path, total);
}

/* A block node for the host's disk: made (CAP_MKNOD), then opened, then removed. */
static void device_node(const char *dir, unsigned int major_nr, unsigned int minor_nr) {
  char path[256];
  snprintf(path, sizeof path, "%s/probe-node", strcmp(dir, "/") == 0 ? "" : dir);
  if (mknod(path, S_IFBLK | 0600, makedev(major_nr, minor_nr)) != 0) {
    printf("node.%s=mknod:%s\n", dir, strerror(errno));
    return;
  }
  int fd = open(path, O_RDONLY);
  printf("node.%s=open:%s\n", dir, fd >= 0 ? "ok" : strerror(errno));
  if (fd >= 0) close(fd);
  unlink(path);
}

/* The id of the session keyring (KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, not created). */
static void session_keyring(void) {
  long id = syscall(SYS_keyctl, 0, -3, 0);
  printf("keyring.session=%s\n", id >= 0 ? "" : strerror(errno));
  printf("keyring.id=%ld\n", id);
}

int main(int argc, char **argv) {
  /* Safe on the host: only says which session keyring it has. */
  if (argc == 2 && strcmp(argv[1], "keyring") == 0) {
    session_keyring();
    return 0;
  }
  if (argc < 4) return 2;
  printf("uid=%d\n", (int)getuid());
  escape();
  show_file("host.marker", argv[1]);
  show_file("host.hostname", "/etc/hostname");
  char path[4096];
  snprintf(path, sizeof path, "/proc/1/root%s", argv[1]);
  show_file("host.proc1_marker", path);
  snprintf(path, sizeof path, "%s/escaped", argv[2]);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  printf("write.outside=%s\n", fd >= 0 ? "ok" : strerror(errno));
  if (fd >= 0) close(fd);
  processes();
  namespaces();
  /* The mount's flag, and what access(W_OK) says (a /proc/sys folder refuses writes of its own accord). */
  for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
    struct statvfs sv;
    int got = statvfs(read_only[i], &sv);
    printf("ro.%s=%s\n", read_only[i], got != 0 ? strerror(errno) : sv.f_flag & ST_RDONLY ? "read-only" : "writable");
    printf("w.%s=%s\n", read_only[i], access(read_only[i], W_OK) == 0 ? "ok" : strerror(errno));
  }
  fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
  printf("open.core_pattern=%s\n", fd >= 0 ? "ok" : strerror(errno));
  if (fd >= 0) close(fd);
  for (int i = 4; i < argc; i++) masked(argv[i]);
  unsigned int major_nr = 0, minor_nr = 0;
  sscanf(argv[3], "%u:%u", &major_nr, &minor_nr);
  for (size_t i = 0; i < sizeof node_dirs / sizeof node_dirs[0]; i++) device_node(node_dirs[i], major_nr, minor_nr);
  fd = open("/dev/null", O_WRONLY);
  printf("dev.null=%s\n", fd >= 0 && write(fd, "x", 1) == 1 ? "ok" : strerror(errno));
  if (fd >= 0) close(fd);
  /* A pseudo-terminal pair from the container's own devpts. */
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  int pty = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? open(ptsname(master), O_RDWR | O_NOCTTY) : -1;
  printf("dev.pty=%s\n", pty >= 0 ? "ok" : strerror(errno));
  if (pty >= 0) close(pty);
  if (master >= 0) close(master);
  /* What NVML reads for a GPU's PCI details. */
  int devices = 0;
  DIR *pci = opendir("/sys/bus/pci/devices");
  struct dirent *e;
  while (pci != NULL && (e = readdir(pci)) != NULL) devices += e->d_name[0] != '.';
  printf("sys.pci=%s\n", pci != NULL ? "" : strerror(errno));
  printf("sys.pci_devices=%d\n", devices);
  if (pci != NULL) closedir(pci);
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  static const char *const sets[][2] = {
      {"CapInh:\t", "capinh"}, {"CapPrm:\t", "capprm"}, {"CapEff:\t", "capeff"}, {"CapBnd:\t", "capbnd"}, {"CapAmb:\t", "capamb"}};
  while (status != NULL && fgets(line, sizeof line, status) != NULL)
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
      if (strncmp(line, sets[i][0], 8) == 0) printf("%s=%s", sets[i][1], line + 8);
  if (status != NULL) fclose(status);
  mode_t mask = umask(022);
  printf("umask=%04o\n", (unsigned int)mask);
  session_keyring();
  return 0;
}
`;

export interface IsolationImages {
  /** The probe itself, for `probe keyring` on the host. */
  probe: string;
  /** The probe as entrypoint, no user set: root, as most vendor CUDA images. */
  root: string;
  /** The same with user 1234:1234, for `--user 0`. */
  user: string;
}

/** Compile the probe static and write both images under `work` (world-readable, for an unprivileged caller). */
export async function makeIsolationImages(work: string): Promise<IsolationImages> {
  const probe = compile(join(work, "bin"), "isolation-probe", PROBE, ["-static", "-O2"]);
  const root = join(work, "isolation-root");
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true, mode: 0o1777 });
  chmodSync(join(root, "tmp"), 0o1777);
  copyFileSync(probe, join(root, "usr/local/bin/isolation-probe"));
  chmodSync(join(root, "usr/local/bin/isolation-probe"), 0o755);
  const layer = tarDirectory(root);
  const entrypoint = ["/usr/local/bin/isolation-probe"];
  return {
    probe,
    root: await writeImage(join(work, "isolation-root-image"), [layer], { entrypoint }),
    user: await writeImage(join(work, "isolation-user-image"), [layer], { user: "1234:1234", entrypoint }),
  };
}
