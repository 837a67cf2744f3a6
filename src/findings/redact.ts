// Secrets never leave cudaseal whole: every output shows a few leading
// characters and the length, enough to recognise a key without leaking it.

/** `AKIA…(20 chars)`: the first `keep` characters (4 by default) and the length. */
export function redact(secret: string, keep = 4): string {
  const shown = secret.length <= keep * 2 ? Math.min(keep, Math.floor(secret.length / 3)) : keep;
  return `${secret.slice(0, shown)}…(${secret.length} chars)`;
}
