/*
 * cudaseal-launch: the container side of `cudaseal run`.
 *
 * util-linux `unshare --mount --pid --uts --ipc --cgroup --fork [--user
 * --map-root-user] [--net]` starts it as PID 1 of fresh namespaces. It then:
 *   1. makes every mount private, so nothing below leaks to the host and
 *      everything vanishes with the namespace;
 *   2. mounts an overlay (nodev): the unpacked image (shared, cached, never
 *      written) under a per-run upper directory, so mount points for the
 *      driver's libraries can be made without touching the cache;
 *   3. mounts /proc (of the new PID namespace), /sys (read-only), a minimal
 *      /dev (a nodev tmpfs with null, zero, full, random, urandom and tty
 *      bound from the host, its own /dev/pts and /dev/mqueue, plus the GPU
 *      nodes it is given), /dev/shm and /tmp (tmpfs, sized), binds the
 *      user's volumes (nosuid, nodev, read-only where asked), then the given
 *      host files read-only (the driver's libraries);
 *   4. makes the overlay its root with pivot_root and detaches the host's
 *      root, as runc does: chroot would leave the host's root one
 *      double-chroot away from a workload that keeps CAP_SYS_CHROOT;
 *   5. makes docker's read-only paths read-only and hides its masked paths
 *      (/proc/sys, /proc/keys, /sys/firmware…), then remounts the root
 *      read-only unless told otherwise;
 *   6. forks the workload, which closes every inherited descriptor but
 *      stdin, stdout and stderr, changes directory, takes umask 022 and
 *      docker's default capability bounding set (without NET_RAW on the
 *      host's network, nothing inheritable or ambient), drops to the
 *      image's user with no supplementary groups, joins a session keyring
 *      of its own, sets no_new_privs, installs the seccomp filter (below)
 *      unless told not to (any step that fails stops it before exec), and
 *      execs the command with exactly the given environment;
 *   7. stays as PID 1: forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 *      SIGUSR2 sent to it, reaps orphans, and exits with the workload's
 *      status (128 + signal when it was killed).
 *
 * It is static (gcc -static -Os) so that it needs nothing from either file
 * system once the root changes. Exit statuses follow docker run: 125 when
 * the launcher fails, 126 when the command cannot be run, 127 when it is
 * not found. Every failure is one line on stderr starting "cudaseal-launch:".
 *
 * Arguments, each flag with its values, then `--` and the command:
 *   --lower DIR --upper DIR --work DIR --merged DIR   the overlay
 *   --readonly 0|1                                    remount the root read-only
 *   --shm BYTES --tmp BYTES                           tmpfs sizes
 *   --dev SRC DST                                     bind a device node (or /dev/nvidia-caps) to DST
 *   --ro-bind SRC DST                                 bind a host file read-only to DST
 *   --volume SRC DST, --volume-ro SRC DST             bind a host file or folder to DST (nosuid, nodev)
 *   --seccomp 0|1                                     install the seccomp filter (default 1)
 *   --net-raw 0|1                                     keep CAP_NET_RAW (default 0: only where the
 *                                                     network namespace is the container's own)
 *   --uid N --gid N                                   the user to run as; -1 keeps the current one
 *   --cwd DIR                                         working directory inside the root
 *   --env K=V                                         one variable of the environment (repeatable)
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ITEMS 512
#define PATH_BYTES 4096

struct pair {
  const char *src;
  const char *dst;
};

static const char *lower, *upper, *work, *merged, *cwd = "/";
static int readonly_root = 1, use_seccomp = 1, keep_net_raw = 0;
static const char *shm_size = "67108864", *tmp_size = "0";
static struct pair devs[MAX_ITEMS], binds[MAX_ITEMS], volumes[MAX_ITEMS];
static int ndevs, nbinds, nvolumes;
static char volume_ro[MAX_ITEMS];
static const char *envs[MAX_ITEMS + 1];
static int nenvs;
static long uid = -1, gid = -1;
static volatile pid_t child;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...) {
  int err = errno;
  char msg[PATH_BYTES + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "cudaseal-launch: %s%s%s\n", msg, err ? ": " : "", err ? strerror(err) : "");
  _exit(125);
}

/*
 * A path inside the root, for mkdir, create and mount. The image is hostile:
 * a symlink on the way (an image whose /tmp links to /etc) would be
 * followed on the host, so no component that exists may be one; a file to
 * bind over may (touch() replaces it in the run's own layer).
 */
