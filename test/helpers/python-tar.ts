// Tar archives written by python3's tarfile module, for tests that need
// entries GNU tar and dpkg-deb refuse to make: names that climb with `..`,
// absolute paths, links that escape, device nodes. tarfile writes what it is
// given, so the archive is exactly as hostile as the spec says.

import { execFileSync } from "node:child_process";

/** One entry as tarfile should write it. */
export interface PyTarEntry {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "chardev" | "blockdev" | "fifo";
  /** File contents (UTF-8). */
  data?: string;
  linkname?: string;
  mode?: number;
}

export interface PyTarOptions {
  format?: "gnu" | "pax" | "ustar";
  /** Default none. */
  compression?: "gz" | "xz";
}

const SCRIPT = `
import io, json, sys, tarfile
spec = json.load(sys.stdin)
types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
         "hardlink": tarfile.LNKTYPE, "chardev": tarfile.CHRTYPE, "blockdev": tarfile.BLKTYPE,
         "fifo": tarfile.FIFOTYPE}
formats = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}
out = io.BytesIO()
mode = "w:" + spec["compression"] if spec["compression"] else "w"
with tarfile.open(fileobj=out, mode=mode, format=formats[spec["format"]]) as tar:
    for e in spec["entries"]:
        info = tarfile.TarInfo(e["name"])
        info.type = types[e.get("type", "file")]
        info.mode = e.get("mode", 0o755 if info.type == tarfile.DIRTYPE else 0o644)
        info.mtime = 1700000000
        info.linkname = e.get("linkname", "")
        if info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            info.devmajor, info.devminor = 1, 3
        data = e.get("data", "").encode() if info.type == tarfile.REGTYPE else b""
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data) if data else None)
sys.stdout.buffer.write(out.getvalue())
`;

/** The bytes of a tar archive holding `entries`, made by python3's tarfile. */
export function pythonTar(entries: PyTarEntry[], options: PyTarOptions = {}): Buffer {
  const spec = { entries, format: options.format ?? "gnu", compression: options.compression ?? "" };
  return execFileSync("python3", ["-c", SCRIPT], {
    input: JSON.stringify(spec),
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** One member as tarfile reads it back: an oracle independent of src/tar. */
export interface PyTarMember {
  name: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "other";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname: string;
  /** Hex SHA-256 of a file's contents. */
  sha256?: string;
}

const LIST = `
import hashlib, json, sys, tarfile
out = []
with tarfile.open(sys.argv[1]) as tar:
    for m in tar:
        kind = ("file" if m.isreg() else "dir" if m.isdir() else "symlink" if m.issym()
                else "hardlink" if m.islnk() else "other")
        item = {"name": m.name, "type": kind, "mode": m.mode, "uid": m.uid, "gid": m.gid,
                "mtime": int(m.mtime), "size": m.size, "linkname": m.linkname}
        if m.isreg():
            item["sha256"] = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
        out.append(item)
json.dump(out, sys.stdout)
`;

/** The members of the tar file at `path`, as python3's tarfile reads them. */
export function pythonList(path: string): PyTarMember[] {
  return JSON.parse(
    execFileSync("python3", ["-c", LIST, path], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }),
  );
}
