// `cudaseal report` without a browser: the JSON's numbers against compare's
// and scan's, the composition tree's sums, the Markdown's length limit, the
// HTML's size for a 2,000-package image, the embedded data's escaping, and
// the command's usage errors and atomic output.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compareDelta } from "../../src/report/compare-delta.ts";
import {
  embedJson,
  MARKDOWN_LIMIT,
  type ReportData,
  reportHtml,
  reportMarkdown,
  type TreeNode,
  type VulnRow,
} from "../../src/report/index.ts";
import { makeReportImages, PAYLOADS, type ReportImages, syntheticReport } from "./fixture.ts";

const BIN = new URL("../../bin/cudaseal.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cudaseal-report-"));
/** No network: the default cache and feed point into the test dir and at a closed port. */
const ENV = {
  ...process.env,
  CUDASEAL_CACHE_DIR: join(dir, "cache"),
  CUDASEAL_DB_URL: "http://127.0.0.1:9/json",
};
let images: ReportImages;

before(async () => {
  images = await makeReportImages(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: ENV, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function json(args: string[]): Promise<ReportData> {
  const r = await cli(["report", ...args, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReportData;
}

function leaves(node: TreeNode): TreeNode[] {
  return node.children === undefined ? [node] : node.children.flatMap(leaves);
}

test("the report's numbers are compare's and scan's for the same image", async () => {
  const report = await json([images.hardened, "--db", images.tracker]);
  const compared = await cli(["compare", images.hardened, images.cuda, "--db", images.tracker, "--json"]);
  assert.equal(compared.status, 0, compared.stderr);
  const stats = JSON.parse(compared.stdout).images[0];
  const [image] = report.images;
  for (const key of [
    "compressedSize",
    "uncompressedSize",
    "layers",
    "packages",
    "files",
    "user",
    "cves",
  ] as const) {
    assert.deepEqual(image.stats[key], stats[key], key);
  }
  const scanned = await cli(["scan", images.hardened, "--db", images.tracker, "--json"]);
  const findings = JSON.parse(scanned.stdout).findings as { id: string; package: string }[];
  assert.deepEqual(
    image.vulnerabilities.findings.map((f) => `${f.id} ${f.package}`).sort(),
    findings.map((f) => `${f.id} ${f.package}`).sort(),
  );
  assert.equal(image.vulnerabilities.release, "bookworm");
  const high = image.vulnerabilities.findings.find((f) => f.id === "CVE-2024-0001");
  assert.equal(high?.url, "https://security-tracker.debian.org/tracker/CVE-2024-0001");
  // Every regular file is in the tree once: its leaves add up to the uncompressed size.
  assert.equal(
    leaves(image.tree).reduce((n, l) => n + l.size, 0),
    image.stats.uncompressedSize,
  );
  assert.equal(image.tree.size, image.stats.uncompressedSize);
  assert.deepEqual(
    image.layers.map((l) => l.index),
    [0, 1, 2],
  );
  assert.equal(
    image.layers.reduce((n, l) => n + l.files, 0),
    image.stats.files,
  );
  assert.equal(image.signatures.checked, true);
  assert.equal(image.signatures.signatures, 0);
});

test("an nvidia/cuda-like image: CUDA flagged, the driver it needs, files under their packages, no Debian scan", async () => {
  const report = await json([images.cuda, "--db", images.tracker]);
  const [image] = report.images;
  assert.equal(image.cuda.version, "12.4");
  assert.equal(image.cuda.requirement, "cuda>=12.4");
  assert.match(image.cuda.driver ?? "", /^\d+\.\d+/);
  assert.equal(image.vulnerabilities.scanned, false);
  assert.equal(image.stats.cves, undefined);
  const layer1 = image.tree.children?.[1];
  const cublas = layer1?.children?.find((p) => p.name === "libcublas-12-4");
  assert.equal(cublas?.cuda, true);
  assert.equal(cublas?.size, 600_000);
  assert.equal(leaves(cublas as TreeNode)[0].name, "libcublas.so.12");
  // The ubuntu layer's files are owned by the packages whose .list names them.
  const layer0 = image.tree.children?.[0];
  assert.equal(layer0?.children?.[0].name, "libc6");
  // CUDA by name, spelled out: cuda-cudart is; libc6 is not (nor would libcurl be).
  assert.equal(layer0?.children?.[0].cuda, undefined);
  assert.equal(layer1?.children?.find((p) => p.name === "cuda-cudart-12-4")?.cuda, true);
  assert.equal(image.layers[1].createdBy, "RUN apt-get install -y cuda-libraries-12-4");
  assert.ok(image.audit.findings.some((f) => f.id === "CS-FILE-SETUID"));
  // Licences from the machine-readable copyright files, with the bytes of the packages that carry them.
  const gpl3 = image.licenses.find((l) => l.license === "GPL-3.0-or-later");
  assert.deepEqual(gpl3, { license: "GPL-3.0-or-later", packages: 1, size: 120_000 });
  // libcublas's doc folder links to cuda-cudart's, as `cudaseal sbom` follows it.
  assert.equal(image.licenses.find((l) => l.license === "MIT")?.packages, 2);
  assert.equal(
    image.licenses.reduce((n, l) => n + l.packages, 0),
    image.stats.packages,
  );
  assert.equal(image.audit.counts.high, image.audit.findings.filter((f) => f.severity === "high").length);
});

test("--compare: both images, the packages added, removed and changed, the CVE delta and the checklist", async () => {
  const report = await json([images.hardened, "--compare", images.hostile, "--db", images.tracker]);
  assert.deepEqual(
    report.images.map((i) => i.ref),
    [images.hardened, images.hostile],
  );
  const c = report.compare;
  assert.ok(c);
  assert.equal(
    c.compressedSize,
    report.images[0].stats.compressedSize - report.images[1].stats.compressedSize,
  );
  assert.deepEqual(
    c.packages.changed.map((p) => p.name),
    ["libc6"],
  );
  assert.ok(c.packages.added.some((p) => p.name === "tzdata"));
  assert.ok(c.packages.removed.some((p) => p.name === "evil (Python)"));
  assert.ok(c.cves);
  const [a, b] = report.images.map((i) => i.stats.cves);
  assert.equal(c.cves.high, (a?.high ?? 0) - (b?.high ?? 0));
  const root = c.checklist.find((i) => i.check === "non-root user");
  assert.deepEqual(root?.pass, [true, false]);
  assert.deepEqual(root?.found, ["1000:1000", "root"]);
});

test("--format markdown stays under GitHub's limit however many findings there are", () => {
  const findings: VulnRow[] = Array.from({ length: 20_000 }, (_, i) => ({
    id: `CVE-2026-${String(i).padStart(5, "0")}`,
    severity: "high",
    package: `package-with-a-long-name-${i}|<b>`,
    installed: "1.0-1",
    status: "open",
    ecosystem: "debian",
    url: `https://security-tracker.debian.org/tracker/CVE-2026-${i}`,
    description: "x".repeat(240),
  }));
  const data = syntheticReport(200, findings);
  const text = reportMarkdown(data);
  assert.ok(text.length < MARKDOWN_LIMIT, `${text.length}`);
  assert.match(text, /…and \d+ more/);
  assert.doesNotMatch(text, /<b>/);
  // A small report is whole.
  const small = reportMarkdown(syntheticReport(5, findings.slice(0, 3)));
  assert.doesNotMatch(small, /more;/);
  assert.equal(small.match(/CVE-2026-/g)?.length, 6);
});

test("without vulnerability data the error says the report can do without it: --no-cves", async () => {
  const r = await cli(["report", images.hardened, "--offline", "--json"]);
  assert.equal(r.status, 1);
  const error = JSON.parse(r.stdout).error;
  assert.equal(error.code, "SCAN_DB_MISSING");
  assert.match(error.hint, /or report without CVEs: --no-cves/);
});

test("--format markdown links only advisory ids of a known shape, as scan's summary does", () => {
  const row = (id: string): VulnRow => ({
    id,
    severity: "high",
    package: "p",
    installed: "1",
    status: "open",
    ecosystem: "debian",
    url: `https://security-tracker.debian.org/tracker/${encodeURIComponent(id)}`,
    description: "",
  });
  const text = reportMarkdown(syntheticReport(2, [row("CVE-2026-1234"), row("x)(https://evil.example")]));
  assert.match(text, /\[CVE-2026-1234\]\(https:\/\/security-tracker\.debian\.org\/tracker\/CVE-2026-1234\)/);
  assert.doesNotMatch(text, /\]\(https:\/\/security-tracker\.debian\.org\/tracker\/x/);
  assert.match(text, /\| x\)\(https\\:\/\/evil\.example \|/);
});

test("the HTML of a 2,000-package image stays under 3 MB", async () => {
  const findings: VulnRow[] = Array.from({ length: 1_500 }, (_, i) => ({
    id: `CVE-2026-${i}`,
    severity: "medium",
    package: `pkg-${i % 2000}`,
    installed: "1.0-1",
    fixedVersion: "1.0-2",
    status: "fixed",
    ecosystem: "debian",
    url: `https://security-tracker.debian.org/tracker/CVE-2026-${i}`,
    description: "d".repeat(240),
  }));
  const data = syntheticReport(2_000, findings);
  const html = await reportHtml(data);
  const size = Buffer.byteLength(html);
  assert.ok(size < 3 * 1024 * 1024, `${size} bytes`);
  // Every file still counted: the tree's leaves add up to the whole.
  assert.equal(
    leaves(data.images[0].tree).reduce((n, l) => n + l.size, 0),
    data.images[0].stats.uncompressedSize,
  );
});

test("the embedded data cannot end its script element", async () => {
  const text = PAYLOADS.join(" ");
  const embedded = embedJson({ text });
  assert.doesNotMatch(embedded, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(embedded), { text });
  const data = syntheticReport(3, []);
  data.images[0].ref = text;
  const html = await reportHtml(data);
  // The payload appears only escaped: the page holds exactly the script elements it was made with.
  assert.equal(html.match(/<script/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
  assert.doesNotMatch(html, /<img|<svg/);
});

test("usage errors name what to do; -o writes the file whole", async () => {
  for (const args of [
    [],
    ["a", "b"],
    [images.hardened, "--format", "pdf"],
    [images.hardened, "--no-cves", "--db", "x"],
  ]) {
    const r = await cli(["report", ...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /USAGE/);
  }
  const same = await cli(["report", images.hardened, "--compare", images.hardened, "--no-cves", "--json"]);
  assert.equal(same.status, 2);
  const out = join(dir, "out", "r.html");
  const missing = await cli(["report", images.hardened, "--no-cves", "-o", out]);
  assert.notEqual(missing.status, 0);
  assert.equal(existsSync(join(dir, "out")), false);
  const outDir = join(dir, "written");
  rmSync(outDir, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(outDir));
  const ok = await cli(["report", images.hardened, "--no-cves", "-o", join(outDir, "r.html")]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(readdirSync(outDir), ["r.html"]);
  const html = readFileSync(join(outDir, "r.html"), "utf8");
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy/);
  const help = await cli(["report", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--compare IMAGE2/);
});

test("an archive cannot hold signatures: the report says so rather than failing", async () => {
  const archive = join(dir, "hardened.tar");
  const copied = await cli(["copy", images.hardened, `oci-archive:${archive}`]);
  assert.equal(copied.status, 0, copied.stderr);
  const report = await json([`oci-archive:${archive}`, "--no-cves"]);
  assert.equal(report.images[0].signatures.checked, false);
  assert.match(report.images[0].signatures.reason ?? "", /archive/);
});

test("a signed layout: the report counts the signature beside the image", async () => {
  const signed = `oci:${join(dir, "signed")}`;
  const key = join(dir, "signing");
  const steps = [
    ["copy", images.hardened, signed],
    ["generate-key-pair", "--output-key-prefix", key],
    ["sign", "--key", `${key}.key`, signed],
  ];
  for (const step of steps) {
    const r = await new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...step],
        { env: { ...ENV, COSIGN_PASSWORD: "" } },
        (err, _o, stderr) => resolve({ status: err ? 1 : 0, stderr }),
      );
    });
    assert.equal(r.status, 0, `${step[0]}: ${r.stderr}`);
  }
  const report = await json([signed, "--no-cves"]);
  // Signed as cosign 3 signs: one bundle referrer, counted as a signature.
  assert.deepEqual(report.images[0].signatures, {
    checked: true,
    signatures: 1,
    attestations: 0,
    referrers: 1,
  });
  const md = (await cli(["report", signed, "--no-cves", "--format", "markdown"])).stdout;
  assert.match(md, /\| Signatures \| 1 signatures, 0 attestations \\?\(found, not verified\\?\) \|/);
});

test("the checklist's non-root user reads uid 0 as audit does: root, 0, 00, 0:0", () => {
  const image = syntheticReport(1, []).images[0];
  const runsAs = (user: string) => ({ ...image, stats: { ...image.stats, user } });
  const nonRoot = (user: string) => compareDelta(runsAs(user), runsAs("app"), [[], []]).checklist[0].pass[0];
  for (const user of ["root", "root:root", "0", "00", "0:0", "000:1000", ""])
    assert.equal(nonRoot(user), false, user);
  for (const user of ["app", "1000", "010", "1000:0"]) assert.equal(nonRoot(user), true, user);
});
