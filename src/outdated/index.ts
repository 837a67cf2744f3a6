// `cudaseal outdated`: the updates a lock or an image could take today, what
// each fixes, and the lock that takes them. What others may use.

export { type CheckedUpdate, type Fix, isSecuritySuite } from "./fixes.ts";
export {
  lockSuite,
  type OutdatedImageOptions,
  type OutdatedLockOptions,
  type OutdatedReport,
  outdatedImage,
  outdatedLock,
} from "./outdated.ts";
export { outdatedJson, outdatedMarkdown, outdatedSummary, outdatedTable } from "./render.ts";
export type { PackageChange, PackageUpdate } from "./updates.ts";