static const char *in_root_at(const char *path, char *buf, int final_link_ok) {
  if (snprintf(buf, PATH_BYTES, "%s%s%s", merged, path[0] == '/' ? "" : "/", path) >= PATH_BYTES) {
    errno = ENAMETOOLONG;
    die("path %s", path);
  }
  size_t base = strlen(merged);
  char walk[PATH_BYTES];
  snprintf(walk, sizeof walk, "%s", buf);
  for (char *p = walk + base + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    struct stat st;
    if (!(saved == '\0' && final_link_ok) && lstat(walk, &st) == 0 && S_ISLNK(st.st_mode)) {
      errno = 0;
      die("the image's %s is a symlink, which cudaseal run does not follow for %s", walk + base, path);
    }
    if (saved == '\0') break;
    *p = saved;
  }
  return buf;
}

static const char *in_root(const char *path, char *buf) { return in_root_at(path, buf, 0); }

/* mkdir -p inside the (not yet read-only) root; an existing directory is fine. */
static void mkdirs(const char *path, mode_t mode) {
  char buf[PATH_BYTES];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) die("mkdir %s", buf);
    *p = '/';
  }
  if (mkdir(buf, mode) != 0 && errno != EEXIST) die("mkdir %s", buf);
  errno = 0;
}

/* An empty file to bind over; the overlay's upper directory takes it, never the cached image. */
static void touch(const char *path) {
  char parent[PATH_BYTES];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  if (slash != NULL && slash != parent) {
    *slash = '\0';
    mkdirs(parent, 0755);
  }
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (S_ISLNK(st.st_mode) && unlink(path) != 0) die("replace the link %s", path);
    else if (!S_ISLNK(st.st_mode)) return;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) die("create %s", path);
  close(fd);
  errno = 0;
}

/* The flags a bind remount must keep: in a user namespace the kernel refuses to drop locked ones. */
static unsigned long kept_flags(const char *path) {
  struct statvfs sv;
  unsigned long flags = 0;
  if (statvfs(path, &sv) != 0) return 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

/* Bind src over dst; then, unless `remount` is 0, remount it with those flags (MS_RDONLY, MS_NOSUID…). */
static void bind(const char *src, const char *dst, unsigned long remount) {
  struct stat st;
  if (stat(src, &st) != 0) die("%s", src);
  if (S_ISDIR(st.st_mode)) {
    /* mkdir stops at an existing link, and mount would follow it out of the root. */
    struct stat at;
    if (lstat(dst, &at) == 0 && S_ISLNK(at.st_mode)) {
      errno = 0;
      die("%s is a symlink, which cudaseal run does not bind a folder over", dst);
    }
    mkdirs(dst, 0755);
  } else touch(dst);
  if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind %s to %s", src, dst);
  if (remount != 0 && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | remount | kept_flags(dst), NULL) != 0)
    die("remount %s%s", dst, remount & MS_RDONLY ? " read-only" : "");
}

/* A volume's target: absolute, and no `..` that would climb out of the root before the symlink checks. */
static void check_volume_target(const char *path) {
  if (path[0] != '/') {
    errno = 0;
    die("volume target %s is not absolute", path);
  }
  for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) {
      errno = 0;
      die("volume target %s climbs with ..", path);
    }
  }
}

static void tmpfs(const char *dst, const char *options, unsigned long flags) {
  mkdirs(dst, 0755);
  if (mount("tmpfs", dst, "tmpfs", flags, options) != 0) die("mount tmpfs (%s) on %s", options, dst);
}

