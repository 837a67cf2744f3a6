// openpgp.js, loaded only when a signature or a key must actually be read:
// loading it costs some 220 ms, most of a warm resolve, and a warm resolve
// whose InRelease files were all verified before reads neither
// (inrelease-verified.ts).

type OpenPGP = typeof import("openpgp");

let loading: Promise<OpenPGP> | undefined;
let uses = 0;

/** The openpgp module, imported on first use. */
export function openpgp(): Promise<OpenPGP> {
  uses++;
  loading ??= import("openpgp");
  return loading;
}

/** How many times anything in this process asked for openpgp.js; tests compare it across a warm read. */
export function openpgpUses(): number {
  return uses;
}
