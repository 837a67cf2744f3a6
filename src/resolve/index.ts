// What other stages may use from resolution: resolve a request to an exact
// install set, lock what the sources hold for a request, and turn install
// sets into a lock and back.

export { type CudaChoice, publishedCudaVersions } from "./cuda-packages.ts";
export { isHostProvidedName, isHostProvidedPackage } from "./host-provided.ts";
export {
  LOCKFILE_VERSION,
  type Lock,
  type LockRequest,
  type LockSource,
  lockedPackage,
  packageUrl,
  parseLock,
  readLockFile,
  repositoryName,
  serializeLock,
  toLock,
} from "./lock.ts";
export { lockFromSources } from "./lock-from-sources.ts";
export { PackageIndex } from "./package-index.ts";
export { type PackageSpec, parsePackageSpec, type ResolveRequest } from "./request.ts";
export { type Resolution, resolve } from "./resolver.ts";
export { isScriptFetched, SCRIPT_FETCHED, scriptFetchedHint } from "./script-fetched.ts";
export { sonamePackageNames, sonameProvider } from "./soname-provider.ts";
