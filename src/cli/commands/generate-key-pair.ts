// `cudaseal generate-key-pair`: cosign.key and cosign.pub, in cosign's formats.

import { generateKeyPair, writeKeyPair } from "../../sign/index.ts";
import type { Command } from "../command.ts";
import { stringFlag } from "../command.ts";
import { newKeyPassword } from "../password.ts";

export const generateKeyPairCommand: Command = {
  name: "generate-key-pair",
  help: `Usage: cudaseal generate-key-pair [--output-key-prefix PREFIX] [--force]

Writes an ECDSA P-256 key pair as cosign does: PREFIX.key, the private key
encrypted with a password (scrypt and NaCl secretbox, PEM type ENCRYPTED
SIGSTORE PRIVATE KEY, mode 0600), and PREFIX.pub, the public key (PEM SPKI).
cosign signs and verifies with these files, and cudaseal with cosign's.

The password is $COSIGN_PASSWORD when set (empty means no password), else
asked twice on the terminal.

Options:
  --output-key-prefix P   write P.key and P.pub (default: cosign)
  --force                 replace existing key files

Examples:
  cudaseal generate-key-pair
  COSIGN_PASSWORD=… cudaseal generate-key-pair --output-key-prefix keys/release`,
  flags: {
    "output-key-prefix": { type: "string" },
    force: { type: "boolean" },
  },
  async run(_positionals, flags, out) {
    const prefix = stringFlag(flags, "output-key-prefix") ?? "cosign";
    const pair = await generateKeyPair(await newKeyPassword());
    const written = await writeKeyPair(pair, prefix, { force: flags.force === true });
    if (out.json) out.jsonData(written);
    else {
      out.note(`Private key written to ${written.privateKeyPath}`);
      out.note(`Public key written to ${written.publicKeyPath}`);
    }
    return 0;
  },
};
