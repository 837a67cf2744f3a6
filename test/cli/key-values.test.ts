// Repeatable KEY=VALUE flags (build's and catalog join's --annotation,
// sign's --annotations) are read by one rule: the first '=' splits, a later
// key wins, and an item without a key is USAGE before any work.

import assert from "node:assert/strict";
import { test } from "node:test";
import { keyValues } from "../../src/cli/command.ts";
import { isCudasealError } from "../../src/errors.ts";
import { runCli } from "../helpers/cli.ts";

test("the first '=' splits, values keep theirs, and a later key wins", () => {
  assert.deepEqual(keyValues(["a=1", "b=x=y", "a=2", "c="], "annotation"), { a: "2", b: "x=y", c: "" });
});

test("an item with no key is USAGE", () => {
  for (const bad of ["novalue", "=v"])
    assert.throws(
      () => keyValues([bad], "annotation"),
      (err) => isCudasealError(err, "USAGE"),
    );
});

test("build, catalog join and sign refuse a bad annotation with USAGE, exit 2", async () => {
  for (const args of [
    ["build", "--preset", "static", "--arch", "amd64", "--offline", "--annotation", "novalue"],
    [
      "catalog",
      "join",
      "registry.example/a:1-amd64",
      "--to",
      "registry.example/a:1",
      "--annotation",
      "novalue",
    ],
    ["sign", "--key", "absent.key", "-a", "novalue", "oci:absent"],
  ]) {
    const r = await runCli([...args, "--json"]);
    assert.equal(r.status, 2, `${args.join(" ")}\n${r.stdout}${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).error.code, "USAGE");
  }
});
