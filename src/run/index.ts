// `cudaseal run`: a daemonless runner for one image (docs/run.md).

export { type GpuInjection, type GpuRequest, parseGpuRequest } from "./gpu.ts";
export { parseSize } from "./plan.ts";
export { type PrivilegeMode, privilegeMode } from "./privileges.ts";
export { type RunOptions, type RunResult, runImage } from "./run.ts";
export {
  parseSmokeOutput,
  runSmoke,
  type SmokeProgramOutput,
  type SmokeRunFacts,
  smokeReport,
} from "./smoke-report.ts";
export { rootfsCacheDir, type UnpackedImage, unpackImage } from "./unpack.ts";
export { parseVolume, type Volume } from "./volumes.ts";
