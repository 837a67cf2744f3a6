// `cudaseal doctor`: every host check, then, for an image, what it needs of
// this host and of its deployment. Returns data; prints nothing.

import { Host, type HostOptions, probeDriver } from "../host/index.ts";
import { runtimeFacts } from "../image/runtime-facts.ts";
import { openImage } from "../source/image-source.ts";
import type { Check } from "./check.ts";
import { deviceNodesCheck, driverCheck } from "./driver-checks.ts";
import { imageCudaCheck, imageModelCacheCheck, imageReadOnlyCheck, imageUserCheck } from "./image-checks.ts";
import { cgroupCheck, shmCheck, userNamespacesCheck } from "./limits-checks.ts";
import { cdiCheck, containerdCheck, crioCheck, dockerCheck, toolkitCheck } from "./runtime-checks.ts";

export interface DoctorOptions extends HostOptions {
  /** An image reference to check against this host (oci:DIR, docker-archive:FILE…). */
  image?: string;
  /** The platform of a multi-platform image. */
  arch?: string;
}

export interface DoctorReport {
  /** True when no check failed. */
  ok: boolean;
  driver?: string;
  image?: { ref: string; digest: string };
  checks: Check[];
}

/** Run the host checks, and the image checks when an image is named. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const host = new Host(options);
  const driver = await probeDriver(host);
  const checks: Check[] = [
    driverCheck(driver),
    deviceNodesCheck(host),
    toolkitCheck(host),
    dockerCheck(host),
    containerdCheck(host),
    crioCheck(host),
    cdiCheck(host, driver.version),
    shmCheck(host),
    cgroupCheck(host),
    userNamespacesCheck(host),
  ];
  const report: DoctorReport = { ok: true, checks };
  if (driver.version) report.driver = driver.version;
  if (options.image) {
    const opened = await openImage(options.image, options.arch ? { arch: options.arch } : {});
    const facts = runtimeFacts(opened.config);
    report.image = { ref: options.image, digest: opened.manifestDigest };
    checks.push(
      imageCudaCheck(facts, driver.version),
      imageUserCheck(facts),
      imageReadOnlyCheck(facts),
      imageModelCacheCheck(facts),
    );
  }
  report.ok = checks.every((c) => c.status !== "fail");
  return report;
}