static void overlay(void) {
  char opts[3 * PATH_BYTES + 64];
  static const char userxattr[] = ",userxattr";
  /* Room for ",userxattr" too: cut options would name other directories. */
  int n = snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  if (n < 0 || (size_t)n + sizeof userxattr > sizeof opts) {
    errno = ENAMETOOLONG;
    die("overlay directories");
  }
  /* nodev: a node made on a --writable root cannot be opened (docker's device cgroup does this for it). */
  if (mount("overlay", merged, "overlay", MS_NODEV, opts) == 0) return;
  /* In a user namespace overlayfs keeps its metadata in user.* xattrs (Linux 5.11 on). */
  memcpy(opts + n, userxattr, sizeof userxattr);
  if (mount("overlay", merged, "overlay", MS_NODEV, opts) != 0) die("mount the image's overlay on %s", merged);
}

/* Bind the host's node over DST, or, where the host has none, skip it. */
static void dev_node(const char *name) {
  char src[64], dst[PATH_BYTES];
  snprintf(src, sizeof src, "/dev/%s", name);
  if (access(src, F_OK) != 0) return; /* a host without /dev/tty (no terminal at all) */
  bind(src, in_root(src, dst), 0);
}

/*
 * /dev is a tmpfs mounted nodev: a node the workload makes there with
 * CAP_MKNOD (docker's set keeps it) cannot be opened, which is what docker's
 * device cgroup gives. The nodes bound in keep working, because a bind is a
 * mount of its own with the host /dev's flags.
 */
