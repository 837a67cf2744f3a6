// Base64 as Go's encoding/base64 decodes it, for the fields cosign decodes
// with it: the signature annotation, DSSE payloads and signatures, []byte
// fields of its JSON. Go wants the padded alphabet exactly and skips only
// carriage returns and newlines; Buffer.from(s, "base64") takes nearly
// anything, which would let cudaseal accept a signature cosign refuses.

/** base64.StdEncoding.DecodeString: undefined where Go errs. */
export function goStdBase64(s: string): Buffer | undefined {
  return decode(s, /^[A-Za-z0-9+/]*$/);
}

/** base64.URLEncoding.DecodeString: the same with `-` and `_`. */
function goUrlBase64(s: string): Buffer | undefined {
  return decode(s, /^[A-Za-z0-9_-]*$/);
}

/** DSSE's reading (go-securesystemslib): standard base64, else URL-safe. */
export function dsseBase64(s: string): Buffer | undefined {
  return goStdBase64(s) ?? goUrlBase64(s);
}

function decode(s: string, alphabet: RegExp): Buffer | undefined {
  const t = s.replace(/[\r\n]/g, "");
  if (t.length % 4 !== 0) return undefined;
  const body = t.endsWith("==") ? t.slice(0, -2) : t.endsWith("=") ? t.slice(0, -1) : t;
  if (!alphabet.test(body)) return undefined;
  return Buffer.from(body.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}
