// `cudaseal doctor [IMAGE]`: is this host ready to run GPU containers, and,
// for an image, what it needs of the host and of its deployment.

import { renderDoctor, runDoctor } from "../../doctor/index.ts";
import { CudasealError } from "../../errors.ts";
import { type Command, stringFlag } from "../command.ts";

export const doctorCommand: Command = {
  name: "doctor",
  help: `Usage: cudaseal doctor [IMAGE] [options]

Checks the host for running GPU containers: the NVIDIA driver and its version
(/proc/driver/nvidia/version, else nvidia-smi), the /dev/nvidia* device
nodes, the NVIDIA Container Toolkit and its configuration for Docker,
containerd, CRI-O and CDI, the size of /dev/shm, the cgroup v2 limits, and
user namespaces. With an IMAGE (oci:DIR[:TAG], oci-archive:FILE[:TAG],
docker-archive:FILE[:NAME:TAG]) also: whether the driver is new enough for
its NVIDIA_REQUIRE_CUDA, the user it runs as, the paths it writes (for a
read-only root), and model caches that need a volume.

Each check is ok, warn, fail or skip, with a fix for warn and fail. Exits 1
when any check fails. See docs/doctor.md.

Options:
  --host-root DIR         read /proc, /dev, /sys and /etc under DIR (default: /, or $CUDASEAL_HOST_ROOT)
  --arch ARCH             which platform of a multi-platform image (default: this machine's)

Examples:
  cudaseal doctor
  cudaseal doctor oci:out/cuda-base --json`,
  flags: {
    "host-root": { type: "string" },
    arch: { type: "string" },
  },
  async run(positionals, flags, out) {
    if (positionals.length > 1) {
      throw new CudasealError("USAGE", "doctor takes at most one image", {
        hint: "cudaseal doctor oci:out/cuda-base",
      });
    }
    const root = stringFlag(flags, "host-root") ?? (process.env.CUDASEAL_HOST_ROOT || undefined);
    const report = await runDoctor({
      ...(root ? { root } : {}),
      ...(positionals[0] ? { image: positionals[0] } : {}),
      ...(stringFlag(flags, "arch") ? { arch: stringFlag(flags, "arch") } : {}),
    });
    if (out.json) out.jsonData(report);
    else out.data(renderDoctor(report));
    return report.ok ? 0 : 1;
  },
};
