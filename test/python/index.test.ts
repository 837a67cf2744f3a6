// The simple-index client and planPython against a real PEP 503/691 index on
// 127.0.0.1 serving wheels built by Debian's pip: files found by name or by
// hash, the best wheel per architecture, hashes checked against the lock,
// credentials from the URL or a netrc file (never shown), and bounded waits
// on a server that does not answer.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CudasealError, type ErrorCode } from "../../src/errors.ts";
import {
  authHeaders,
  type InterpreterFacts,
  listProjectFiles,
  type PythonLock,
  planPython,
  readPythonLock,
} from "../../src/python/index.ts";
import { parseHtmlPage } from "../../src/python/simple-index.ts";
import {
  type BuiltWheel,
  buildWheel,
  startWheelIndex,
  type WheelIndex,
  wheelToolsAvailable,
} from "../helpers/wheels.ts";

const AMD64: InterpreterFacts = {
  version: [3, 13],
  arch: "amd64",
  glibc: [2, 41],
  executable: "/usr/bin/python3",
};
const ARM64: InterpreterFacts = { ...AMD64, arch: "arm64" };
const NO_NETRC = { netrc: false as const };

const tools = wheelToolsAvailable();
let dir: string;
let pure: BuiltWheel;
let native: BuiltWheel;
let sdistSha: string;
let index: WheelIndex;

before(async () => {
  if (!tools) return;
  dir = await mkdtemp(join(tmpdir(), "cudaseal-index-"));
  const wheels = join(dir, "wheels");
  pure = await buildWheel({ name: "demo-lib", version: "1.0" }, wheels);
  // Built apart: retagging renames the wheel it builds, which would take the pure one's place.
  const built = await buildWheel(
    { name: "demo-lib", version: "1.0", tags: ["cp313-cp313-manylinux_2_17_x86_64"] },
    join(dir, "native"),
  );
  await copyFile(built.path, join(wheels, built.filename));
  native = { ...built, path: join(wheels, built.filename) };
  const sdist = Buffer.from("not really a tarball");
  await writeFile(join(wheels, "only-src-1.0.tar.gz"), sdist);
  sdistSha = createHash("sha256").update(sdist).digest("hex");
  index = await startWheelIndex(wheels);
});

after(async () => {
  await index?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rejects(promise: Promise<unknown>, code: ErrorCode): Promise<CudasealError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof CudasealError && e.code === code) return e;
    throw e;
  }
  assert.fail(`expected ${code}`);
}

function requirementsLock(lines: string[]): PythonLock {
  // What readPythonLock makes of `name==version --hash=…` lines: hashes, no files.
  return {
    format: "requirements.txt",
    packages: lines.map((l) => {
      const [pin, ...hashes] = l.split(" ");
      const [name, version] = (pin as string).split("==") as [string, string];
      return { name, version, files: [], hashes };
    }),
  };
}

test("a project's page lists its files with absolute URLs and SHA256, as JSON and as HTML", {
  skip: !tools,
}, async () => {
  const files = await listProjectFiles(index.url, "Demo_Lib", NO_NETRC);
  assert.deepEqual(files?.map((f) => f.filename).sort(), [native.filename, pure.filename].sort());
  const entry = files?.find((f) => f.filename === pure.filename);
  assert.equal(entry?.sha256, pure.sha256);
  const body = Buffer.from(await (await fetch(entry?.url as string)).arrayBuffer());
  assert.equal(createHash("sha256").update(body).digest("hex"), pure.sha256);
  // The HTML form of the same page, as pip reads it.
  const page = `${index.url}demo-lib/`;
  const html = await (await fetch(page, { headers: { accept: "text/html" } })).text();
  assert.deepEqual(
    parseHtmlPage(html, page, index.url).map((f) => [f.filename, f.sha256, f.url]),
    (files ?? []).map((f) => [f.filename, f.sha256, f.url]),
  );
  assert.equal(await listProjectFiles(index.url, "no-such-project", NO_NETRC), undefined);
});

test("a requirements pin is found on the index by its hashes, the best wheel per architecture", {
  skip: !tools,
}, async () => {
  const lock = requirementsLock([`demo-lib==1.0 ${pure.sha256} ${native.sha256}`]);
  const [amd] = await planPython(lock, AMD64, { index: index.url, ...NO_NETRC });
  assert.equal(amd?.filename, native.filename);
  assert.equal(amd?.sha256, native.sha256);
  const [arm] = await planPython(lock, ARM64, { index: index.url, ...NO_NETRC });
  assert.equal(arm?.filename, pure.filename);
  assert.ok(arm?.url.startsWith(index.origin));
  // Only the pure wheel's hash pinned: the native one is never taken.
  const [onlyPure] = await planPython(requirementsLock([`demo-lib==1.0 ${pure.sha256}`]), AMD64, {
    index: index.url,
    ...NO_NETRC,
  });
  assert.equal(onlyPure?.filename, pure.filename);
});

