// Debian version numbers, compared exactly as dpkg does (lib/dpkg/version.c).
//
// A version is `[epoch:]upstream[-revision]`: the epoch is the digits before
// the first colon, the revision what follows the last hyphen. Epochs compare
// as numbers; upstream and revision compare by dpkg's `verrevcmp`: the string
// alternates non-digit and digit runs; non-digit runs compare character by
// character with `~` before everything (even the end of the string), then the
// end, then letters, then every other character; digit runs compare as
// numbers. Digit runs here are compared as strings without leading zeros, so
// `1.00000000000000000000001` neither overflows nor loses precision.

export type VersionOp = "<<" | "<=" | "=" | ">=" | ">>";

interface ParsedVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b`. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const va = split(a);
  const vb = split(b);
  const epoch = compareDigits(va.epoch, vb.epoch);
  if (epoch !== 0) return epoch;
  const upstream = verrevcmp(va.upstream, vb.upstream);
  if (upstream !== 0) return upstream;
  return verrevcmp(va.revision, vb.revision);
}

/** Whether `version` satisfies the relation `op target` (`>= 1.2`). */
export function satisfies(version: string, op: VersionOp, target: string): boolean {
  const c = compareVersions(version, target);
  switch (op) {
    case "<<":
      return c < 0;
    case "<=":
      return c <= 0;
    case "=":
      return c === 0;
    case ">=":
      return c >= 0;
    case ">>":
      return c > 0;
  }
}

export interface VersionProblem {
  /** dpkg refuses `error` versions outright and accepts `warning` ones with a complaint. */
  level: "error" | "warning";
  message: string;
}

/** What dpkg would say about a version string, or undefined when it is clean. */
export function versionProblem(version: string): VersionProblem | undefined {
  const error = (message: string): VersionProblem => ({ level: "error", message });
  const warning = (message: string): VersionProblem => ({ level: "warning", message });
  const string = version.trim();
  if (string.length === 0) return error("version string is empty");
  if (/\s/.test(string)) return error("version string has embedded spaces");
  let rest = string;
  const colon = string.indexOf(":");
  if (colon !== -1) {
    const epoch = string.slice(0, colon);
    if (epoch.length === 0) return error("epoch in version is empty");
    if (!/^\d+$/.test(epoch)) return error("epoch in version is not number");
    if (compareDigits(epoch, "2147483647") > 0) return error("epoch in version is too big");
    rest = string.slice(colon + 1);
    if (rest.length === 0) return error("nothing after colon in version number");
  }
  const hyphen = rest.lastIndexOf("-");
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? "" : rest.slice(hyphen + 1);
  if (hyphen !== -1 && revision.length === 0) return error("revision number is empty");
  if (upstream.length === 0) return error("upstream version is empty");
  if (!isDigit(upstream.charCodeAt(0))) return warning("version number does not start with digit");
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) return warning("invalid character in version number");
  if (!/^[A-Za-z0-9.+~]*$/.test(revision)) return warning("invalid character in revision number");
  return undefined;
}

/** True when dpkg would accept the version without even a warning. */
export function isValidVersion(version: string): boolean {
  return versionProblem(version) === undefined;
}

/** Sort comparator putting the highest version first. */
export function byVersionDescending(a: string, b: string): number {
  return compareVersions(b, a);
}

// Lenient on purpose: comparison never throws; validation is versionProblem's job.
function split(version: string): ParsedVersion {
  let rest = version.trim();
  let epoch = "0";
  const colon = rest.indexOf(":");
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  if (hyphen === -1) return { epoch, upstream: rest, revision: "" };
  return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** dpkg's `order`: the weight of one character in a non-digit run; NaN (past the end) is 0. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // ~
  return c + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Compare two runs of ASCII digits as unbounded non-negative integers. */
function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la - lb;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return 0;
}
