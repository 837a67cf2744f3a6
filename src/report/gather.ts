// `cudaseal report`'s library entry: one image's report, or two images'
// with their difference, and the lint findings of a Dockerfile beside them.
// Everything lands in one ReportData (model.ts) that every format renders.

import { CudasealError } from "../errors.ts";
import { lintDockerfile, readDockerfile } from "../lint/index.ts";
import type { DatabaseOptions } from "../scan/index.ts";
import { compareDelta } from "./compare-delta.ts";
import { findingRows, imageReport } from "./image-report.ts";
import type { ReportData } from "./model.ts";

export interface ReportOptions {
  /** The image to compare against (for example the vendor's nvidia/cuda). */
  compare?: string;
  /** Where vulnerability data comes from, as `cudaseal scan` takes it; absent: CVEs are not matched. */
  database?: DatabaseOptions;
  /** An audit policy file. */
  policy?: string;
  /** A Dockerfile to lint alongside. */
  lint?: string;
  arch?: string;
  now?: () => Date;
}

/** The report of `ref`, compared against `options.compare` when given. */
export async function gatherReport(ref: string, options: ReportOptions = {}): Promise<ReportData> {
  const now = options.now ?? (() => new Date());
  const refs = options.compare === undefined ? [ref] : [ref, options.compare];
  if (refs.length === 2 && refs[0] === refs[1]) {
    throw new CudasealError("USAGE", "--compare names the image the report is already about", {
      hint: "compare against another image: cudaseal report oci:out/cuda-runtime --compare docker-archive:nvidia-cuda.tar",
    });
  }
  // A Dockerfile that cannot be read fails before any image is read.
  const lint =
    options.lint === undefined
      ? undefined
      : lintDockerfile(await readDockerfile(options.lint), { path: options.lint });
  const read = [];
  for (const r of refs) {
    read.push(
      await imageReport(r, { arch: options.arch, database: options.database, policy: options.policy, now }),
    );
  }
  const data: ReportData = {
    schemaVersion: 1,
    generated: now().toISOString(),
    images: read.map((r) => r.report),
    warnings: read.flatMap((r) => r.warnings),
  };
  const database = read.find((r) => r.database !== undefined)?.database;
  if (database !== undefined) {
    data.database = {
      format: database.format,
      source: database.source,
      ...(database.ageSeconds === undefined ? {} : { ageSeconds: database.ageSeconds }),
    };
  }
  if (read.length === 2) {
    data.compare = compareDelta(read[0].report, read[1].report, [read[0].packages, read[1].packages]);
  }
  if (lint !== undefined) data.lint = { path: lint.path, findings: findingRows(lint.findings) };
  return data;
}
