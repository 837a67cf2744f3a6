/*
 * cudaseal-entry: an entrypoint wrapper that explains the usual ways a GPU
 * container is started wrong, then runs the real entrypoint unchanged.
 *
 * Usage (the build writes this into the image's Entrypoint):
 *   /usr/local/bin/cudaseal-entry REAL-ENTRYPOINT [ARGS...]
 *
 * Before exec'ing argv[1] with argv[1..] and the environment untouched, it
 * prints a hint to stderr for each of:
 *   - no GPU passed: neither /dev/nvidiactl nor /dev/nvidia0 exists;
 *   - /dev/shm smaller than 256 MiB (multi-worker data loaders die with
 *     "Bus error");
 *   - the model cache ($HF_HOME, else /models) exists but is not a mount
 *     point (its st_dev is its parent's): downloads are lost on exit;
 *   - /workspace exists and is empty: the data was not mounted.
 * Hints never change what runs; CUDASEAL_ENTRY_QUIET=1 silences them.
 *
 * Static (gcc -static -Os), so images without a shell or even libc can use
 * it. Exits 127 when the target does not exist, 126 when it cannot be run.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define SHM_MIN_BYTES (256ull << 20)

static void hint(const char *fmt, const char *arg) {
  fputs("cudaseal-entry: hint: ", stderr);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void check_gpu(void) {
  if (exists("/dev/nvidiactl") || exists("/dev/nvidia0")) return;
  hint("no GPU in this container (no /dev/nvidiactl, no /dev/nvidia0): run it with --gpus all%s",
       " (docker, cudaseal run) or --device nvidia.com/gpu=all (podman)");
}

static void check_shm(void) {
  struct statfs fs;
  if (statfs("/dev/shm", &fs) != 0) {
    hint("%s is missing: shared memory for data loaders and NCCL is unavailable; run with --shm-size=1g",
         "/dev/shm");
    return;
  }
  unsigned long long total = (unsigned long long)fs.f_blocks * (unsigned long long)fs.f_bsize;
  if (total < SHM_MIN_BYTES) {
    char size[32];
    snprintf(size, sizeof size, "%llu MiB", total >> 20);
    hint("/dev/shm is only %s: multi-worker data loading crashes with \"Bus error\"; run with --shm-size=1g",
         size);
  }
}

/* A mount point lies on another device than its parent (or is the root itself). */
static int is_mount_point(const char *path) {
  struct stat st, parent;
  char up[4096];
  if (snprintf(up, sizeof up, "%s/..", path) >= (int)sizeof up) return 1;
  if (stat(path, &st) != 0 || stat(up, &parent) != 0) return 1;
  return st.st_dev != parent.st_dev || st.st_ino == parent.st_ino;
}

static void check_model_cache(void) {
  const char *cache = getenv("HF_HOME");
  if (cache == NULL || cache[0] == '\0') cache = "/models";
  struct stat st;
  if (stat(cache, &st) != 0 || !S_ISDIR(st.st_mode)) return;
  if (!is_mount_point(cache))
    hint("the model cache %s is not a mounted volume: what is downloaded there is lost when the "
         "container exits; mount one there (-v models:/models)",
         cache);
}

static void check_workspace(void) {
  DIR *d = opendir("/workspace");
  if (d == NULL) return;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = 0;
      break;
    }
  }
  closedir(d);
  if (empty) hint("%s is empty: did you forget to mount your data (-v $PWD:/workspace)?", "/workspace");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("cudaseal-entry: usage: cudaseal-entry PROGRAM [ARGS...]\n", stderr);
    return 127;
  }
  const char *quiet = getenv("CUDASEAL_ENTRY_QUIET");
  if (quiet == NULL || strcmp(quiet, "1") != 0) {
    check_gpu();
    check_shm();
    check_model_cache();
    check_workspace();
  }
  /* execvp, as a runtime would: a bare name is looked up on the image's PATH. */
  execvp(argv[1], argv + 1);
  int err = errno;
  fprintf(stderr, "cudaseal-entry: cannot run %s: %s\n", argv[1], strerror(err));
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}
