// What an image needs of the host and of its deployment: a driver new
// enough for its CUDA, a non-root numeric user, writable mounts for the
// paths it writes under a read-only root, and a volume for model caches.

import { isCudasealError } from "../errors.ts";
import { checkDriver } from "../image/cuda-compat.ts";
import type { RuntimeFacts } from "../image/runtime-facts.ts";
import { type Check, check } from "./check.ts";

/** The host driver against the image's NVIDIA_REQUIRE_CUDA. */
export function imageCudaCheck(facts: RuntimeFacts, driver: string | undefined): Check {
  if (!facts.requireCuda) {
    return check(
      "image-cuda",
      "skip",
      facts.gpu ? "the image sets no NVIDIA_REQUIRE_CUDA" : "the image asks for no GPU",
    );
  }
  if (!driver)
    return check("image-cuda", "skip", `the image requires ${facts.requireCuda}; no driver to compare`);
  let r: ReturnType<typeof checkDriver>;
  try {
    r = checkDriver(driver, facts.requireCuda);
  } catch (err) {
    // The container toolkit refuses a requirement it cannot parse, so the container would not start.
    if (!isCudasealError(err)) throw err;
    return check(
      "image-cuda",
      "fail",
      err.message,
      "fix NVIDIA_REQUIRE_CUDA in the image (e.g. cuda>=12.4), or run it with NVIDIA_DISABLE_REQUIRE=true",
    );
  }
  const disabled = facts.env.NVIDIA_DISABLE_REQUIRE === "true" || facts.env.NVIDIA_DISABLE_REQUIRE === "1";
  const upgrade = `upgrade the driver${r.minimum ? ` to ${r.minimum} or newer` : ""}, or use an image built for CUDA ${r.driverCuda ?? "the driver's version"}`;
  if (!r.ok) return check("image-cuda", "fail", r.reason, upgrade);
  if (r.viaMinorVersionCompat) {
    return check(
      "image-cuda",
      disabled ? "ok" : "warn",
      disabled ? `${r.reason} (the image sets NVIDIA_DISABLE_REQUIRE)` : r.reason,
      disabled ? undefined : `${upgrade}; or run it with NVIDIA_DISABLE_REQUIRE=true and accept the limits`,
    );
  }
  return check("image-cuda", "ok", r.reason);
}

/** The user: root fails, a name warns (Kubernetes cannot prove it non-root). */
export function imageUserCheck(facts: RuntimeFacts): Check {
  const u = facts.user;
  if (u.root) {
    return check(
      "image-user",
      "fail",
      `the image runs as ${u.raw === "" ? "root (no User set)" : `root (User ${u.raw})`}`,
      "set a numeric non-root user in the image (cudaseal specs: accounts.runAs: 65532:65532), or deploy with --user UID:GID",
    );
  }
  if (!u.numeric) {
    return check(
      "image-user",
      "warn",
      `the image runs as ${u.raw}, a name: runAsNonRoot cannot check it without the image's /etc/passwd`,
      "use a numeric UID:GID in the image, or deploy with --user UID:GID",
    );
  }
  return check("image-user", "ok", `the image runs as ${u.uid}:${u.gid}`);
}

/** The paths a read-only root must mount writable. */
export function imageReadOnlyCheck(facts: RuntimeFacts): Check {
  const list = facts.writable.map((w) => `${w.path} (${w.from ?? w.reason})`).join(", ");
  if (facts.writable.some((w) => w.path === "/")) {
    return check(
      "image-read-only-root",
      "warn",
      `the image writes to / itself: ${list}`,
      "move the volume or cache into a directory of its own; / cannot be mounted over",
    );
  }
  return check(
    "image-read-only-root",
    "ok",
    `ready for a read-only root with writable mounts at ${list}`,
    "cudaseal deploy adds them (emptyDir, tmpfs or volumes) for every target",
  );
}

/** Model caches named in the environment: downloads there are lost without a volume. */
export function imageModelCacheCheck(facts: RuntimeFacts): Check {
  const caches = facts.writable.filter((w) => w.reason === "model-cache");
  if (caches.length === 0) return check("image-model-cache", "ok", "the image names no model cache");
  const list = caches.map((c) => `${c.from}=${c.path}`).join(", ");
  return check(
    "image-model-cache",
    "warn",
    `${list}: models downloaded there are lost when the container stops, and the read-only root refuses them without a mount`,
    `mount a persistent volume there (docker: -v models:${caches[0].path}; cudaseal run: -v /srv/models:${caches[0].path}; Kubernetes: a PersistentVolumeClaim)`,
  );
}
