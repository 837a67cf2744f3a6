// The README's "Using it" examples, run in order as a new user pastes them
// into a fresh copy of the checkout. Only what must be is substituted:
// `npx cudaseal` becomes this checkout's `node bin/cudaseal.js`;
// registry.example, in the push, pull, copy and rescan lines, a real registry on
// 127.0.0.1 (plain HTTP, as cudaseal allows for loopback); podman gets a
// throwaway store. The inputs a user would bring are made here: app.yaml (a
// file on the static preset), vendor.tar and nvidia-cuda.tar (Docker
// archives built from the static preset) and a Dockerfile. The tracker's
// data comes from a local server (CUDASEAL_DB_URL) with the published
// document's shape, as the real feed cannot be reached from every test
// machine. `sudo … run --gpus all` and `doctor` need an NVIDIA driver on
// this host and are skipped, with the reason, where there is none. The
// cuda-runtime builds use the Debian mirror this machine's apt sources name,
// through the default cache. Every other line must exit 0.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { throwawayPodman } from "../oci/podman.ts";
import { startTrackerServer, type TrackerServer } from "../scan/tracker-server.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** The lines of the first ```sh block under "## Using it", in order. */
export function usingItLines(readme: string): string[] {
  const section = readme.split(/^## Using it\s*$/m)[1]?.split(/^## /m)[0];
  const block = section?.match(/^```sh\n([\s\S]*?)^```/m)?.[1];
  if (block === undefined) throw new Error('README.md has no ```sh block under "## Using it"');
  return block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

// The tracker's JSON export for trixie: glibc with a high CVE that has no fix yet, so
// `--fail-on high --only-fixed` passes while the finding is still reported.
const TRACKER = {
  glibc: {
    "CVE-2099-0001": {
      description: "glibc: open, no fix yet",
      scope: "local",
      releases: { trixie: { status: "open", urgency: "high", repositories: { trixie: "2.41-12" } } },
    },
  },
};

const DOCKERFILE = `FROM debian:trixie-slim@sha256:${"0".repeat(64)}
RUN useradd -u 10001 app
USER 10001
CMD ["/bin/true"]
`;

const APP_YAML = `include: preset:static
name: myapp
contents:
  - source: ./app/hello.txt
    destination: /opt/app/hello.txt
`;

let work: string;
let clone: string;
let registry: TestRegistry;
let tracker: TrackerServer;
let podmanPrelude = "";
let podman: ReturnType<typeof throwawayPodman> | undefined;

/** A copy of the checkout's files (tracked, and untracked but not ignored), with its node_modules linked in. */
function copyCheckout(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "-co", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(to, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"));
}

/** Run one shell line in the copy; its notes stream to the test's stderr, its status and output come back. */
function sh(line: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `set -o pipefail\n${podmanPrelude}\n${line}`], {
      cwd: clone,
      env: {
        ...process.env,
        COSIGN_PASSWORD: "readme example",
        CUDASEAL_DB_URL: `${tracker.url}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    // Data (SBOMs, locks) is kept for a failure's message, not printed.
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString("utf8")).slice(-8000);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      process.stderr.write(chunk);
    });
    child.on("close", (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

const cudaseal = `"${process.execPath}" bin/cudaseal.js`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-readme-"));
  clone = join(work, "checkout");
  copyCheckout(clone);
  registry = await startRegistry();
  tracker = await startTrackerServer(JSON.stringify(TRACKER));
  podman = throwawayPodman(work);
  if (typeof podman !== "string") {
    const store = join(work, "podman");
    // The flags of throwawayPodman's store (test/oci/podman.ts), so `podman load` never touches the machine's images.
    const flags = [
      ["--root", "root"],
      ["--runroot", "run"],
      ["--tmpdir", "libpod"],
      ["--volumepath", "volumes"],
      ["--network-config-dir", "networks"],
    ].map(([flag, sub]) => `${flag} ${join(store, sub)}`);
    podmanPrelude = `podman() { TMPDIR=${join(store, "tmp")} command podman ${flags.join(" ")} --storage-driver vfs --events-backend none "$@"; }`;
  }
  // What a user brings: a spec, a vendor's image, NVIDIA's image, a Dockerfile.
  mkdirSync(join(clone, "app"));
  writeFileSync(join(clone, "app", "hello.txt"), "hello\n");
  writeFileSync(join(clone, "app.yaml"), APP_YAML);
  writeFileSync(join(clone, "Dockerfile"), DOCKERFILE);
  const vendor = await sh(
    `${cudaseal} build --preset static --arch amd64 -o docker-archive:vendor.tar:vendor:1.0`,
  );
  assert.equal(vendor.status, 0, vendor.stderr);
  copyFileSync(join(clone, "vendor.tar"), join(clone, "nvidia-cuda.tar"));
});

after(async () => {
  await registry?.stop();
  await tracker?.close();
  if (typeof podman === "object") podman.reset();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test("the README's Using it block is found and names the commands it shows", () => {
  const lines = usingItLines(readFileSync(join(ROOT, "README.md"), "utf8"));
  assert.ok(lines.length >= 15, lines.join("\n"));
  for (const line of lines) assert.match(line, /\bnpx cudaseal /);
  // Every image a line reads is made by a line before it, or brought by the user (made by this test).
  const brought = new Set(["vendor.tar", "nvidia-cuda.tar"]);
  const made = new Set<string>();
  for (const line of lines) {
    for (const [, name] of line
      .replace(/ -o \S+/g, "")
      .replace(/(cudaseal (?:pull|copy) \S+) \S+/, "$1")
      .matchAll(/(?:oci:|docker-archive:)([\w./-]+?)(?=[:\s]|$)/g))
      if (!made.has(name) && !brought.has(name))
        assert.fail(`${line}\nreads ${name}, which no line before it makes`);
    for (const m of line.matchAll(/(?:-o |into )(?:oci:|docker-archive:)?([\w./-]+?)(?=[:\s]|$)/g))
      made.add(m[1]);
    const preset = line.match(/--preset ([\w-]+)/)?.[1];
    if (/cudaseal build/.test(line) && preset !== undefined && !/ -o /.test(line)) made.add(`out/${preset}`);
    const pulled = line.match(/cudaseal pull \S+ oci:([\w./-]+)/)?.[1];
    if (pulled !== undefined) made.add(pulled);
  }
});

test("every README example, pasted in order into a fresh checkout, exits 0", async (t) => {
  const hasDriver = existsSync("/proc/driver/nvidia/version");
  for (const text of usingItLines(readFileSync(join(ROOT, "README.md"), "utf8"))) {
    const needsGpu = /\bsudo\b|--gpus\b|\bcudaseal doctor\b/.test(text);
    if (needsGpu && !hasDriver) {
      await t.test(
        text,
        { skip: "needs an NVIDIA driver on this host (none in /proc/driver/nvidia)" },
        () => {},
      );
      continue;
    }
    let line = text.replaceAll("npx cudaseal", cudaseal);
    if (/\bcudaseal (push|pull|copy|rescan) /.test(text))
      line = line.replaceAll("registry.example", registry.host);
    await t.test(text, async () => {
      const r = await sh(line);
      assert.equal(
        r.status,
        0,
        `${text}\nexited ${r.status}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`,
      );
    });
  }
  // What the last lines made is there: the pull's layout and the copy's tag.
  assert.ok(existsSync(join(clone, "images", "rt", "index.json")));
  const tags = execFileSync(
    "skopeo",
    ["list-tags", "--tls-verify=false", `docker://${registry.host}/team/vendor`],
    {
      encoding: "utf8",
    },
  );
  assert.deepEqual(JSON.parse(tags).Tags, ["1.0"]);
});
