// End to end: a real signed apt repository on 127.0.0.1 with packages built
// by dpkg-deb, built into images by cudaseal, read back by skopeo, umoci and
// podman. The packages carry the things hardening must deal with: setuid
// and world-writable files, a shell, the NVIDIA driver library, docs,
// headers, update-alternatives and the merged-/usr aliases.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AptSource } from "../../src/apt/sources.ts";
import { auditImage } from "../../src/audit/index.ts";
import { type BuildOptions, build } from "../../src/build/build.ts";
import { parseOutput } from "../../src/build/output.ts";
import { parseDeb822 } from "../../src/deb/deb822.ts";
import { isCudasealError } from "../../src/errors.ts";
import { imageSbomModel } from "../../src/sbom/image-sbom.ts";
import type { Spec } from "../../src/spec/types.ts";
import { type AptRepo, type PackageSpec, startAptRepo } from "../helpers/apt-repo.ts";
import { cyclonedxValidator, spdxValidator } from "../helpers/sbom-schemas.ts";
import { throwawayPodman } from "../oci/podman.ts";

const CERT_A = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
const CERT_B = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";
const MULTIARCH: Record<string, string> = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };
// A machine-readable copyright file, as glibc's: the SBOM's licence comes from it.
const LIBC_COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: GNU C Library

Files: *
Copyright: 1991-2024 Free Software Foundation, Inc.
License: LGPL-2.1+

