// What the loader of each Debian architecture calls its own: the multiarch
// triplet, what $LIB and $PLATFORM expand to, the default search path, and
// the ld.so.cache flags ldconfig gives each kind of ELF object
// (sysdeps/generic/ldconfig.h and the per-architecture readelflib.c).

import { CudasealError } from "../errors.ts";

const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_X8664_LIB64 = 0x0300;
const FLAG_X8664_LIBX32 = 0x0800;
const FLAG_AARCH64_LIB64 = 0x0a00;

const EM_386 = 3;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

export interface LoaderArch {
  /** Debian architecture. */
  arch: string;
  triplet: string;
  /** $PLATFORM (AT_PLATFORM). */
  platform: string;
  /** The ELF class and machine the image's own loader runs. */
  bits: 32 | 64;
  machine: number;
  /** Whether C's `char` is signed there: it decides the cache's sort order for bytes past ASCII. */
  signedChar: boolean;
  /** ldconfig's flags for an object, or undefined for one ldconfig leaves out of the cache. */
  cacheFlags(bits: 32 | 64, machine: number): number | undefined;
}

const ARCHES: Readonly<Record<string, LoaderArch>> = {
  amd64: {
    arch: "amd64",
    triplet: "x86_64-linux-gnu",
    platform: "x86_64",
    bits: 64,
    machine: EM_X86_64,
    signedChar: true,
    cacheFlags(bits, machine) {
      if (machine === EM_X86_64) return FLAG_ELF_LIBC6 | (bits === 64 ? FLAG_X8664_LIB64 : FLAG_X8664_LIBX32);
      if (machine === EM_386 && bits === 32) return FLAG_ELF_LIBC6;
      return undefined;
    },
  },
  arm64: {
    arch: "arm64",
    triplet: "aarch64-linux-gnu",
    platform: "aarch64",
    bits: 64,
    machine: EM_AARCH64,
    signedChar: false,
    // 32-bit Arm objects carry their float ABI in e_flags, which ElfFacts does not hold; they are left out.
    cacheFlags(bits, machine) {
      return machine === EM_AARCH64 && bits === 64 ? FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64 : undefined;
    },
  },
};

/** The loader facts of a Debian architecture cudaseal builds for. */
export function loaderArch(arch: string): LoaderArch {
  const found = ARCHES[arch];
  if (!found)
    throw new CudasealError("SPEC_INVALID", `the link check and ld.so.cache know no architecture ${arch}`, {
      hint: `use one of ${Object.keys(ARCHES).join(", ")}`,
      details: { arch },
    });
  return found;
}

/**
 * The loader's trusted directories, searched after the cache and added by
 * ldconfig after ld.so.conf's: Debian's glibc puts the multiarch ones
 * first (`ld.so --help` lists the same four).
 */
export function defaultLibraryDirectories(arch: string): string[] {
  const { triplet } = loaderArch(arch);
  return [`/lib/${triplet}`, `/usr/lib/${triplet}`, "/lib", "/usr/lib"];
}
