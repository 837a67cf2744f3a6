// The wheel installer: wheels into layer entries (PEP 427) without running
// Python, with hostile wheels refused by code.

export { type EntryPoint, entryPointScript } from "./entry-points.ts";
export {
  checkWheelConflicts,
  type DeflatedMember,
  emptyWheelMeta,
  inspectWheel,
  type PlannedFile,
  type WheelFile,
  type WheelInfo,
  type WheelInstallOptions,
  type WheelLayerEntry,
  type WheelLayerMeta,
  wheelLayerEntries,
} from "./install.ts";
export { type InstallTarget, parseInstallTarget, type Scheme, schemeFor, venvEntries } from "./scheme.ts";
export { writeWheelLayerBlob } from "./wheel-blob.ts";
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from "./zip-reader.ts";
