// The path policy's maintainer-only scripts: they go with the shell they
// need, unless the spec allows a shell or keeps them by name.

import assert from "node:assert/strict";
import { test } from "node:test";
import { PathPolicy } from "../../src/layer/path-policy.ts";

test("update-ca-certificates and update-motd.d go with the shell, and come back with it or by keep", () => {
  const hardened = new PathPolicy();
  assert.equal(hardened.dropReason("usr/sbin/update-ca-certificates", false), "maintainer-script");
  assert.equal(hardened.dropReason("etc/update-motd.d/10-uname", false), "maintainer-script");
  assert.equal(hardened.dropReason("etc/update-motd.d", true), undefined, "directories stay");
  // What python3 and dpkg bring that only cron, dpkg or a maintainer script runs.
  for (const path of [
    "etc/cron.daily/dpkg",
    "usr/libexec/dpkg/dpkg-db-backup",
    "usr/share/python3/runtime.d/public_modules.rtupdate",
    "usr/sbin/tarcat",
  ]) {
    assert.equal(hardened.dropReason(path, false), "maintainer-script", path);
    assert.equal(new PathPolicy({ allowShell: true }).dropReason(path, false), undefined, path);
  }
  assert.equal(hardened.dropReason("etc/cron.daily", true), undefined);
  assert.equal(hardened.dropReason("usr/sbin/update-ca-certificates-helper", false), undefined);
  assert.equal(
    new PathPolicy({ allowShell: true }).dropReason("usr/sbin/update-ca-certificates", false),
    undefined,
  );
  const kept = new PathPolicy({ keep: ["/usr/sbin/update-ca-certificates"] });
  assert.equal(kept.dropReason("usr/sbin/update-ca-certificates", false), undefined);
});
