// Python applications: reading locks (uv.lock, PEP 751 pylock.toml, hashed
// requirements.txt), PEP 440 versions and specifiers, PEP 508 markers for
// the image, wheel tags, and the plan of which wheel to fetch for each
// package from where. The wheel installer lives in ./wheel/.

export { authHeaders, type IndexAuthOptions } from "./index-auth.ts";
export { lockFormat, readPythonLock } from "./lock.ts";
export type { ReadLockOptions } from "./lock-common.ts";
export { environmentFor, evaluateMarker, type MarkerEnvironment, parseMarker } from "./markers.ts";
export { normalizeName } from "./names.ts";
export {
  type ContainsOptions,
  compareParsed,
  compareVersions,
  formatSpecifiers,
  formatVersion,
  isPrerelease,
  normalizeVersion,
  parseSpecifiers,
  parseVersion,
  type Specifier,
  satisfies,
  tryParseVersion,
  type Version,
  versionsEqual,
} from "./pep440.ts";
export { type PlanOptions, planPython } from "./plan.ts";
export { chooseWheel } from "./select.ts";
export { type IndexFile, listProjectFiles, type SimpleIndexOptions } from "./simple-index.ts";
export { parseWheelName, supportedTags, type WheelName } from "./tags.ts";
export type { ChosenWheel, InterpreterFacts, LockedFile, LockedPythonPackage, PythonLock } from "./types.ts";
export {
  checkWheelConflicts,
  DEFAULT_ZIP_LIMITS,
  type DeflatedMember,
  type EntryPoint,
  emptyWheelMeta,
  entryPointScript,
  type InstallTarget,
  inspectWheel,
  type PlannedFile,
  parseInstallTarget,
  type Scheme,
  schemeFor,
  venvEntries,
  type WheelFile,
  type WheelInfo,
  type WheelInstallOptions,
  type WheelLayerEntry,
  type WheelLayerMeta,
  wheelLayerEntries,
  writeWheelLayerBlob,
  type ZipLimits,
} from "./wheel/index.ts";