test("a requirements file read from disk plans through its own --index-url", { skip: !tools }, async () => {
  const path = join(dir, "requirements.txt");
  await writeFile(path, `--index-url ${index.url}\ndemo-lib==1.0 \\\n    --hash=sha256:${pure.sha256}\n`);
  const lock = await readPythonLock(path, { interpreter: AMD64 });
  const chosen = await planPython(lock, AMD64, NO_NETRC);
  assert.deepEqual(
    chosen.map((c) => c.filename),
    [pure.filename],
  );
});

test("the index's files not matching the lock's hashes are PY_HASH_MISMATCH; an sdist alone is PY_NO_WHEEL", {
  skip: !tools,
}, async () => {
  await rejects(
    planPython(requirementsLock([`demo-lib==1.0 ${"0".repeat(64)}`]), AMD64, {
      index: index.url,
      ...NO_NETRC,
    }),
    "PY_HASH_MISMATCH",
  );
  const err = await rejects(
    planPython(requirementsLock([`only-src==1.0 ${sdistSha}`]), AMD64, { index: index.url, ...NO_NETRC }),
    "PY_NO_WHEEL",
  );
  assert.match(err.hint ?? "", /runs no code/);
  await rejects(
    planPython(requirementsLock([`missing==1.0 ${sdistSha}`]), AMD64, { index: index.url, ...NO_NETRC }),
    "PY_INDEX_FAILED",
  );
  await rejects(
    planPython(requirementsLock([`demo-lib==1.0 ${pure.sha256}`]), AMD64, NO_NETRC),
    "PY_INDEX_FAILED",
  );
});

test("a pylock.toml wheel named without a URL is found on its package's index, and its hash must agree", {
  skip: !tools,
}, async () => {
  const pylock = (sha: string) =>
    `lock-version = "1.0"\ncreated-by = "test"\n[[packages]]\nname = "demo-lib"\nversion = "1.0"\nindex = "${index.url}"\n` +
    `wheels = [{ name = "${pure.filename}", hashes = { sha256 = "${sha}" } }]\n`;
  const path = join(dir, "pylock.toml");
  await writeFile(path, pylock(pure.sha256));
  const [chosen] = await planPython(await readPythonLock(path, { interpreter: AMD64 }), AMD64, NO_NETRC);
  assert.equal(chosen?.url, `${index.origin}/files/${pure.filename}`);
  await writeFile(path, pylock("f".repeat(64)));
  await rejects(
    planPython(await readPythonLock(path, { interpreter: AMD64 }), AMD64, NO_NETRC),
    "PY_HASH_MISMATCH",
  );
});

test("credentials come from the index URL or a netrc file, travel only as a header, and never appear in errors", {
  skip: !tools,
}, async () => {
  const secret = await startWheelIndex(join(dir, "wheels"), {
    auth: { username: "ci", password: "s3cret-token" },
  });
  try {
    const withUser = secret.url.replace("http://", "http://ci:s3cret-token@");
    const files = await listProjectFiles(withUser, "demo-lib", NO_NETRC);
    assert.equal(files?.length, 2);
    assert.ok(files?.every((f) => !f.url.includes("s3cret")));
    const denied = await rejects(listProjectFiles(secret.url, "demo-lib", NO_NETRC), "PY_INDEX_FAILED");
    assert.match(denied.hint ?? "", /netrc/);
    const wrong = await rejects(
      listProjectFiles(secret.url.replace("http://", "http://ci:wrong-pass@"), "demo-lib", NO_NETRC),
      "PY_INDEX_FAILED",
    );
    assert.ok(!JSON.stringify({ m: wrong.message, h: wrong.hint, d: wrong.details }).includes("wrong-pass"));
    const netrc = join(dir, "netrc");
    await writeFile(
      netrc,
      `machine example.invalid login x password y\n\nmachine 127.0.0.1\n  login ci\n  password s3cret-token\n`,
    );
    assert.equal((await listProjectFiles(secret.url, "demo-lib", { netrc }))?.length, 2);
    // The wheel itself, on the index's own host, gets the same credential for the fetch.
    const [chosen] = await planPython(requirementsLock([`demo-lib==1.0 ${pure.sha256}`]), AMD64, {
      index: withUser,
      ...NO_NETRC,
    });
    assert.ok(!chosen?.url.includes("s3cret"));
    const headers = await authHeaders(chosen?.url as string, { indexes: [withUser], ...NO_NETRC });
    const res = await fetch(chosen?.url as string, { headers });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(
      await authHeaders("https://cdn.example/x.whl", { indexes: [withUser], ...NO_NETRC }),
      {},
    );
  } finally {
    await secret.close();
  }
});

