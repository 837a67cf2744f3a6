import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDeb822, formatParagraph, Paragraph, parseDeb822 } from "../../src/deb/deb822.ts";
import { isCudasealError } from "../../src/errors.ts";

const PACKAGES = `Package: libcudart12
Source: nvidia-cuda-toolkit (12.4.1-2)
Version: 12.4.127~12.4.1-2
Architecture: amd64
Depends: libc6 (>= 2.34)
Description: NVIDIA CUDA Runtime Library
 The runtime library.
 .
  A verbatim line.
Multi-Arch: same

Package: libcufft11
Version: 11.2.1.3~12.4.1-2
Architecture: amd64
`;

test("paragraphs, fields in order, continuation lines", () => {
  const paragraphs = parseDeb822(PACKAGES);
  assert.equal(paragraphs.length, 2);
  const [first, second] = paragraphs;
  assert.deepEqual(
    first.fields.map(([name]) => name),
    ["Package", "Source", "Version", "Architecture", "Depends", "Description", "Multi-Arch"],
  );
  assert.equal(
    first.get("Description"),
    "NVIDIA CUDA Runtime Library\nThe runtime library.\n\n A verbatim line.",
  );
  assert.equal(second.get("Package"), "libcufft11");
  assert.equal(second.get("Depends"), undefined);
});

test("field names are case-insensitive for lookup but kept as written", () => {
  const [p] = parseDeb822("PACKAGE: foo\nmulti-arch: foreign\n");
  assert.equal(p.get("Package"), "foo");
  assert.equal(p.get("Multi-Arch"), "foreign");
  assert.ok(p.has("multi-ARCH"));
  assert.equal(p.nameOf("package"), "PACKAGE");
  assert.equal(p.fields[1][0], "multi-arch");
});

test("whitespace-only lines separate paragraphs; comments are ignored; CRLF is accepted", () => {
  const text = "# a comment\r\nA: 1\r\n \t \r\n\r\n\r\nB: 2\r\n# inside\r\nC:   spaced   \r\n";
  const paragraphs = parseDeb822(text);
  assert.equal(paragraphs.length, 2);
  assert.equal(paragraphs[0].get("A"), "1");
  assert.equal(paragraphs[1].get("C"), "spaced");
  assert.deepEqual(parseDeb822("\n\n  \n"), []);
});

test("a value that starts on the next line keeps an empty first line", () => {
  const [p] = parseDeb822(
    "SHA256:\n abc 12 main/binary-amd64/Packages\n def 34 main/binary-arm64/Packages\n",
  );
  assert.equal(p.get("sha256"), "\nabc 12 main/binary-amd64/Packages\ndef 34 main/binary-arm64/Packages");
});

test("format writes back what it read", () => {
  const paragraphs = parseDeb822(PACKAGES);
  assert.equal(formatDeb822(paragraphs), PACKAGES);
  const release = "Origin: Debian\nSHA256:\n abc 12 main\n";
  assert.equal(formatParagraph(parseDeb822(release)[0]), release);
  assert.equal(formatParagraph([["Status", "install ok installed"]]), "Status: install ok installed\n");
});

test("malformed input is refused with a code", () => {
  const bad = [" leading continuation\n", "no colon here\n", ": empty name\n", "A: 1\na: 2\n", "-X: 1\n"];
  for (const text of bad) {
    assert.throws(
      () => parseDeb822(text, { source: "test" }),
      (err) => isCudasealError(err, "APT_RELEASE_INVALID"),
      JSON.stringify(text),
    );
  }
  assert.throws(
    () =>
      new Paragraph([
        ["A", "1"],
        ["a", "2"],
      ]),
    (err) => isCudasealError(err, "APT_RELEASE_INVALID"),
  );
  assert.throws(
    () => formatParagraph([["Bad Name", "x"]]),
    (err) => isCudasealError(err, "INTERNAL"),
  );
});

// The timeout guards against a quadratic parser; the speed itself is measured by the benchmarks.
test("a large index parses", { timeout: 30_000 }, () => {
  const one = PACKAGES.split("\n\n")[0];
  const text = Array.from({ length: 20000 }, (_, i) => one.replace("libcudart12", `lib${i}`)).join("\n\n");
  const paragraphs = parseDeb822(text);
  assert.equal(paragraphs.length, 20000);
  assert.equal(paragraphs[19999].get("package"), "lib19999");
});
