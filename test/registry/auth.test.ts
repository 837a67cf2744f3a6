// Authentication against the real registry: htpasswd Basic auth, the Docker
// token flow (a token server issuing signed JWTs the registry verifies), and
// each credential source: env, Docker's config.json auths, a credential
// helper on PATH, REGISTRY_AUTH_FILE, and the CLI's --password-stdin. And
// the token realm a registry names: plain HTTP only where its host is
// allowed it, and a credential only over TLS or to loopback.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyImage } from "../../src/copy/copy-image.ts";
import { isCudasealError } from "../../src/errors.ts";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { findCredential } from "../../src/registry/credentials.ts";
import { openRepository } from "../../src/registry/repository.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { makeFixture } from "../oci/fixture-image.ts";

let work: string;
let layout: string;
let basic: TestRegistry;
let token: TestRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-auth-"));
  layout = join(work, "layout");
  await writeOciLayout(layout, makeFixture(join(work, "fx")).single);
  [basic, token] = await Promise.all([startRegistry({ auth: "basic" }), startRegistry({ auth: "token" })]);
});

after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/** An environment with no credentials but the ones a test adds. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: join(work, "no-home"), ...extra };
}

const fast = { attempts: 2, baseDelayMs: 1 };

test("basic auth: the env credential pushes; none, or a wrong one, is REGISTRY_AUTH_FAILED without the secret", async () => {
  const good = env({
    CUDASEAL_REGISTRY_USERNAME: basic.username!,
    CUDASEAL_REGISTRY_PASSWORD: basic.password!,
  });
  const pushed = await copyImage(`oci:${layout}:v1`, `${basic.host}/team/app:v1`, {
    registry: { credentials: { env: good }, retry: fast },
  });
  assert.equal(pushed.blobs.pushed, 3);

  await assert.rejects(
    copyImage(`oci:${layout}:v1`, `${basic.host}/team/app:v1`, {
      registry: { credentials: { env: env() }, retry: fast },
    }),
    (err) => isCudasealError(err, "REGISTRY_AUTH_FAILED"),
  );
  const wrongPassword = "wrong-secret-123";
  await assert.rejects(
    copyImage(`oci:${layout}:v1`, `${basic.host}/team/app:v1`, {
      registry: {
        credentials: {
          env: env({ CUDASEAL_REGISTRY_USERNAME: "tester", CUDASEAL_REGISTRY_PASSWORD: wrongPassword }),
        },
        retry: fast,
      },
    }),
    (err) =>
      isCudasealError(err, "REGISTRY_AUTH_FAILED") &&
      !JSON.stringify(err.toJSON()).includes(wrongPassword) &&
      !err.message.includes(wrongPassword) &&
      err.details?.status === 401,
  );
});

test("token auth: the real token flow pushes and pulls, caching a token per scope", async () => {
  const credentials = { explicit: { username: token.username!, password: token.password! } };
  await copyImage(`oci:${layout}:v1`, `${token.host}/team/app:v1`, { registry: { credentials } });
  const pushScopes = token.tokenRequests.filter((r) => r.scopes.includes("repository:team/app:pull,push"));
  // One token for push, shared by every blob and manifest of the push.
  assert.equal(pushScopes.length, 1);
  assert.equal(
    token.tokenRequests.every((r) => r.user === "tester" && r.service === "cudaseal-test-registry"),
    true,
  );

  const out = join(work, "pulled");
  const pulled = await copyImage(`${token.host}/team/app:v1`, `oci:${out}:v1`, { registry: { credentials } });
  assert.equal(pulled.blobs.total, 3);

  await assert.rejects(
    copyImage(`${token.host}/team/app:v1`, `oci:${join(work, "nope")}`, {
      registry: { credentials: { explicit: { username: "tester", password: "not-it" } }, retry: fast },
    }),
    (err) => isCudasealError(err, "REGISTRY_AUTH_FAILED") && !err.message.includes("not-it"),
  );
  // Anonymous: the token server grants nothing, the registry refuses.
  await assert.rejects(
    copyImage(`${token.host}/team/app:v1`, `oci:${join(work, "anon")}`, {
      registry: { credentials: { env: env() }, retry: fast },
    }),
    (err) => isCudasealError(err, "REGISTRY_AUTH_FAILED"),
  );
});

test("credentials from Docker's config.json auths and from REGISTRY_AUTH_FILE", async () => {
  const dockerDir = join(work, "docker-config");
  mkdirSync(dockerDir, { recursive: true });
  const auth = Buffer.from(`${basic.username}:${basic.password}`).toString("base64");
  writeFileSync(
    join(dockerDir, "config.json"),
    JSON.stringify({ auths: { [`http://${basic.host}/v1/`]: { auth } } }),
  );
  const found = await findCredential(basic.host, { env: env({ DOCKER_CONFIG: dockerDir }) });
  assert.equal(found?.username, basic.username);
  assert.equal(found?.source, "docker config.json auths");
  await copyImage(`oci:${layout}:v1`, `${basic.host}/team/from-config:v1`, {
    registry: { credentials: { env: env({ DOCKER_CONFIG: dockerDir }) } },
  });

  const authFile = join(work, "auth.json");
  writeFileSync(authFile, JSON.stringify({ auths: { [basic.host]: { auth } } }));
  const fromFile = await findCredential(basic.host, { env: env({ REGISTRY_AUTH_FILE: authFile }) });
  assert.equal(fromFile?.source, "REGISTRY_AUTH_FILE auths");
});

test("a credential helper on PATH is asked with the server on stdin", async () => {
  const bin = join(work, "bin");
  mkdirSync(bin, { recursive: true });
  const asked = join(work, "helper-asked");
  const helper = join(bin, "docker-credential-cstest");
  writeFileSync(
    helper,
    `#!/bin/sh\n[ "$1" = get ] || exit 2\nserver=$(cat)\nprintf '%s' "$server" > ${asked}\n` +
      `if [ "$server" = "${basic.host}" ]; then\n` +
      `  printf '{"ServerURL":"%s","Username":"${basic.username}","Secret":"${basic.password}"}' "$server"\n` +
      `else\n  echo "credentials not found in native keychain"; exit 1\nfi\n`,
  );
  chmodSync(helper, 0o755);
  const dockerDir = join(work, "helper-config");
  mkdirSync(dockerDir, { recursive: true });
  writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ credsStore: "cstest" }));
  const helperEnv = env({ DOCKER_CONFIG: dockerDir, PATH: `${bin}:${process.env.PATH}` });

  const pushed = await copyImage(`oci:${layout}:v1`, `${basic.host}/team/from-helper:v1`, {
    registry: { credentials: { env: helperEnv } },
  });
  assert.equal(pushed.manifests, 1);
  assert.equal(readFileSync(asked, "utf8"), basic.host);
  // A server the helper knows nothing of: no credential, not an error.
  assert.equal(await findCredential("other.example", { env: helperEnv }), undefined);

  writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ credHelpers: { [basic.host]: "missing" } }));
  await assert.rejects(findCredential(basic.host, { env: helperEnv }), (err) =>
    isCudasealError(err, "REGISTRY_CREDENTIALS"),
  );
});

test("cudaseal push --username --password-stdin --json", () => {
  const r = spawnSync(
    process.execPath,
    [
      join(import.meta.dirname, "../../bin/cudaseal.js"),
      "push",
      `oci:${layout}:v1`,
      `${basic.host}/team/cli:v1`,
      "--username",
      basic.username!,
      "--password-stdin",
      "--json",
    ],
    { input: `${basic.password}\n`, encoding: "utf8", env: env() },
  );
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.blobs.total, 3);
  assert.match(summary.digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(!r.stdout.includes(basic.password!) && !r.stderr.includes(basic.password!));

  const denied = spawnSync(
    process.execPath,
    [
      join(import.meta.dirname, "../../bin/cudaseal.js"),
      "pull",
      `${basic.host}/team/cli:v1`,
      `oci:${join(work, "x")}`,
      "--json",
    ],
    { encoding: "utf8", env: env() },
  );
  assert.equal(denied.status, 1);
  assert.equal(JSON.parse(denied.stdout).error.code, "REGISTRY_AUTH_FAILED");
});

test("an identity token is traded by OAuth2 POST at the realm, never sent as Basic auth", async () => {
  const refresh = "refresh-token-abc";
  const access = "access-token-xyz";
  const seen: { method?: string; form?: URLSearchParams; basic: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      if (url.startsWith("/token")) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        seen.push({
          method: req.method,
          form,
          basic: req.headers.authorization?.startsWith("Basic ") === true,
        });
        const ok =
          req.method === "POST" &&
          form.get("grant_type") === "refresh_token" &&
          form.get("refresh_token") === refresh;
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(ok ? JSON.stringify({ access_token: access, expires_in: 300 }) : "{}");
        return;
      }
      if (req.headers.authorization !== `Bearer ${access}`) {
        res.writeHead(401, {
          "www-authenticate": `Bearer realm="http://${host}/token",service="mock",scope="repository:team/app:pull"`,
        });
        res.end();
        return;
      }
      res
        .writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" })
        .end('{"schemaVersion":2}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const dockerDir = join(work, "oauth-config");
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(
      join(dockerDir, "config.json"),
      JSON.stringify({ auths: { [host]: { identitytoken: refresh } } }),
    );
    const repo = openRepository(host, "team/app", {
      credentials: { env: env({ DOCKER_CONFIG: dockerDir }) },
    });
    const manifest = await repo.getManifest("v1");
    assert.equal(manifest?.bytes.toString(), '{"schemaVersion":2}');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, "POST");
    assert.equal(seen[0].basic, false);
    assert.equal(seen[0].form?.get("scope"), "repository:team/app:pull");
    assert.equal(seen[0].form?.get("service"), "mock");
  } finally {
    server.close();
  }
});

test("a command-line password goes only to the registry it is for, and the env pair only to CUDASEAL_REGISTRY_HOST", async () => {
  const explicit = { username: "me", password: "mine", registry: "dest.example:5000" };
  const none = env({});
  assert.equal((await findCredential("dest.example:5000", { explicit, env: none }))?.source, "command line");
  assert.equal(await findCredential("source.example", { explicit, env: none }), undefined);
  const scoped = env({
    CUDASEAL_REGISTRY_USERNAME: "ci",
    CUDASEAL_REGISTRY_PASSWORD: "secret",
    CUDASEAL_REGISTRY_HOST: "https://dest.example:5000/",
  });
  assert.equal((await findCredential("dest.example:5000", { env: scoped }))?.username, "ci");
  assert.equal(await findCredential("source.example", { env: scoped }), undefined);
});

/**
 * A registry and its token realm, each on its own port of `address`: the
 * registry asks for a Bearer token from the realm, which gives one to anyone
 * and records the Authorization it was sent.
 */
