// The SLSA provenance v1 predicate of a build: what was asked for (the spec
// files, their digests and text; the lock's digest; the architectures and
// compression; with `python:` the Python lock's digest), what went in
// (every .deb and wheel, by purl, file name and SHA-256),
// and who built it. It is made from the build's inputs only: its times are
// the image's created time, never the clock, so a rebuild from the same
// lock gives the same provenance byte for byte. `cudaseal attest --type
// slsaprovenance1` signs it as cosign does.

import { createHash } from "node:crypto";
import type { LockedPackage } from "../apt/types.ts";
import { canonicalJson } from "../oci/canonical-json.ts";
import { type Lock, serializeLock } from "../resolve/index.ts";
import { debPurl, pypiPurl } from "../sbom/index.ts";

/** The predicate type URI. */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** What a cudaseal build is: the externalParameters below, run through the pipeline in docs/build-process.md. */
export const CUDASEAL_BUILD_TYPE = "https://cudaseal.dev/buildtypes/image/v1";

/** One spec file the build read (the spec and its includes). */
export interface ProvenanceSpecFile {
  /** How the build named it: the path as given, `preset:NAME`, or an include path relative to the spec. */
  name: string;
  content: string;
}

export interface ProvenanceInput {
  /** cudaseal's version. */
  version: string;
  /** The spec as given on the command line (`app.yaml`, `preset:cuda-runtime`). */
  spec: string;
  specFiles: readonly ProvenanceSpecFile[];
  /** What the command line set over the spec's own fields (build's --cuda, --annotation). */
  specOverrides?: SpecOverrides;
  lock: Lock;
  archs: readonly string[];
  compression: { algorithm: string; level: number };
  sourceDateEpoch?: number;
  /** The image's created time (RFC 3339), the provenance's only time. */
  created: string;
  /** With `python:`: the Python lock as the spec names it, and every wheel installed. */
  python?: ProvenancePython;
}

/** Spec fields a build took from its command line instead of the spec files. */
export interface SpecOverrides {
  cuda?: string;
  annotations?: Record<string, string>;
}

/** What a build with `python:` took in besides the .debs. */
export interface ProvenancePython {
  /** The lock's name as the spec gives it, and its text's SHA-256. */
  lock: { name: string; sha256: string };
  wheels: readonly { name: string; version: string; filename: string; sha256: string }[];
}

interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest: Record<string, string>;
  content?: string;
  annotations?: Record<string, unknown>;
}

/** The SLSA v1 provenance predicate for a build. */
export function slsaProvenance(input: ProvenanceInput): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: CUDASEAL_BUILD_TYPE,
      externalParameters: {
        spec: {
          ref: input.spec,
          files: input.specFiles.map((f) => ({
            name: f.name,
            digest: { sha256: sha256(f.content) },
            content: f.content,
          })),
          ...(input.specOverrides ? { overrides: input.specOverrides } : {}),
        },
        lock: { digest: { sha256: sha256(serializeLock(input.lock)) } },
        archs: [...input.archs],
        compression: input.compression,
        ...(input.sourceDateEpoch !== undefined ? { sourceDateEpoch: input.sourceDateEpoch } : {}),
        ...(input.python
          ? { pythonLock: { name: input.python.lock.name, digest: { sha256: input.python.lock.sha256 } } }
          : {}),
      },
      resolvedDependencies: [
        ...resolvedDependencies(input.lock, input.archs),
        ...wheelDependencies(input.python),
      ],
    },
    runDetails: {
      builder: { id: `cudaseal@${input.version}` },
      metadata: { startedOn: input.created, finishedOn: input.created },
    },
  };
}

/** The predicate as the file `--provenance` writes: canonical JSON and a newline. */
export function provenanceText(input: ProvenanceInput): string {
  return `${canonicalJson(slsaProvenance(input))}\n`;
}

/** Every .deb the build installed, once each (an `all` package serves every architecture), sorted. */
function resolvedDependencies(lock: Lock, archs: readonly string[]): ResourceDescriptor[] {
  const seen = new Map<string, ResourceDescriptor>();
  for (const arch of archs) {
    for (const pkg of (Object.hasOwn(lock.arches, arch) ? lock.arches[arch] : undefined) ?? []) {
      if (!seen.has(pkg.sha256)) seen.set(pkg.sha256, dependency(pkg));
    }
  }
  return [...seen.values()].sort((a, b) => (a.uri! < b.uri! ? -1 : a.uri! > b.uri! ? 1 : 0));
}

function dependency(pkg: LockedPackage): ResourceDescriptor {
  return {
    uri: debPurl(pkg),
    name: pkg.filename.slice(pkg.filename.lastIndexOf("/") + 1),
    digest: { sha256: pkg.sha256 },
  };
}

/** Every wheel installed, once each, by pypi purl, file name and SHA-256, sorted. */
function wheelDependencies(python: ProvenancePython | undefined): ResourceDescriptor[] {
  const seen = new Map<string, ResourceDescriptor>();
  for (const w of python?.wheels ?? [])
    if (!seen.has(w.sha256))
      seen.set(w.sha256, { uri: pypiPurl(w), name: w.filename, digest: { sha256: w.sha256 } });
  return [...seen.values()].sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
