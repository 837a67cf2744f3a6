// The loader's view of an image: ld.so.conf, glibc's ld.so.cache, and the
// check that every ELF file's DT_NEEDED and every interpreter resolves.

export { defaultLibraryDirectories } from "./arch.ts";
export { HOST_LIBRARIES, isHostLibrary } from "./host-libraries.ts";
export {
  buildLdCache,
  DEFAULT_GENERATOR,
  type EncodeOptions,
  encodeLdCache,
  type LdCache,
  type LdCacheOptions,
  type ParsedLdCache,
  parseLdCache,
} from "./ld-cache.ts";
export {
  type LdConfDirectory,
  type ReadLdConfOptions,
  readLdConf,
  readLdConfDirectories,
} from "./ld-conf.ts";
export type {
  LdCacheEntry,
  LibraryDirectory,
  LibraryScan,
  ScannedLibrary,
  SonameLink,
} from "./library-scan.ts";
export {
  checkLinks,
  type LinkCheckOptions,
  type LinkCheckResult,
  type LinkProblem,
  type SkippedFile,
  type SonameConflict,
  withSonameLinks,
} from "./link-check.ts";
export { linkError, type ProviderOf, sonameConflictError } from "./link-errors.ts";
export type { ElfFacts, ImageTree, TreeNode } from "./types.ts";