test("an index that accepts the connection and never answers is given up on, not waited for", async () => {
  const sockets: import("node:net").Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as import("node:net").AddressInfo).port;
  try {
    const err = await rejects(
      listProjectFiles(`http://127.0.0.1:${port}/simple/`, "demo-lib", {
        ...NO_NETRC,
        attempts: 1,
        timeouts: { headersMs: 300, idleMs: 300 },
      }),
      "PY_INDEX_FAILED",
    );
    assert.equal((err.cause as CudasealError | undefined)?.code, "FETCH_TIMEOUT");
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test("a project page larger than the cap is refused", { skip: !tools }, async () => {
  const err = await rejects(
    listProjectFiles(index.url, "demo-lib", { ...NO_NETRC, maxBytes: 64 }),
    "PY_INDEX_FAILED",
  );
  assert.equal((err.cause as CudasealError | undefined)?.code, "FETCH_TOO_LARGE");
});

test("a file whose Requires-Python excludes the image's interpreter is passed over", {
  skip: !tools,
}, async () => {
  // A PEP 691 page as PyPI writes one, with requires-python on each file.
  const page = {
    meta: { "api-version": "1.1" },
    name: "demo-lib",
    files: [
      {
        filename: native.filename,
        url: `${index.origin}/files/${native.filename}`,
        hashes: { sha256: native.sha256 },
        "requires-python": ">=3.14",
      },
      {
        filename: pure.filename,
        url: `${index.origin}/files/${pure.filename}`,
        hashes: { sha256: pure.sha256 },
        "requires-python": ">=3.9",
      },
    ],
  };
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" }).end(JSON.stringify(page));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as import("node:net").AddressInfo).port;
  try {
    const lock = requirementsLock([`demo-lib==1.0 ${pure.sha256} ${native.sha256}`]);
    const [chosen] = await planPython(lock, AMD64, {
      index: `http://127.0.0.1:${port}/simple/`,
      ...NO_NETRC,
    });
    assert.equal(chosen?.filename, pure.filename);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("CUDASEAL_INDEX_USERNAME/PASSWORD reach the configured index's origin or the named host, and no other", async () => {
  const env = { CUDASEAL_INDEX_USERNAME: "ci", CUDASEAL_INDEX_PASSWORD: "pw" };
  const basic = `Basic ${Buffer.from("ci:pw").toString("base64")}`;
  const indexes = ["https://pypi.internal.example/simple/"];
  assert.deepEqual(
    await authHeaders("https://pypi.internal.example/files/a.whl", { indexes, env, ...NO_NETRC }),
    {
      authorization: basic,
    },
  );
  assert.deepEqual(await authHeaders("https://cdn.example/a.whl", { indexes, env, ...NO_NETRC }), {});
  const named = { ...env, CUDASEAL_INDEX_HOST: "cdn.example" };
  assert.deepEqual(await authHeaders("https://cdn.example/a.whl", { indexes, env: named, ...NO_NETRC }), {
    authorization: basic,
  });
  assert.deepEqual(
    await authHeaders("https://pypi.internal.example/a.whl", { indexes, env: named, ...NO_NETRC }),
    {},
  );
});

test("an http index page cannot point a file at the builder's own disk (file: links only on a file: index)", async () => {
  const html = '<a href="file:///etc/shadow#sha256=' + "0".repeat(64) + '">evil-1.0-py3-none-any.whl</a>';
  try {
    parseHtmlPage(html, "https://index.example/simple/evil/", "https://index.example/simple/");
    assert.fail("expected PY_INDEX_FAILED");
  } catch (err) {
    assert.ok(err instanceof CudasealError, String(err));
    assert.equal(err.code, "PY_INDEX_FAILED");
  }
  // A local index (a folder of pages) may link its own files.
  const local = parseHtmlPage(
    '<a href="../../files/evil-1.0-py3-none-any.whl">evil-1.0-py3-none-any.whl</a>',
    "file:///srv/simple/evil/",
    "file:///srv/simple/",
  );
  assert.equal(local[0]?.url, "file:///srv/files/evil-1.0-py3-none-any.whl");
});
