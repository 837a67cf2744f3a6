// PEM armour (RFC 7468): a base64 body between BEGIN and END lines naming
// its type. Cosign's keys are PEM with their own types, so the type is read
// and written as given rather than left to node:crypto.

import { CudasealError } from "../errors.ts";

/** One PEM block: its type (`PUBLIC KEY`) and its decoded body. */
export interface PemBlock {
  type: string;
  bytes: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;

/** The first PEM block in `text`; KEY_INVALID naming `what` when there is none. */
export function decodePem(text: string, what: string): PemBlock {
  const m = BLOCK.exec(text);
  if (!m)
    throw new CudasealError("KEY_INVALID", `${what} is not PEM`, {
      hint: "expected a -----BEGIN …----- block",
    });
  const body = m[2].replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    throw new CudasealError("KEY_INVALID", `${what}: the ${m[1]} block is not base64`);
  }
  return { type: m[1], bytes: Buffer.from(body, "base64") };
}

/** `bytes` armoured as a PEM block of `type`, in 64-character lines as Go's encoding/pem writes. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${type}-----\n`;
}
