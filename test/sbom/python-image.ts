// An image with Python distributions in every place they are found: wheels
// built and installed by the real pip (`pip install --target` into
// /usr/local's dist-packages), a venv's site-packages written as uv leaves
// it (License-Expression, INSTALLER uv), a single-file egg-info, a Debian
// package's own egg-info (owned by python3-six in dpkg's records, so not a
// PyPI package), and hostile metadata: a METADATA that is a symlink, one with
// an invalid name. Debian trixie, so `scan` matches it.

import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { writeOciLayout } from "../../src/oci/layout-writer.ts";
import { type BuiltWheel, buildWheel, DEBIAN_PYTHON, pipInstallTarget } from "../helpers/wheels.ts";
import { makeLayer, platformImage } from "../oci/fixture-image.ts";

export const SITE = "usr/local/lib/python3.13/dist-packages";
export const VENV = "opt/venv/lib/python3.13/site-packages";

/**
 * Whether Debian's pip, wheel and setuptools are there. setuptools is
 * imported first: imported after pip, an older setuptools finds the
 * stdlib's distutils already loaded and refuses.
 */
export function wheelToolsAvailable(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ["-c", "import setuptools, wheel, pip"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface PythonImage {
  /** `oci:` reference of the image's layout. */
  ref: string;
  wheels: { demo: BuiltWheel; insecure: BuiltWheel };
}

const STATUS = `Package: python3-six
Status: install ok installed
Architecture: all
Version: 1.16.0-7

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.41-12
`;

/** Build the wheels, install them with pip, and write the image as an OCI layout under `dir`. */
export async function makePythonImage(dir: string): Promise<PythonImage> {
  const wheelDir = join(dir, "wheels");
  const demo = await buildWheel(
    {
      name: "Demo_Pkg",
      version: "1.2.0",
      metadata: { license: "MIT", classifiers: ["License :: OSI Approved :: MIT License"] },
      consoleScripts: { demo: "demo_pkg:main" },
    },
    wheelDir,
  );
  const insecure = await buildWheel(
    {
      name: "insecure.lib",
      version: "1.4.2",
      metadata: {
        classifiers: [
          "License :: OSI Approved",
          "License :: OSI Approved :: Apache Software License",
          "License :: OSI Approved :: BSD License",
        ],
      },
    },
    wheelDir,
  );
  const pipRoot = join(dir, "src-pip");
  await pipInstallTarget([demo.path, insecure.path], join(pipRoot, SITE));
  // The helper runs pip with HOME in the target: what tools leave there is not the image's.
  rmSync(join(pipRoot, SITE, ".rustup"), { recursive: true, force: true });
  rmSync(join(pipRoot, SITE, ".cache"), { recursive: true, force: true });

  const base = makeLayer(dir, "base", {
    "etc/os-release":
      'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n',
    "var/lib/dpkg/status": STATUS,
    "var/lib/dpkg/info/python3-six.list":
      "/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n/usr/lib/python3/dist-packages/six.py\n",
    "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO":
      "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
    "usr/lib/python3/dist-packages/six.py": "# six\n",
  });
  const pip = makeLayer(dir, "pip", {});
  const venv = makeLayer(dir, "venv", {
    [`${VENV}/other_thing-2.0.dist-info/METADATA`]:
      "Metadata-Version: 2.4\nName: Other_Thing\nVersion: 2.0\nLicense-Expression: Apache-2.0 OR mit\nLicense-File: LICENSE\n\nA long description.\nName: not-this\n",
    [`${VENV}/other_thing-2.0.dist-info/INSTALLER`]: "uv\n",
    [`${VENV}/other_thing-2.0.dist-info/RECORD`]:
      'other_thing/__init__.py,sha256=x,5\n"other_thing/a,b.py",,\nother_thing-2.0.dist-info/METADATA,,\n',
    [`${VENV}/other_thing/__init__.py`]: "x = 1",
    [`${VENV}/other_thing/a,b.py`]: "# comma\n",
    [`${VENV}/legacy-0.9-py3.13.egg-info`]:
      "Metadata-Version: 1.1\nName: legacy\nVersion: 0.9\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)\n",
    [`${VENV}/evil-1.0.dist-info/METADATA`]: { symlink: "/etc/passwd" },
    [`${VENV}/bad-1.0.dist-info/METADATA`]: "Name: ../../etc\nVersion: 1.0\n",
    // Vendored metadata deeper than site-packages is part of its distribution, not one of its own.
    [`${VENV}/other_thing/_vendor/inner-1.0.dist-info/METADATA`]: "Name: inner\nVersion: 1.0\n",
  });
  const ref = join(dir, "layout");
  await writeOciLayout(ref, { platforms: [platformImage("amd64", [base, pip, venv])], tag: "v1" });
  return { ref: `oci:${ref}`, wheels: { demo, insecure } };
}
