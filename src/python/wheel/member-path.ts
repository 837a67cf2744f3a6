// A wheel member's name as a safe relative path. Zip names are untrusted:
// absolute paths, drive letters, backslashes (a separator to Windows tools
// and to some unzips), `.` and `..` segments, empty segments and control
// characters are refused (WHEEL_UNSAFE_PATH), so no name can climb out of the
// scheme folder it is mapped into or be read two ways.

import { CudasealError } from "../../errors.ts";

/** The member's path segments, or WHEEL_UNSAFE_PATH. Directory names keep no trailing slash. */
export function memberSegments(name: string, origin: string): string[] {
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  const segments = trimmed.split("/");
  const bad =
    trimmed === "" ||
    name.startsWith("/") ||
    name.includes("\\") ||
    /^[A-Za-z]:/.test(name) ||
    /[\u0000-\u001f\u007f]/.test(name) ||
    segments.some((s) => s === "" || s === "." || s === "..");
  if (bad) throw unsafe(origin, name, "is not a safe relative path");
  return segments;
}

export function unsafe(origin: string, name: string, why: string): CudasealError {
  return new CudasealError("WHEEL_UNSAFE_PATH", `${origin}: ${JSON.stringify(name)} ${why}`, {
    hint: "the wheel is malformed or hostile; do not use it",
    details: { wheel: origin, entry: name },
  });
}
