// `cudaseal deploy IMAGE --target k8s|compose|docker`: a hardened
// deployment derived from the image itself.

import { type DeployTarget, deploy, type WorkloadKind } from "../../deploy/index.ts";
import { CudasealError } from "../../errors.ts";
import { type Command, stringFlag } from "../command.ts";

export const deployCommand: Command = {
  name: "deploy",
  help: `Usage: cudaseal deploy IMAGE --target k8s|compose|docker [options]

Reads the image (oci:DIR[:TAG], oci-archive:FILE[:TAG] or
docker-archive:FILE[:NAME:TAG]) and writes how to run it, derived from its
config: pinned by digest, as its numeric non-root user, with a read-only
root and writable mounts only where it writes (/tmp, declared volumes, HOME
and cache directories from its environment), no capabilities, no new
privileges, RuntimeDefault seccomp, its exposed ports, GPUs and shared
memory. Kubernetes output meets the Pod Security Standards 'restricted'
profile. An image that runs as root or as a user name is refused unless
--user gives a numeric UID:GID. See docs/deploy.md.

Options:
  --target TARGET         k8s, compose or docker (required)
  --kind KIND             Deployment, Job or Pod (k8s; default: Deployment)
  --name NAME             workload and container name (default: the image's title)
  --image-ref REF         where the image is pulled from, e.g. registry.example/team/app
  --digest DIGEST         pin this manifest digest instead of the image's own (after a push)
  --gpus N                GPUs: a count, all (compose, docker) or device=0,1 (docker)
  --runtime-class NAME    runtimeClassName (k8s) or --runtime (docker), e.g. nvidia
  --shm-size SIZE         /dev/shm size, e.g. 2Gi (default: 1Gi with GPUs)
  --user UID:GID          run as this numeric user instead of the image's
  --memory SIZE           memory limit, e.g. 16Gi
  --cpu CPUS              CPU limit, e.g. 4 or 500m
  --namespace NS          metadata.namespace (k8s)
  --arch ARCH             which platform of a multi-platform image (default: this machine's)

Examples:
  cudaseal deploy oci:out/cuda-base --target k8s --image-ref registry.example/team/app --gpus 1 > app.yaml
  cudaseal deploy oci:out/cuda-base --target compose --image-ref registry.example/team/app > compose.yaml
  cudaseal deploy oci:out/cuda-base --target docker --image-ref registry.example/team/app --shm-size 2g`,
  flags: {
    target: { type: "string" },
    kind: { type: "string" },
    name: { type: "string" },
    "image-ref": { type: "string" },
    digest: { type: "string" },
    gpus: { type: "string" },
    "runtime-class": { type: "string" },
    "shm-size": { type: "string" },
    user: { type: "string" },
    memory: { type: "string" },
    cpu: { type: "string" },
    namespace: { type: "string" },
    arch: { type: "string" },
  },
  async run(positionals, flags, out) {
    if (positionals.length !== 1) {
      throw new CudasealError("USAGE", "name one image to deploy", {
        hint: "cudaseal deploy oci:out/cuda-base --target k8s --image-ref registry.example/team/app",
      });
    }
    const target = stringFlag(flags, "target");
    if (target === undefined)
      throw new CudasealError("USAGE", "--target is required", { hint: "--target k8s, compose or docker" });
    const optional = (flag: string, key: string) => {
      const v = stringFlag(flags, flag);
      return v === undefined ? {} : { [key]: v };
    };
    const result = await deploy({
      image: positionals[0],
      target: target as DeployTarget,
      ...(optional("kind", "kind") as { kind?: WorkloadKind }),
      ...optional("name", "name"),
      ...optional("image-ref", "imageRef"),
      ...optional("digest", "digest"),
      ...optional("gpus", "gpus"),
      ...optional("runtime-class", "runtimeClass"),
      ...optional("shm-size", "shmSize"),
      ...optional("user", "user"),
      ...optional("memory", "memory"),
      ...optional("cpu", "cpu"),
      ...optional("namespace", "namespace"),
      ...optional("arch", "arch"),
    });
    for (const note of result.plan.notes) out.note(`note: ${note}`);
    if (out.json)
      out.jsonData({
        target: result.plan.target,
        image: result.plan.image,
        document: result.document,
        notes: result.plan.notes,
      });
    else out.data(result.text);
    return 0;
  },
};
