// `cudaseal sbom`: the SBOM of an image, read from the image or from its lock.

import { CudasealError } from "../../errors.ts";
import { readLockFile } from "../../resolve/index.ts";
import { imageSbomModel, SBOM_FORMATS, sbomModel } from "../../sbom/index.ts";
import { type Command, type FlagValues, stringFlag } from "../command.ts";

export const sbomCommand: Command = {
  name: "sbom",
  help: `Usage: cudaseal sbom IMAGE [--arch ARCH] [--format FORMAT] [--files]
       cudaseal sbom --lock FILE --digest sha256:HEX [options]

With IMAGE (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG])
it reads the image's package database (dpkg's status, distroless's status.d,
or apk's installed) in one streaming pass over its layers, whiteouts
applied, and lists every installed package with its version, purl and the
licence its Debian copyright file declares, and every file no package owns
(the image's own contents) with its SHA-256 and SHA-1. --files also lists
each package's files, with their checksums.

With --lock it describes the image cudaseal builds from that lock: every
package with its version, purl, the SHA-256 of its .deb and what it depends
on. Either way the output depends only on the image: the document's
identity comes from the image digest and its time from the image's created
time, never the clock.

Options:
  --files                 list every package's files with their checksums
  --lock FILE             the lock the image was built from
  --digest sha256:HEX     the image manifest's digest for that architecture
  --arch ARCH             architecture (default: amd64)
  --format FORMAT         spdx or cyclonedx (default: spdx)
  --name NAME             the image's name (default: its digest)
  --created TIME          the image's created time, RFC 3339
                          (default: $SOURCE_DATE_EPOCH)

Examples:
  cudaseal sbom oci:out/cuda-base --arch amd64 --format cyclonedx
  cudaseal sbom docker-archive:vendor.tar > vendor.spdx.json
  cudaseal sbom oci:out/my-app --files --format cyclonedx
  cudaseal sbom --lock cudaseal.lock.json --digest sha256:3b1f… > sbom.spdx.json
  cudaseal sbom --lock cudaseal.lock.json --digest sha256:3b1f… --arch arm64 --format cyclonedx`,
  flags: {
    lock: { type: "string" },
    digest: { type: "string" },
    arch: { type: "string" },
    format: { type: "string" },
    name: { type: "string" },
    created: { type: "string" },
    files: { type: "boolean" },
  },
  async run(positionals, flags, out) {
    if (positionals.length > 0) {
      const format = formatFrom(flags);
      const model = await imageSbomModel(positionals[0], {
        arch: stringFlag(flags, "arch"),
        files: flags.files === true,
      });
      out.data(SBOM_FORMATS[format].render(model));
      return 0;
    }
    if (flags.files === true) {
      throw new CudasealError("USAGE", "--files needs the image: a lock knows packages, not their files", {
        hint: "cudaseal sbom oci:DIR --files",
      });
    }
    const lockPath = stringFlag(flags, "lock");
    const digest = stringFlag(flags, "digest");
    if (!lockPath || !digest) {
      throw new CudasealError("USAGE", "name the lock and the image digest", {
        hint: "cudaseal sbom --lock cudaseal.lock.json --digest sha256:…",
      });
    }
    const formatName = stringFlag(flags, "format") ?? "spdx";
    if (formatName !== "spdx" && formatName !== "cyclonedx") {
      throw new CudasealError("USAGE", `unknown SBOM format: ${formatName}`, {
        hint: "use spdx or cyclonedx",
      });
    }
    const arch = stringFlag(flags, "arch") ?? "amd64";
    const lock = await readLockFile(lockPath);
    const packages = Object.hasOwn(lock.arches, arch) ? lock.arches[arch] : undefined;
    if (!packages) {
      throw new CudasealError("USAGE", `the lock has no packages for ${arch}`, {
        hint: `it has: ${Object.keys(lock.arches).join(", ")}`,
      });
    }
    const model = sbomModel(
      { name: stringFlag(flags, "name"), digest, created: createdFrom(stringFlag(flags, "created")), arch },
      packages,
    );
    out.data(SBOM_FORMATS[formatName].render(model));
    return 0;
  },
};

function createdFrom(created: string | undefined): string {
  if (created !== undefined) return created;
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === "") {
    throw new CudasealError("USAGE", "the SBOM needs the image's created time", {
      hint: "pass --created 2024-01-02T03:04:05Z or set SOURCE_DATE_EPOCH",
    });
  }
  const seconds = Number(epoch);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new CudasealError("USAGE", `SOURCE_DATE_EPOCH must be whole seconds: ${epoch}`);
  }
  return new Date(seconds * 1000).toISOString();
}

function formatFrom(flags: FlagValues): "spdx" | "cyclonedx" {
  const name = stringFlag(flags, "format") ?? "spdx";
  if (name !== "spdx" && name !== "cyclonedx") {
    throw new CudasealError("USAGE", `unknown SBOM format: ${name}`, { hint: "use spdx or cyclonedx" });
  }
  return name;
}
