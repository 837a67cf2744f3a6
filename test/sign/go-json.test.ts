// Go's encoding/json reading, as cosign relies on it: folded keys, fields
// named twice, types, numbers, surrogates and what is not JSON at all.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type GoType, goUnmarshal, utf8Text } from "../../src/sign/go-json.ts";

class Refused extends Error {
  readonly syntax: boolean;
  constructor(why: string, syntax: boolean) {
    super(why);
    this.syntax = syntax;
  }
}

const read = (text: string, type: GoType) =>
  goUnmarshal(text, type, (why, syntax) => new Refused(why, syntax));
const refused = (text: string, type: GoType, syntax = false) =>
  assert.throws(
    () => read(text, type),
    (e: unknown) => e instanceof Refused && e.syntax === syntax,
  );

const IMAGE: GoType = {
  struct: {
    critical: { struct: { image: { struct: { "docker-manifest-digest": "string" } }, type: "string" } },
    optional: { map: "any" },
  },
};

describe("JSON read as Go's encoding/json reads it", () => {
  it("a key names its field in any ASCII case, and through ſ and the Kelvin sign, as Go folds keys", () => {
    assert.deepEqual(read('{"CRITICAL":{"Image":{"DOCKER-manifest-DIGEST":"d"}}}', IMAGE), {
      critical: { image: { "docker-manifest-digest": "d" }, type: "" },
      optional: null,
    });
    assert.deepEqual(read('{"critical":{"image":{"doc\u212aer-manife\u017ft-digest":"d"}}}', IMAGE), {
      critical: { image: { "docker-manifest-digest": "d" }, type: "" },
      optional: null,
    });
    // A dotless ı and the ligature ﬅ fold to nothing ASCII in Go.
    assert.deepEqual(
      read('{"cr\u0131tical":{"type":"t"},"critical":{"image":{"docker-manifeﬅ-digest":"d"}}}', IMAGE),
      {
        critical: { image: { "docker-manifest-digest": "" }, type: "" },
        optional: null,
      },
    );
  });

  it("a field named twice, exactly or in another case, is refused at every struct level", () => {
    refused('{"critical":{},"Critical":{}}', IMAGE);
    refused('{"critical":{},"critical":{}}', IMAGE);
    refused('{"critical":{"image":{},"IMAGE":{}}}', IMAGE);
    refused('{"critical":{"image":{"docker-manifest-digest":"a","Docker-Manifest-Digest":"b"}}}', IMAGE);
    // Unknown keys are skipped, however often they come.
    assert.equal((read('{"x":1,"x":2,"X":3}', IMAGE) as { optional: null }).optional, null);
  });

  it("map keys are exact, and a repeated one keeps its last value, as in Go", () => {
    assert.deepEqual(read('{"optional":{"a":1,"A":2,"a":3,"__proto__":4}}', IMAGE), {
      critical: { image: { "docker-manifest-digest": "" }, type: "" },
      optional: Object.defineProperty({ a: 3, A: 2 }, "__proto__", {
        value: 4,
        enumerable: true,
        writable: true,
        configurable: true,
      }),
    });
  });

  it("a value of the wrong type is refused, and null leaves the zero value", () => {
    refused('{"optional":"x"}', IMAGE);
    refused('{"optional":[]}', IMAGE);
    refused('{"critical":{"type":5}}', IMAGE);
    refused('{"critical":[]}', IMAGE);
    refused("[]", IMAGE);
    assert.deepEqual(read('{"critical":null,"optional":null}', IMAGE), read("{}", IMAGE));
    assert.deepEqual(read("null", IMAGE), read("{}", IMAGE));
  });

  it("int64 takes integer literals within 64 bits, nothing else", () => {
    assert.equal(read("-9223372036854775808", "int64"), -(2 ** 63));
    refused("9223372036854775808", "int64");
    refused("1.0", "int64");
    refused("1e2", "int64");
    refused('"1"', "int64");
  });

  it("a number beyond float64 is refused in an interface value", () => {
    refused('{"optional":{"n":1e400}}', IMAGE);
    assert.deepEqual((read('{"optional":{"n":1e-400}}', IMAGE) as { optional: object }).optional, { n: 0 });
  });

  it("[]byte takes padded standard base64 or an array of bytes", () => {
    assert.deepEqual(read('"QUI="', "bytes"), Buffer.from("AB"));
    assert.deepEqual(read('"QU\\nI="', "bytes"), Buffer.from("AB"));
    assert.deepEqual(read("[65,66,null]", "bytes"), Buffer.from([65, 66, 0]));
    for (const bad of ['"QUI"', '"QU I="', '"QU-="', "[256]", "[1.0]", '["A"]', "5"]) refused(bad, "bytes");
  });

  it("a digest is a sha256 digest string; null is refused", () => {
    assert.equal(read(`"sha256:${"a".repeat(64)}"`, "hash"), `sha256:${"a".repeat(64)}`);
    for (const bad of ["null", `"sha512:${"a".repeat(128)}"`, `"sha256:${"A".repeat(64)}"`])
      refused(bad, "hash");
  });

  it("a time is an RFC 3339 string with its fields in range and no escapes", () => {
    for (const ok of [
      "2024-02-29T23:59:59Z",
      "2000-01-01T00:00:00.123456789+14:00",
      "0000-02-29T00:00:00-00:30",
    ]) {
      assert.equal(read(JSON.stringify(ok), "time"), ok);
    }
    assert.equal(read("null", "time"), "");
    for (const bad of [
      "2023-02-29T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-01t00:00:00Z",
      "2024-01-01T24:00:00Z",
    ]) {
      refused(JSON.stringify(bad), "time");
    }
    const backslash = "\\";
    refused(`"2024-01-01T00:00:00${backslash}u005a"`, "time");
    refused("1704067200", "time");
  });

  it("a lone surrogate escape reads as U+FFFD, and a pair is joined", () => {
    assert.equal(read('"\\ud800A\\udc00"', "string"), "\ufffdA\ufffd");
    assert.equal(read('"\\ud83d\\ude00"', "string"), "\u{1f600}");
    assert.equal(read('"\\ud83d\\u0041"', "string"), "\ufffdA");
  });

  it("what is not JSON is refused as such", () => {
    for (const bad of [
      "{} x",
      "01",
      "[1,]",
      '{"a":1,}',
      '"\\x"',
      '"a\tb"',
      "\ufeff{}",
      "",
      "-",
      "1.",
      "NaN",
    ]) {
      refused(bad, "any", true);
    }
    refused(`${"[".repeat(600)}${"]".repeat(600)}`, "any", true);
    assert.deepEqual(
      read(`${"[".repeat(100)}${"]".repeat(100)}`, "any"),
      JSON.parse(`${"[".repeat(100)}${"]".repeat(100)}`),
    );
  });

  it("text that is not UTF-8 has no reading", () => {
    assert.equal(utf8Text(Buffer.from([0x7b, 0xe2, 0x82, 0x7d])), undefined);
    assert.equal(utf8Text(Buffer.from("{}")), "{}");
  });
});