async function registryWithRealm(address: string) {
  const realmAuth: (string | undefined)[] = [];
  const realm = createServer((req, res) => {
    realmAuth.push(req.headers.authorization);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "granted" }));
  });
  await new Promise<void>((resolve) => realm.listen(0, address, resolve));
  const realmHost = `${address}:${(realm.address() as AddressInfo).port}`;
  const registry = createServer((req, res) => {
    if (req.headers.authorization !== "Bearer granted") {
      res
        .writeHead(401, { "www-authenticate": `Bearer realm="http://${realmHost}/token",service="mock"` })
        .end();
      return;
    }
    res
      .writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" })
      .end('{"schemaVersion":2}');
  });
  await new Promise<void>((resolve) => registry.listen(0, address, resolve));
  const host = `${address}:${(registry.address() as AddressInfo).port}`;
  const close = () => {
    realm.close();
    registry.close();
  };
  return { host, realmHost, realmAuth, close };
}

const someone = { explicit: { username: "someone", password: "pw-not-for-plain-http" } };

test("a plain-HTTP token realm on a host not allowed plain HTTP is REGISTRY_INSECURE, and the realm is never asked", async (t) => {
  // 127.0.0.2 reaches this machine but is not one of the loopback names.
  const m = await registryWithRealm("127.0.0.2");
  t.after(m.close);
  // The registry is allowed plain HTTP; its realm, on another port, is not.
  for (const credentials of [someone, { env: env() }]) {
    const repo = openRepository(m.host, "team/app", { insecure: [m.host], credentials, retry: fast });
    await assert.rejects(repo.getManifest("v1"), (err) => isCudasealError(err, "REGISTRY_INSECURE"));
  }
  assert.deepEqual(m.realmAuth, []);
});

