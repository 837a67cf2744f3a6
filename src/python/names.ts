// Python project names as indexes and locks compare them (PEP 503): lower
// case, every run of `-`, `_` and `.` one `-`. `Foo_Bar`, `foo.bar` and
// `FOO-bar` are one project.

/** The normalised project name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** A valid project name (PEP 508): letters and digits at both ends, `-_.` between. */
export function isValidName(name: string): boolean {
  return name.length <= 200 && /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name);
}