static void setup_dev(void) {
  static const char *const basic[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char dst[PATH_BYTES], opts[64];
  tmpfs(in_root("/dev", dst), "mode=755,size=65536k", MS_NOSUID | MS_NOEXEC | MS_NODEV);
  for (size_t i = 0; i < sizeof basic / sizeof basic[0]; i++) dev_node(basic[i]);
  static const char *const links[][2] = {
      {"/proc/self/fd", "/dev/fd"},
      {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"},
      {"pts/ptmx", "/dev/ptmx"},
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlink(links[i][0], in_root(links[i][1], dst)) != 0) die("symlink %s", links[i][1]);
  /* A devpts of the container's own, as docker's: pseudo-terminals it opens are not the host's. */
  mkdirs(in_root("/dev/pts", dst), 0755);
  if (mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0 &&
      /* In a user namespace that maps no group 5 (tty), without it. */
      mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0)
    die("mount /dev/pts");
  /* POSIX message queues of the container's IPC namespace. */
  mkdirs(in_root("/dev/mqueue", dst), 0755);
  if (mount("mqueue", dst, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount /dev/mqueue");
  snprintf(opts, sizeof opts, "mode=1777,size=%s", shm_size);
  tmpfs(in_root("/dev/shm", dst), opts, MS_NOSUID | MS_NODEV | MS_NOEXEC);
  for (int i = 0; i < ndevs; i++) bind(devs[i].src, in_root(devs[i].dst, dst), 0);
}

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
#define MOUNT_ATTR_NOEXEC 0x8
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr, under a name of its own: older C libraries do not declare it. */
struct cs_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/*
 * /sys, read-only, nosuid, nodev, noexec, as docker mounts it: CUDA and NVML
 * read the GPUs' PCI details there. A fresh sysfs needs the network
 * namespace to belong to the caller's user namespace; where it does not (an
 * unprivileged run on the host's network) the kernel refuses, and the host's
 * /sys is bound instead, as runc does for rootless containers, with every
 * mount under it made read-only too (mount_setattr, Linux 5.12).
 */
static void setup_sys(void) {
  char dst[PATH_BYTES];
  const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  mkdirs(in_root("/sys", dst), 0555);
  if (mount("sysfs", dst, "sysfs", flags, NULL) == 0) return;
  if (errno != EPERM) die("mount /sys");
  if (mount("/sys", dst, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind the host's /sys");
#ifdef SYS_mount_setattr
  struct cs_mount_attr attr = {
      .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
  if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) == 0) return;
  if (errno != ENOSYS) die("make /sys read-only");
#endif
  if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | flags | kept_flags(dst), NULL) != 0)
    die("make /sys read-only");
}

/* Everything the container sees, mounted under the overlay while the host's root is still there. */
static void setup(void) {
  char dst[PATH_BYTES], opts[64];
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make mounts private");
  overlay();
  /* proc and sysfs first: in a user namespace the kernel mounts them only while the host's are visible. */
  mkdirs(in_root("/proc", dst), 0555);
  if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount /proc");
  setup_sys();
  setup_dev();
  if (strcmp(tmp_size, "0") == 0) snprintf(opts, sizeof opts, "mode=1777");
  else snprintf(opts, sizeof opts, "mode=1777,size=%s", tmp_size);
  tmpfs(in_root("/tmp", dst), opts, MS_NOSUID | MS_NODEV);
  /* Volumes first, so that the driver's files land on top of a volume over the library folder. */
  for (int i = 0; i < nvolumes; i++) {
    check_volume_target(volumes[i].dst);
    bind(volumes[i].src, in_root(volumes[i].dst, dst), MS_NOSUID | MS_NODEV | (volume_ro[i] ? MS_RDONLY : 0));
  }
  for (int i = 0; i < nbinds; i++) bind(binds[i].src, in_root_at(binds[i].dst, dst, 1), MS_RDONLY);
}

/*
 * The overlay becomes the root of the mount namespace, and the host's root
 * is detached from it, as runc does: pivot_root(".", ".") stacks the old
 * root on the new one, and a lazy unmount of it from its own directory
 * takes it and every mount under it away. No path, .. or chroot can reach
 * the host afterwards, and PID 1 (this process) is inside too. chroot
 * alone left the host's root in the namespace, one double-chroot away.
 */
static void enter_root(void) {
  int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0) die("open /");
  if (chdir(merged) != 0) die("chdir %s", merged);
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root into %s", merged);
  if (fchdir(old_root) != 0) die("fchdir to the old root");
  if (umount2(".", MNT_DETACH) != 0) die("detach the host's root");
  close(old_root);
  if (chdir("/") != 0) die("chdir /");
}

/*
 * Docker's defaults (moby, daemon/pkg/oci/defaults.go): kernel settings
 * that stay visible but read-only, and files and folders that reveal or
 * reach the host's hardware and kernel, hidden. /proc/sys held
 * kernel.core_pattern, which runs a program as the host's root on the next
 * crash; /proc/interrupts and the per-CPU thermal_throttle folders leak
 * what other tenants run (moby's advisory GHSA-6fw5-f8r9-fgfm), powercap
 * their energy use (GHSA-jq35-85cj-fj4p).
 */
static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger"};
static const char *const masked_paths[] = {
    "/proc/acpi",          "/proc/asound",      "/proc/interrupts", "/proc/kcore",
    "/proc/keys",          "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
    "/proc/timer_list",    "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
};

/* A read-only bind of a path onto itself; a path this kernel lacks is skipped. */
static void readonly_path(const char *path) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) {
    if (errno == ENOENT) return;
    die("bind %s", path);
  }
  if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(path), NULL) != 0)
    die("make %s read-only", path);
}

/* /dev/null over a file, an empty read-only tmpfs over a folder; a path this kernel lacks is skipped. */
static void mask_path(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) return;
    die("%s", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555") != 0)
      die("mask %s", path);
  } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0) {
    die("mask %s", path);
  }
}