test("a credential goes to a plain-HTTP realm only on loopback; a realm allowed --insecure elsewhere gets none", async (t) => {
  const far = await registryWithRealm("127.0.0.2");
  t.after(far.close);
  const insecure = [far.host, far.realmHost];
  // With a credential: refused before it is sent.
  await assert.rejects(
    openRepository(far.host, "team/app", { insecure, credentials: someone, retry: fast }).getManifest("v1"),
    (err) => isCudasealError(err, "REGISTRY_INSECURE") && !err.message.includes(someone.explicit.password),
  );
  assert.deepEqual(far.realmAuth, []);
  // Anonymous: there is nothing to leak, and the realm is allowed plain HTTP.
  const anonymous = openRepository(far.host, "team/app", {
    insecure,
    credentials: { env: env() },
    retry: fast,
  });
  assert.equal((await anonymous.getManifest("v1"))?.bytes.toString(), '{"schemaVersion":2}');
  assert.deepEqual(far.realmAuth, [undefined]);

  // On loopback the credential never leaves the machine: it is sent.
  const near = await registryWithRealm("127.0.0.1");
  t.after(near.close);
  const local = openRepository(near.host, "team/app", { credentials: someone, retry: fast });
  assert.equal((await local.getManifest("v1"))?.bytes.toString(), '{"schemaVersion":2}');
  assert.deepEqual(near.realmAuth, [
    `Basic ${Buffer.from("someone:pw-not-for-plain-http").toString("base64")}`,
  ]);
});
