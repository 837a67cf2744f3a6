// Live: the default image from the real Debian archive, as the README's
// first command builds it (amd64 only, to keep the download small).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readSystemMirrors } from "../../src/apt/system-sources.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

test("cudaseal build of cuda-base for amd64 from the real archive", { timeout: 300_000 }, async (t) => {
  const mirrors = readSystemMirrors();
  if (!mirrors.debian) {
    t.skip("this machine's apt sources name no Debian mirror");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "cudaseal-live-"));
  try {
    const out = execFileSync(
      process.execPath,
      [
        join(ROOT, "bin/cudaseal.js"),
        "build",
        "--arch",
        "amd64",
        "--json",
        "-o",
        `oci:${dir}/img:latest`,
        "--cache-dir",
        join(dir, "cache"),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const summary = JSON.parse(out);
    assert.match(summary.digest, /^sha256:[0-9a-f]{64}$/);
    const info = JSON.parse(
      execFileSync("skopeo", ["inspect", `oci:${dir}/img:latest`], { encoding: "utf8" }),
    );
    assert.equal(info.Architecture, "amd64");
    assert.ok(info.Env.some((e: string) => /^NVIDIA_REQUIRE_CUDA=cuda>=12\.\d+$/.test(e)));
    const config = JSON.parse(
      execFileSync("skopeo", ["inspect", "--config", `oci:${dir}/img:latest`], { encoding: "utf8" }),
    );
    assert.equal(config.config.User, "65532:65532");
    const bundle = join(dir, "bundle");
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/img:latest`, bundle], {
      stdio: "pipe",
    });
    const files = execFileSync("find", [join(bundle, "rootfs"), "-printf", "%P %m %y\n"], {
      encoding: "utf8",
    }).split("\n");
    assert.ok(files.some((f) => f.startsWith("usr/lib/x86_64-linux-gnu/libcudart.so.12 ")));
    assert.ok(files.some((f) => f.startsWith("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 ")));
    assert.ok(!files.some((f) => /libcuda\.so|libnvidia-/.test(f)), "a driver library is bundled");
    assert.ok(!files.some((f) => /^usr\/s?bin\/(sh|bash|dash) /.test(f)), "a shell is bundled");
    for (const f of files) {
      const [path, mode, type] = f.split(" ");
      if (!path || type === "l") continue;
      assert.equal(Number.parseInt(mode, 8) & 0o6000, 0, `${path} is setuid/setgid`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