/* Inside the new root: the paths above, then the root itself read-only. */
static void protect(void) {
  for (size_t i = 0; i < sizeof readonly_paths / sizeof readonly_paths[0]; i++) readonly_path(readonly_paths[i]);
  for (size_t i = 0; i < sizeof masked_paths / sizeof masked_paths[0]; i++) mask_path(masked_paths[i]);
  DIR *cpus = opendir("/sys/devices/system/cpu");
  struct dirent *e;
  while (cpus != NULL && (e = readdir(cpus)) != NULL) {
    if (strncmp(e->d_name, "cpu", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9') continue;
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/%s/thermal_throttle", e->d_name);
    mask_path(path);
  }
  if (cpus != NULL) closedir(cpus);
  errno = 0;
  if (readonly_root && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags("/"), NULL) != 0)
    die("make the root read-only");
}

/*
 * Docker's default capability set is all a workload keeps, even as root
 * (moby, daemon/pkg/oci/caps/defaults.go, which still keeps NET_RAW): the
 * rest leave the bounding set, so exec cannot give them back (a root
 * process's permitted set after exec is the bounding set). NET_RAW goes too
 * unless the network namespace is the container's own: on the host's
 * network, raw and packet sockets would read and forge the host's traffic,
 * which docker's default (a network namespace per container) never offers.
 */
static void drop_capabilities(void) {
  static const int keep[] = {0 /* CHOWN */,       1 /* DAC_OVERRIDE */, 3 /* FOWNER */,  4 /* FSETID */,
                             5 /* KILL */,        6 /* SETGID */,       7 /* SETUID */,  8 /* SETPCAP */,
                             10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */,
                             27 /* MKNOD */,      29 /* AUDIT_WRITE */, 31 /* SETFCAP */};
  for (int cap = 0; cap < 64; cap++) {
    int kept = 0;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) kept |= keep[i] == cap;
    if (kept && !(cap == 13 /* NET_RAW */ && !keep_net_raw)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("drop capability %d", cap);
  }
  /*
   * The bounding set does not bound inheritable capabilities: a root
   * workload gets the caller's inheritable set on top of it at exec (moby's
   * CVE-2022-24769). None stay inheritable, and none ambient.
   */
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  if (syscall(SYS_capget, &header, data) != 0) die("read capabilities");
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) data[i].inheritable = 0;
  if (syscall(SYS_capset, &header, data) != 0) die("clear inheritable capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    die("clear ambient capabilities");
  errno = 0;
}

/* Whether setgroups(2) is switched off for this user namespace (--map-root-user does so). */
static int setgroups_denied(void) {
  char buf[16] = "";
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strncmp(buf, "deny", 4) == 0;
}

/*
 * The seccomp filter: the calls docker's default profile refuses that a
 * CUDA workload has no use for, refused with EPERM (ENOSYS for clone3, so
 * that glibc falls back to clone, whose flags a filter can read). They are
 * the kernel's riskiest entry points for a process that has no privileges
 * left: keyrings, BPF, perf events, io_uring, userfaultfd, new namespaces,
 * mounts, modules, kexec, clocks, swap, and personality flags that turn
 * off address randomisation. Docker's profile is an allowlist of about 350
 * calls; a denylist cannot break a workload by missing a new call, and the
 * workload already has no capabilities, no_new_privs and a read-only root.
 * ptrace and process_vm_readv stay allowed, as docker allows them on
 * kernels since 4.8 (profilers and debuggers use them). Any other
 * architecture than the launcher's own, and x32 calls, kill the process:
 * their numbers mean other calls.
 */
#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "the seccomp filter knows x86_64 and aarch64"
#endif

#define DENY_EPERM (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

static const int denied[] = {
    SYS_acct, SYS_add_key, SYS_bpf, SYS_clock_adjtime, SYS_clock_settime, SYS_delete_module,
    SYS_finit_module, SYS_init_module, SYS_kexec_load, SYS_keyctl, SYS_mount,
    SYS_open_by_handle_at, SYS_perf_event_open, SYS_pivot_root, SYS_quotactl,
    SYS_reboot, SYS_request_key, SYS_setns, SYS_settimeofday, SYS_swapoff, SYS_swapon, SYS_umount2,
    SYS_unshare, SYS_userfaultfd, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
    SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#ifdef SYS_kexec_file_load
    SYS_kexec_file_load,
#endif
#ifdef SYS_lookup_dcookie
    SYS_lookup_dcookie,
#endif
#ifdef SYS_mount_setattr
    SYS_mount_setattr,
#endif
#ifdef SYS_quotactl_fd
    SYS_quotactl_fd,
#endif
#ifdef SYS_iopl
    SYS_iopl, SYS_ioperm,
#endif
#ifdef SYS_create_module
    SYS_create_module, SYS_get_kernel_syms, SYS_query_module, SYS_nfsservctl,
#endif
#ifdef SYS__sysctl
    SYS__sysctl,
#endif
#ifdef SYS_sysfs
    SYS_sysfs, SYS_ustat, SYS_uselib,
#endif
#ifdef SYS_vm86
    SYS_vm86, SYS_vm86old,
#endif
};

/* personality(2) values docker allows: the default, UNAME26, PER_LINUX32 and a query. */
static const unsigned int personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* clone(2) flags that make namespaces. */
#define CLONE_NAMESPACES                                                                                    \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |            \
   CLONE_NEWNET)

