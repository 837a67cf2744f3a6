// The build checks every local input before any work: each case below points
// its sources at a closed port on 127.0.0.1, so an error that is the input's,
// and not the fetch's, proves nothing was resolved or fetched first.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { AptSource } from "../../src/apt/sources.ts";
import { type BuildOptions, build } from "../../src/build/build.ts";
import { parseOutput } from "../../src/build/output.ts";
import { isCudasealError } from "../../src/errors.ts";
import type { Spec } from "../../src/spec/types.ts";

let work: string;
let sources: AptSource[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-preflight-"));
  // A port that was just free: nothing answers there.
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  sources = [
    {
      uri: `http://127.0.0.1:${port}/debian`,
      suites: ["trixie"],
      components: ["main"],
      keyring: "debian",
      priority: 500,
    },
  ];
});

after(() => rmSync(work, { recursive: true, force: true }));

function options(spec: Spec, rest: Partial<BuildOptions> = {}): BuildOptions {
  return {
    spec: { name: "app", packages: ["libc6"], ...spec },
    archs: ["amd64"],
    sources,
    cacheDir: join(work, "cache"),
    output: parseOutput(`oci:${join(work, "out")}:v1`, "app"),
    compression: { algorithm: "gzip", level: 1 },
    ...rest,
  };
}

async function failsWith(spec: Spec, code: string, rest: Partial<BuildOptions> = {}): Promise<void> {
  await assert.rejects(build(options(spec, rest)), (err) => {
    assert.ok(isCudasealError(err, code as never), `expected ${code}, got ${err}`);
    assert.equal(err.details?.stage, "inputs");
    return true;
  });
  // Nothing was started: no cache, no output.
  assert.equal(existsSync(join(work, "cache")), false);
  assert.equal(existsSync(join(work, "out")), false);
}

test("contents image: naming a missing layout fails first, with IMAGE_INVALID", async () => {
  const image = `oci:${join(work, "no-such-layout")}:v1`;
  await failsWith(
    { contents: [{ image, path: "/usr/bin/tool", destination: "/usr/bin/tool" }] },
    "IMAGE_INVALID",
  );
});

test("contents image: a layout without the tag named, or an archive that is a folder, fails first", async () => {
  const layout = join(work, "layout");
  mkdirSync(layout, { recursive: true });
  writeFileSync(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, "index.json"), '{"schemaVersion":2,"manifests":[]}');
  const copy = { path: "/usr/bin/tool", destination: "/usr/bin/tool" };
  await failsWith({ contents: [{ image: `oci:${layout}:v1`, ...copy }] }, "IMAGE_INVALID");
  await failsWith({ contents: [{ image: `docker-archive:${layout}`, ...copy }] }, "INPUT_NOT_REGULAR");
});

test("contents source and tarball: a missing file is CONTENT_INVALID, a folder as a tarball INPUT_NOT_REGULAR", async () => {
  await failsWith(
    { contents: [{ source: join(work, "no-such-app"), destination: "/app" }] },
    "CONTENT_INVALID",
  );
  await failsWith(
    { contents: [{ tarball: join(work, "no-such.tar"), destination: "/app" }] },
    "CONTENT_INVALID",
  );
  await failsWith({ contents: [{ tarball: work, destination: "/app" }] }, "INPUT_NOT_REGULAR");
});

test("python: a missing lock is PY_LOCK_INVALID, a missing project CONTENT_INVALID", async () => {
  await failsWith({ python: { lock: join(work, "uv.lock") } }, "PY_LOCK_INVALID");
  const lock = join(work, "requirements.txt");
  writeFileSync(lock, "");
  await failsWith({ python: { lock, project: join(work, "no-such-project") } }, "CONTENT_INVALID");
});

test("a source's missing key file is KEYRING_INVALID before any fetch", async () => {
  const keyless = sources.map((s) => ({ ...s, keyring: [join(work, "no-such-key.asc")] }));
  await failsWith({}, "KEYRING_INVALID", { sources: keyless });
});

test("with every input present, the same build fails at the unreachable source: the cases above failed before it", async () => {
  const app = join(work, "app");
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "main.py"), "print('hi')\n");
  await assert.rejects(build(options({ contents: [{ source: app, destination: "/app" }] })), (err) => {
    assert.ok(isCudasealError(err), String(err));
    assert.equal(err.details?.stage, "resolve");
    return true;
  });
  rmSync(join(work, "cache"), { recursive: true, force: true });
});