Files: debian/*
Copyright: 2024 GNU Libc Maintainers
License: GPL-2+ or Artistic
`;

function packagesFor(arch: string): PackageSpec[] {
  const lib = `usr/lib/${MULTIARCH[arch]}`;
  const loader: Record<string, string> =
    arch === "amd64" ? { "lib64/ld-linux-x86-64.so.2": "loader" } : { "lib/ld-linux-aarch64.so.1": "loader" };
  return [
    {
      name: "libc6",
      version: "2.41-12",
      arch,
      fields: { "Pre-Depends": "libgcc-s1", "Multi-Arch": "same", "Installed-Size": "13000" },
      files: {
        ...loader,
        [`${lib}/libc.so.6`]: `libc for ${arch}`,
        [`${lib}/libc.a`]: "static",
        "usr/include/stdio.h": "header",
        "usr/share/doc/libc6/copyright": LIBC_COPYRIGHT,
        "usr/share/doc/libc6/changelog.Debian.gz": "changes",
        "usr/share/man/man3/printf.3.gz": "manual",
        "usr/share/locale/de/LC_MESSAGES/libc.mo": "übersetzung",
      },
    },
    {
      name: "libgcc-s1",
      version: "14.2.0-19",
      arch,
      fields: { Depends: "libc6 (>= 2.35)" },
      files: { [`${lib}/libgcc_s.so.1`]: "gcc" },
    },
    {
      name: "libcudart12",
      version: "12.4.127~12.4.1-2",
      arch,
      fields: {
        Depends: "libc6 (>= 2.34)",
        Recommends: "libcuda1 (>= 550) | libcuda.so.1 (>= 550)",
        Source: "nvidia-cuda-toolkit (12.4.1-2)",
      },
      files: {
        [`${lib}/libcudart.so.12.4.127`]: `cudart for ${arch}`,
        [`${lib}/libcudart.so.12`]: { symlink: "libcudart.so.12.4.127" },
      },
    },
    {
      name: "libcuda1",
      version: "550.1-1",
      arch,
      fields: { Provides: "libcuda.so.1 (= 550)" },
      files: { [`${lib}/libcuda.so.1`]: "the driver" },
    },
    {
      name: "dash",
      version: "0.5.12-12",
      arch,
      files: { "usr/bin/dash": "shell", "bin/sh": { symlink: "dash" } },
    },
    {
      name: "tool",
      version: "1.0-1",
      arch,
      fields: { Depends: "libcudart12, dash, libblas3 | libblas.so.3" },
      files: {
        "usr/bin/tool": { content: "#tool", mode: 0o4755 },
        "usr/bin/sgid-tool": { content: "#tool", mode: 0o2755 },
        "etc/tool.conf": { content: "open=1", mode: 0o666 },
        [`${lib}/libtool-private.so.1`]: "private",
      },
      scripts: { conffiles: "/etc/tool.conf\n" },
    },
    {
      name: "libblas3",
      version: "3.12.1-2",
      arch,
      fields: { Provides: "libblas.so.3" },
      files: { [`${lib}/blas/libblas.so.3`]: "blas" },
      scripts: {
        postinst: `#!/bin/sh\nset -e\nupdate-alternatives --install /${lib}/libblas.so.3 libblas.so.3-${MULTIARCH[arch]} /${lib}/blas/libblas.so.3 10\n`,
      },
    },
  ];
}

const COMMON: PackageSpec[] = [
  {
    name: "base-files",
    version: "13.8",
    arch: "all",
    fields: { "Pre-Depends": "awk" },
    files: {
      "usr/lib/os-release": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\n',
      "etc/os-release": { symlink: "../usr/lib/os-release" },
      "etc/debian_version": "13.8\n",
      bin: { symlink: "usr/bin" },
      lib: { symlink: "usr/lib" },
    },
  },
  {
    name: "ca-certificates",
    version: "20250419",
    arch: "all",
    fields: { Depends: "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0" },
    files: {
      "usr/share/ca-certificates/mozilla/B.crt": CERT_B,
      "usr/share/ca-certificates/mozilla/A.crt": CERT_A,
    },
  },
];

const SPEC: Spec = {
  name: "testimg",
  description: "test image",
  archs: ["amd64", "arm64"],
  packages: ["base-files", "ca-certificates", "tool"],
  provided: ["awk", "openssl", "debconf", "debconf-2.0"],
  accounts: {
    users: [{ name: "nonroot", uid: 65532, gid: 65532, home: "/home/nonroot", shell: "/sbin/nologin" }],
    groups: [{ name: "nonroot", gid: 65532 }],
    runAs: "65532:65532",
  },
  workdir: "/home/nonroot",
  entrypoint: ["/usr/bin/tool"],
  paths: [{ type: "directory", path: "/data", owner: "65532:65532", mode: "0777" }],
};

let repo: AptRepo;
let work: string;
let sources: AptSource[];

function options(overrides: Partial<BuildOptions> & { dir: string }): BuildOptions {
  const { dir, ...rest } = overrides;
  return {
    spec: SPEC,
    archs: ["amd64", "arm64"],
    sources,
    cacheDir: join(dir, "cache"),
    output: parseOutput(`oci:${join(dir, "out")}:v1`, "testimg"),
    compression: { algorithm: "gzip", level: 1 },
    ...rest,
  };
}

function unpack(layout: string, tag: string, dir: string): string {
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, dir], { stdio: "pipe" });
  return join(dir, "rootfs");
}

function allFiles(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    out.push(path);
    const st = lstatSync(join(root, path));
    if (st.isDirectory()) out.push(...allFiles(root, path));
  }
  return out;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "cudaseal-build-"));
  repo = await startAptRepo({
    components: ["main"],
    arches: ["amd64", "arm64"],
    packages: [...COMMON, ...packagesFor("amd64"), ...packagesFor("arm64")],
  });
  sources = [
    {
      uri: repo.url,
      suites: [repo.suite],
      components: ["main"],
      keyring: [repo.publicKeyPath],
      priority: 500,
    },
  ];
});

after(async () => {
  await repo?.close();
  await rm(work, { recursive: true, force: true });
});

describe("cudaseal build", () => {
  let first: Awaited<ReturnType<typeof build>>;
  let rootfs: string;
  const dirA = () => join(work, "a");

  before(async () => {
    first = await build(options({ dir: dirA() }));
    rootfs = unpack(join(dirA(), "out"), "v1-amd64", join(work, "unpacked-amd64"));
  });

  test("the lock holds the dependency closure and never the driver", () => {
    const names = first.lock.arches.amd64.map((p) => p.name);
    assert.deepEqual(names, [
      "base-files",
      "ca-certificates",
      "dash",
      "libblas3",
      "libc6",
      "libcudart12",
      "libgcc-s1",
      "tool",
    ]);
    assert.ok(!first.lock.arches.arm64.some((p) => p.name === "libcuda1"));
  });

  test("skopeo reads the layout, for both architectures", () => {
    const layout = join(dirA(), "out");
    for (const arch of ["amd64", "arm64"]) {
      const info = JSON.parse(
        execFileSync("skopeo", ["--override-arch", arch, "inspect", `oci:${layout}:v1`], {
          encoding: "utf8",
        }),
      );
      assert.equal(info.Architecture, arch);
      assert.ok(info.Env.includes("NVIDIA_REQUIRE_CUDA=cuda>=12.4"));
      assert.ok(info.Env.includes("NVIDIA_DRIVER_CAPABILITIES=compute,utility"));
      assert.equal(info.Labels["org.opencontainers.image.title"], "testimg");
    }
    const config = JSON.parse(
      execFileSync("skopeo", ["inspect", "--config", `oci:${layout}:v1-amd64`], { encoding: "utf8" }),
    );
    assert.equal(config.config.User, "65532:65532");
    assert.deepEqual(config.config.Entrypoint, ["/usr/bin/tool"]);
    assert.equal(config.history.length, config.rootfs.diff_ids.length);
  });

  test("no setuid, setgid or world-writable path; /tmp keeps its sticky bit", () => {
    for (const path of allFiles(rootfs)) {
      const st = lstatSync(join(rootfs, path));
      if (st.isSymbolicLink()) continue;
      assert.equal(st.mode & 0o6000, 0, `${path} has setuid/setgid`);
      if (path === "tmp" || path === "var/tmp") assert.equal(st.mode & 0o7777, 0o1777);
      else assert.equal(st.mode & 0o002, 0, `${path} is world-writable`);
    }
    assert.ok(existsSync(join(rootfs, "usr/bin/tool")));
  });

  test("no shell, no driver library, no docs, headers or static libraries", () => {
    const files = allFiles(rootfs);
    assert.ok(!files.some((f) => /(^|\/)(dash|sh)$/.test(f) && f.includes("bin")), "a shell is present");
    assert.ok(!files.some((f) => f.includes("libcuda.so")), "the driver library is present");
    assert.ok(!files.some((f) => f.startsWith("usr/share/man/") && f.endsWith(".gz")));
    assert.ok(!files.some((f) => f.startsWith("usr/share/locale/") && f.endsWith(".mo")));
    assert.ok(!files.includes("usr/include/stdio.h"));
    assert.ok(!files.some((f) => f.endsWith("libc.a")));
    assert.ok(!files.includes("usr/share/doc/libc6/changelog.Debian.gz"));
    assert.ok(files.includes("usr/share/doc/libc6/copyright"), "licences stay");
  });

  test("cudaseal audit finds nothing high or critical in what cudaseal built, for both architectures", async () => {
    // The packages ship a setuid tool, a world-writable conffile, a shell and
    // the driver library: the build's hardening must leave the audit nothing
    // worse than low (missing source/revision labels, which only the user knows).
    for (const arch of ["amd64", "arm64"]) {
      const { report } = await auditImage(`oci:${join(dirA(), "out")}:v1`, { arch });
      const serious = report.findings.filter((f) => f.severity === "critical" || f.severity === "high");
      assert.deepEqual(serious, [], arch);
      assert.equal(report.properties?.cudaRuntime, "12.4.127");
    }
  });

  test("merged /usr: the loader is reachable at its ELF interpreter path", () => {
    assert.equal(readlinkSync(join(rootfs, "lib64")), "usr/lib64");
    assert.equal(readlinkSync(join(rootfs, "lib")), "usr/lib");
    assert.equal(readFileSync(join(rootfs, "lib64/ld-linux-x86-64.so.2"), "utf8"), "loader");
    assert.ok(lstatSync(join(rootfs, "usr/lib")).isDirectory());
    assert.equal(
      readlinkSync(join(rootfs, "usr/lib/x86_64-linux-gnu/libcudart.so.12")),
      "libcudart.so.12.4.127",
    );
  });

  test("what maintainer scripts would have made is there", () => {
    const passwd = readFileSync(join(rootfs, "etc/passwd"), "utf8");
    assert.match(passwd, /^nonroot:x:65532:65532::\/home\/nonroot:\/sbin\/nologin$/m);
    assert.match(readFileSync(join(rootfs, "etc/group"), "utf8"), /^nonroot:x:65532:$/m);
    assert.equal(readFileSync(join(rootfs, "etc/ssl/certs/ca-certificates.crt"), "utf8"), CERT_A + CERT_B);
    assert.equal(
      readlinkSync(join(rootfs, "usr/lib/x86_64-linux-gnu/libblas.so.3")),
      "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
    );
    assert.match(readFileSync(join(rootfs, "etc/os-release"), "utf8"), /ID=debian/);
    assert.ok(lstatSync(join(rootfs, "data")).isDirectory());
    assert.equal(lstatSync(join(rootfs, "data")).mode & 0o777, 0o775, "spec paths are hardened too");
  });

  test("status.d parses back to the installed set, with md5sums of kept files only", () => {
    const dir = join(rootfs, "var/lib/dpkg/status.d");
    const records = readdirSync(dir).filter((f) => !f.endsWith(".md5sums"));
    const parsed = records.map((f) => parseDeb822(readFileSync(join(dir, f), "utf8"))[0]);
    assert.deepEqual(
      parsed.map((p) => p.get("Package")).sort(),
      first.lock.arches.amd64.map((p) => p.name),
    );
    for (const p of parsed) assert.equal(p.get("Status"), "install ok installed");
    const md5 = readFileSync(join(dir, "libc6.md5sums"), "utf8");
    assert.match(md5, / usr\/lib64\/ld-linux-x86-64.so.2$/m);
    assert.doesNotMatch(md5, /stdio\.h|libc\.a|printf/);
  });

  test("both SBOMs are written beside the image, validate, and travel in the layout as artifacts", () => {
    const out = join(dirA(), "out");
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as {
      manifests: { digest: string; artifactType?: string }[];
    };
    const spdx = spdxValidator();
    const cdx = cyclonedxValidator();
    for (const platform of first.written.platforms) {
      const arch = platform.platform.architecture;
      const doc = JSON.parse(readFileSync(`${out}.${arch}.spdx.json`, "utf8"));
      assert.ok(spdx(doc), JSON.stringify(spdx.errors));
      const names = doc.packages.map((p: { name: string }) => p.name);
      for (const p of first.lock.arches[arch]) assert.ok(names.includes(p.name), p.name);
      const bom = JSON.parse(readFileSync(`${out}.${arch}.cdx.json`, "utf8"));
      assert.ok(cdx(bom), JSON.stringify(cdx.errors));
      assert.ok(
        bom.components.some((c: { purl: string }) => c.purl.startsWith(`pkg:deb/debian/libcudart12@`)),
      );
      // Each artifact names this platform's manifest as its subject.
      const artifacts = index.manifests
        .filter((m) => m.artifactType)
        .map((m) => JSON.parse(readFileSync(join(out, "blobs/sha256", m.digest.slice(7)), "utf8")))
        .filter((m) => m.subject.digest === platform.manifest.digest);
      assert.deepEqual(artifacts.map((m) => m.artifactType).sort(), [
        "application/spdx+json",
        "application/vnd.cyclonedx+json",
      ]);
    }
  });

  test("status.d records the Conffiles md5sums leaves out, as dpkg's status does", () => {
    const record = readFileSync(join(rootfs, "var/lib/dpkg/status.d/tool"), "utf8");
    const md5 = createHash("md5").update("open=1").digest("hex");
    assert.match(record, new RegExp(`^Conffiles:\n /etc/tool.conf ${md5}$`, "m"));
  });

  test("the SBOMs declare each package's licence from the copyright file in its .deb", () => {
    const out = join(dirA(), "out");
    const doc = JSON.parse(readFileSync(`${out}.amd64.spdx.json`, "utf8"));
    const declared = (name: string) =>
      doc.packages.find((p: { name: string }) => p.name === name)?.licenseDeclared;
    assert.equal(declared("libc6"), "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND LGPL-2.1-or-later");
    assert.equal(declared("tool"), "NOASSERTION", "a package with no copyright file");
    const bom = JSON.parse(readFileSync(`${out}.amd64.cdx.json`, "utf8"));
    const libc = bom.components.find((c: { name: string }) => c.name === "libc6");
    assert.deepEqual(libc.licenses, [{ expression: declared("libc6") }]);
    assert.equal(doc.files, undefined, "no contents: no file no package owns");
  });

  test("the user's files are always in the SBOMs; --sbom-files adds every package's, as the image reader finds them", async () => {
    const appDir = join(work, "sbom-app");
    execFileSync("mkdir", ["-p", appDir]);
    writeFileSync(join(appDir, "main.py"), "print('hi')\n");
    const spec: Spec = { ...SPEC, contents: [{ source: appDir, destination: "/app" }] };
    const layout = join(work, "sbom-files");
    const sha = (alg: string, text: string) => createHash(alg).update(text).digest("hex");
    for (const sbomFiles of [false, true]) {
      await build(
        options({
          dir: dirA(),
          spec,
          archs: ["amd64"],
          sbomFiles,
          output: parseOutput(`oci:${layout}:v1`, "t"),
        }),
      );
      const doc = JSON.parse(readFileSync(`${layout}.amd64.spdx.json`, "utf8"));
      const bom = JSON.parse(readFileSync(`${layout}.amd64.cdx.json`, "utf8"));
      assert.ok(spdxValidator()(doc));
      assert.ok(cyclonedxValidator()(bom));
      const main = doc.files.find((f: { fileName: string }) => f.fileName === "./app/main.py");
      assert.deepEqual(main.checksums, [
        { algorithm: "SHA1", checksumValue: sha("sha1", "print('hi')\n") },
        { algorithm: "SHA256", checksumValue: sha("sha256", "print('hi')\n") },
      ]);
      assert.ok(
        doc.relationships.some(
          (r: { spdxElementId: string; relatedSpdxElement: string }) =>
            r.spdxElementId === "SPDXRef-Image" && r.relatedSpdxElement === main.SPDXID,
        ),
      );
      const names = doc.files.map((f: { fileName: string }) => f.fileName);
      assert.ok(!names.includes("./etc/passwd"), "generated by the build, not the user's");
      assert.ok(!names.some((n: string) => n.startsWith("./var/lib/dpkg/")));
      const libc = bom.components.find((c: { name: string }) => c.name === "libc6");
      if (!sbomFiles) {
        assert.deepEqual(names, ["./app/main.py"]);
        assert.equal(libc.components, undefined);
        continue;
      }
      const so = libc.components.find(
        (c: { name: string }) => c.name === "/usr/lib/x86_64-linux-gnu/libc.so.6",
      );
      assert.deepEqual(so.hashes, [
        { alg: "SHA-1", content: sha("sha1", "libc for amd64") },
        { alg: "SHA-256", content: sha("sha256", "libc for amd64") },
      ]);
      // The image reader, from the written image alone, finds the same files, owners and licences.
      const read = await imageSbomModel(`oci:${layout}:v1`, { files: true });
      const listed = (components: { name: string; components?: { name: string }[] }[]) =>
        Object.fromEntries(
          components.filter((c) => c.components).map((c) => [c.name, c.components?.map((f) => f.name)]),
        );
      assert.deepEqual(
        listed(bom.components),
        Object.fromEntries(
          read.packages.filter((p) => p.files).map((p) => [p.name, p.files?.map((f) => f.path)]),
        ),
      );
      assert.ok(listed(bom.components).tool?.includes("/etc/tool.conf"), "a conffile is its package's");
      assert.deepEqual(
        read.files.map((f) => f.path),
        ["/app/main.py"],
      );
      assert.equal(
        read.packages.find((p) => p.name === "libc6")?.license,
        doc.packages.find((p: { name: string }) => p.name === "libc6").licenseDeclared,
      );
    }
  });

  test("two builds in different directories, with different caches, give the same digests", async () => {
    const second = await build(options({ dir: join(work, "b") }));
    assert.equal(second.written.image.digest, first.written.image.digest);
    // Each file counted once: an `all` package is locked for both architectures but downloaded once.
    const files = new Map(
      Object.values(second.lock.arches).flatMap((ps) => ps.map((p) => [p.sha256, p.size])),
    );
    assert.equal(
      second.downloadedBytes,
      [...files.values()].reduce((n, size) => n + size, 0),
    );
    assert.deepEqual(
      second.written.platforms.map((p) => p.manifest.digest),
      first.written.platforms.map((p) => p.manifest.digest),
    );
  });

  test("a rebuild that changes only the contents rewrites only the contents layer", async () => {
    const appDir = join(work, "app");
    execFileSync("mkdir", ["-p", appDir]);
    writeFileSync(join(appDir, "run.bin"), "v1");
    const spec: Spec = {
      ...SPEC,
      contents: [{ source: appDir, destination: "/opt/app", owner: "65532:65532" }],
    };
    const one = await build(
      options({
        dir: dirA(),
        spec,
        archs: ["amd64"],
        output: parseOutput(`oci:${join(work, "c1")}:v1`, "t"),
      }),
    );
    writeFileSync(join(appDir, "run.bin"), "v2");
    const two = await build(
      options({
        dir: dirA(),
        spec,
        archs: ["amd64"],
        output: parseOutput(`oci:${join(work, "c2")}:v1`, "t"),
      }),
    );
    const layers = two.platforms[0].layers;
    assert.deepEqual(
      layers.map((l) => [l.name, l.cached]),
      layers.map((l) => [l.name, l.name !== "contents"]),
    );
    assert.notEqual(one.written.image.digest, two.written.image.digest);
    const root = unpack(join(work, "c2"), "v1", join(work, "unpacked-c2"));
    assert.equal(readFileSync(join(root, "opt/app/run.bin"), "utf8"), "v2");
  });

  test("contents can be copied out of another image, like COPY --from", async () => {
    const spec: Spec = {
      ...SPEC,
      contents: [
        {
          image: `oci:${join(dirA(), "out")}:v1`,
          path: "/usr/lib/x86_64-linux-gnu/libcudart.so.12.4.127",
          destination: "/opt/copied/libcudart.so",
          mode: "0644",
        },
      ],
    };
    await build(
      options({
        dir: dirA(),
        spec,
        archs: ["amd64"],
        output: parseOutput(`oci:${join(work, "cp")}:v1`, "t"),
      }),
    );
    const root = unpack(join(work, "cp"), "v1", join(work, "unpacked-cp"));
    assert.equal(readFileSync(join(root, "opt/copied/libcudart.so"), "utf8"), "cudart for amd64");
  });

  test("the docker-archive loads into podman", async (t) => {
    const file = join(work, "img.tar");
    await build(
      options({
        dir: dirA(),
        archs: ["amd64"],
        output: parseOutput(`docker-archive:${file}:testimg:v1`, "t"),
      }),
    );
    const podman = throwawayPodman(join(work, "podman"));
    if (typeof podman === "string") {
      t.skip(podman);
      return;
    }
    try {
      podman.run(["load", "-i", file]);
      const info = JSON.parse(podman.run(["image", "inspect", "testimg:v1"]));
      assert.equal(info[0].Config.User, "65532:65532");
    } finally {
      podman.reset();
    }
  });

  test("a failed build leaves the previous output untouched and no temporary files", async () => {
    const spec: Spec = { ...SPEC, packages: [...(SPEC.packages ?? []), "no-such-package"] };
    const out = join(dirA(), "out");
    const before = readFileSync(join(out, "index.json"), "utf8");
    await assert.rejects(build(options({ dir: dirA(), spec })), (err) =>
      isCudasealError(err, "RESOLVE_NOT_FOUND"),
    );
    assert.equal(readFileSync(join(out, "index.json"), "utf8"), before);
    assert.deepEqual(
      readdirSync(dirA()).filter((f) => f.includes("tmp")),
      [],
    );
  });

  test("a lock without an architecture asked for is LOCK_INVALID, not a bug", async () => {
    const lock = { ...first.lock, arches: { amd64: first.lock.arches.amd64 } };
    await assert.rejects(build(options({ dir: dirA(), lock })), (err) =>
      isCudasealError(err, "LOCK_INVALID"),
    );
  });
});