#define FILTER_MAX 128

static void install_seccomp(void) {
  struct sock_filter f[FILTER_MAX];
  size_t n = 0;
#define EMIT(stmt) (f[n++] = (struct sock_filter)stmt)
  const size_t ndenied = sizeof denied / sizeof denied[0];
  const size_t npers = sizeof personalities / sizeof personalities[0];
  if (ndenied + npers + 24 > FILTER_MAX) {
    errno = 0;
    die("seccomp filter too long");
  }
  /* Another architecture's numbers mean other calls: kill. */
  EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0));
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
  /* x32 calls share the architecture tag; their numbers have bit 30 set. */
  EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
  /* Each denied call: if nr == it, return EPERM (jump to the shared return after the list). */
  for (size_t i = 0; i < ndenied; i++)
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)denied[i], (unsigned char)(ndenied - i), 0));
  /* Not denied: go on to the checks on arguments. */
  EMIT(BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0));
  EMIT(BPF_STMT(BPF_RET | BPF_K, DENY_EPERM));
  /* clone3 hides its flags in memory a filter cannot read: ENOSYS makes glibc use clone. */
  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  /* clone: refuse the namespace flags (the low 32 bits of the first argument). */
  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
  EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
  EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NAMESPACES, 0, 1));
  EMIT(BPF_STMT(BPF_RET | BPF_K, DENY_EPERM));
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  /* personality: only the values above, and only with the upper half of the argument zero. */
  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, (unsigned char)(npers + 5)));
  EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4));
  EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (unsigned char)(npers + 1)));
  EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
  for (size_t i = 0; i < npers; i++)
    EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, personalities[i], (unsigned char)(npers - i), 0));
  EMIT(BPF_STMT(BPF_RET | BPF_K, DENY_EPERM));
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  /* Everything else. */
  EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#undef EMIT
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) die("install the seccomp filter");
}

/*
 * No descriptor but stdin, stdout and stderr reaches the workload: whatever
 * the caller left open without close-on-exec (a shell's 3<file) is closed.
 */
static void close_inherited(void) {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 1 << 20) max = 1 << 20;
  for (long fd = 3; fd < max; fd++) close((int)fd);
}

/* The workload: into the root, down to the image's user, then exec. Never returns. */
static void start(char **argv) {
  /* The handlers are PID 1's: a signal before exec must act on the workload as on any process. */
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
  close_inherited();
  /* The root is the overlay already (enter_root); only the working directory is left. */
  if (chdir(cwd) != 0) die("working directory %s", cwd);
  /* As runc: files the workload makes are not group- or world-writable whatever the caller's umask. */
  umask(022);
  /* Before the user changes: dropping from the bounding set needs CAP_SETPCAP. */
  drop_capabilities();
  /* Groups, then gid, then uid: after setuid there is no right left to change the others. */
  if (uid >= 0 || gid >= 0) {
    /* Only a user namespace that denies setgroups (no host groups to drop there) may refuse. */
    if (setgroups(0, NULL) != 0 && !(errno == EPERM && setgroups_denied()))
      die("clear supplementary groups");
  }
  if (gid >= 0 && setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) die("set gid %ld", gid);
  if (uid >= 0 && setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) die("set uid %ld", uid);
  /* A drop that silently left root behind must not exec. */
  if (uid > 0 && (setuid(0) == 0 || geteuid() == 0)) {
    errno = 0;
    die("still root after setting uid %ld", uid);
  }
  /*
   * A session keyring of its own, as runc gives: the caller's (a root
   * shell's keys) is not the workload's to read or link. Kernels without
   * keyrings have none to leak.
   */
  if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS)
    die("join a new session keyring");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("set no_new_privs");
  /* Last: the filter refuses calls that the steps above may need (setns, mount). */
  if (use_seccomp) install_seccomp();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* execvp searches the PATH of environ, which must be the image's. */
  environ = (char **)envs;
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "cudaseal-launch: cannot run %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

