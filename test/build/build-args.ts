// The command line of an amd64 build of a spec, as the tests that run the
// whole `cudaseal build` give it: only what each test adds differs.

/** `build SPEC --arch amd64 --cache-dir CACHE -o OUTPUT`, then `extra`. */
export function buildArgs(spec: string, cacheDir: string, output: string, ...extra: string[]): string[] {
  return ["build", spec, "--arch", "amd64", "--cache-dir", cacheDir, "-o", output, ...extra];
}
