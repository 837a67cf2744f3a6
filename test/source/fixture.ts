// A small image exercising everything the image reader must get right: files
// over two layers, a whiteout, an opaque directory, and the package databases
// of dpkg (status and status.d) and apk.

import type { BuiltImage } from "../../src/oci/image-plan.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u4)
Version: 2.36-9+deb12u4+b1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`;

const APK = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
L:MIT
o:musl
F:lib
R:ld-musl-x86_64.so.1

C:Q1def=
P:busybox
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
`;

/** Layer files: the base, and the layer over it. */
export const BASE = {
  "etc/hello": "hello\n",
  "etc/gone": "bye\n",
  "opt/d/a": "a\n",
  "opt/d/sub/b": "b\n",
  "var/lib/dpkg/status": STATUS,
  "var/lib/dpkg/status.d/base-files": "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
  "var/lib/dpkg/status.d/base-files.md5sums": "d41d8cd98f00b204e9800998ecf8427e  etc/issue\n",
  "lib/apk/db/installed": APK,
};
export const TOP = {
  "etc/.wh.gone": "",
  "etc/hello": "hello again\n",
  "opt/d/.wh..wh..opq": "",
  "opt/d/c": "c\n",
  "var/lib/dpkg/status.d/tzdata":
    "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nSource: tzdata-src\n",
};

/** A one-platform amd64 image and a two-platform one, tagged v1. */
export function makeImages(dir: string): { single: BuiltImage; multi: BuiltImage } {
  const base = makeLayer(dir, "base", BASE);
  const top = makeLayer(dir, "top", TOP);
  const arm = makeLayer(dir, "arm", { "opt/arch": "arm64\n" });
  return {
    single: { platforms: [platformImage("amd64", [base, top])], tag: "v1" },
    multi: {
      platforms: [platformImage("amd64", [base, top]), platformImage("arm64", [base, arm])],
      tag: "v1",
    },
  };
}