static void forward(int sig, siginfo_t *info, void *ctx) {
  (void)ctx;
  /* A terminal's ^C reaches the workload by itself (same process group); pass on only kill(2)s. */
  if (info != NULL && info->si_code == SI_KERNEL && child > 0) return;
  /* Stopped before the workload exists: nothing to stop but this, and the mounts go with it. */
  if (child <= 0) _exit(128 + sig);
  kill(child, sig);
}

static long number(const char *flag, const char *text) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text) die("%s takes a number, not '%s'", flag, text);
  /* -1 keeps the current id; anything past an id_t would wrap (4294967296 is uid 0). */
  if (v < -1 || v > 0xfffffffeL) {
    errno = ERANGE;
    die("%s %s", flag, text);
  }
  return v;
}

static char **parse(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    if (strcmp(f, "--") == 0) return i + 1 < argc ? argv + i + 1 : NULL;
    int volume = strcmp(f, "--volume") == 0 || strcmp(f, "--volume-ro") == 0;
    int two = volume || strcmp(f, "--dev") == 0 || strcmp(f, "--ro-bind") == 0;
    if (i + 1 + two >= argc) die("%s needs %s", f, two ? "two values" : "a value");
    const char *v = argv[++i];
    if (two) {
      struct pair *list = volume ? volumes : strcmp(f, "--dev") == 0 ? devs : binds;
      int *n = volume ? &nvolumes : strcmp(f, "--dev") == 0 ? &ndevs : &nbinds;
      if (*n >= MAX_ITEMS) die("too many %s", f);
      if (volume) volume_ro[*n] = strcmp(f, "--volume-ro") == 0;
      list[*n].src = v;
      list[(*n)++].dst = argv[++i];
    } else if (strcmp(f, "--lower") == 0) lower = v;
    else if (strcmp(f, "--upper") == 0) upper = v;
    else if (strcmp(f, "--work") == 0) work = v;
    else if (strcmp(f, "--merged") == 0) merged = v;
    else if (strcmp(f, "--readonly") == 0) readonly_root = strcmp(v, "0") != 0;
    else if (strcmp(f, "--shm") == 0) shm_size = v;
    else if (strcmp(f, "--tmp") == 0) tmp_size = v;
    else if (strcmp(f, "--uid") == 0) uid = number(f, v);
    else if (strcmp(f, "--gid") == 0) gid = number(f, v);
    else if (strcmp(f, "--seccomp") == 0) use_seccomp = strcmp(v, "0") != 0;
    else if (strcmp(f, "--net-raw") == 0) keep_net_raw = strcmp(v, "0") != 0;
    else if (strcmp(f, "--cwd") == 0) cwd = v;
    else if (strcmp(f, "--env") == 0) {
      if (nenvs >= MAX_ITEMS) die("too many --env");
      envs[nenvs++] = v;
    } else die("unknown flag %s", f);
  }
  return NULL;
}

int main(int argc, char **argv) {
  char **cmd = parse(argc, argv);
  if (cmd == NULL || lower == NULL || upper == NULL || work == NULL || merged == NULL) {
    errno = 0;
    die("usage: cudaseal-launch --lower DIR --upper DIR --work DIR --merged DIR [options] -- COMMAND...");
  }
  if (getpid() != 1) {
    errno = 0;
    die("must run as PID 1 of a new PID namespace (unshare --pid --fork)");
  }
  /* PID 1 ignores signals it has no handler for, so the handler comes first. */
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = forward;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  setup();
  enter_root();
  protect();

  /* Block them while forking, so one that arrives in between waits for the child's pid. */
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) start(cmd);
  child = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* PID 1 reaps every orphan; the workload's own status is the answer. */
  for (;;) {
    int status;
    pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      die("wait");
    }
    if (done != pid) continue;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }
}
