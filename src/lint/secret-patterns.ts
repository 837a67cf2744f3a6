// What a secret looks like in a Dockerfile: file names that usually hold
// credentials, variable names that usually carry them, and the shapes of
// well-known tokens. Kept apart from the rules so the lists are read (and
// extended) in one place.

/** File names (the last path segment) that usually hold credentials. */
const SECRET_FILES: readonly RegExp[] = [
  /^\.env$/,
  /^\.env\.(?!example$|sample$|template$|dist$)[\w.-]+$/,
  /\.(pem|key|p12|pfx|jks|keystore)$/,
  /^id_(rsa|dsa|ecdsa|ed25519)$/,
  /^[._]netrc$/,
  /^credentials(\.json|\.ya?ml)?$/,
  /^\.git-credentials$/,
  /^\.npmrc$/,
  /^\.pypirc$/,
  /^\.htpasswd$/,
  /^\.dockercfg$/,
  /^kubeconfig$/,
  /^secrets?\.(json|ya?ml|toml|env)$/,
];

/** Directories (any path segment) whose contents are credentials. */
const SECRET_DIRS = new Set([".aws", ".ssh", ".gnupg", ".azure", ".gcloud"]);
// Projects keep build scripts in .docker/ and .kube/; only these files there are credentials.
const SECRET_PATHS = /(^|\/)(\.docker\/config\.json|\.kube\/config)$/;

/** Why `path` looks like a secret file, or undefined. Globs are matched on their literal part. */
export function secretFileReason(path: string): string | undefined {
  const segments = path.replace(/\/+$/, "").split("/").filter(Boolean);
  const base = segments[segments.length - 1] ?? "";
  for (const seg of segments) if (SECRET_DIRS.has(seg)) return `${seg}/ holds credentials`;
  if (SECRET_PATHS.test(segments.join("/")))
    return `${segments.slice(-2).join("/")} holds registry or cluster credentials`;
  if (SECRET_FILES.some((re) => re.test(base))) return `${base} usually holds credentials or a private key`;
  return undefined;
}

// Whole `_`-separated words, so TOKENIZERS_PARALLELISM (a Hugging Face setting) is not a token.
const SECRET_NAME =
  /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|APIKEY|CREDENTIALS?|(API|ACCESS|PRIVATE|SECRET|SIGNING|ENCRYPTION|AUTH|LICENSE)_?KEY)(_|$)/;
// Names that point at a secret instead of holding one, or hold a public part.
const NOT_SECRET_NAME = /(_FILE|_PATH|_DIR|_URL|_URI|_ENDPOINT|_ID|_NAME|_HEADER|_TYPE|_LENGTH|_EXPIRY)$/;

/** True when a variable with this name usually carries a secret (`HF_TOKEN`, `DB_PASSWORD`). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_NAME.test(upper) && !NOT_SECRET_NAME.test(upper);
}

// Values that configure a switch or stand in for the real secret: `ARG SCCACHE_S3_NO_CREDENTIALS=0`
// and `ARG USE_CREDENTIALS=false` name a secret but hold none. A number counts only while it is
// short (a count, a size): `POSTGRES_PASSWORD=123456` is a password of digits.
const NOT_SECRET_VALUE =
  /^(0|1|true|false|yes|no|on|off|none|null|nil|disabled?|enabled?|-?\d{1,3}(\.\d+)?)$/i;
const PLACEHOLDER =
  /^(<[^>]*>|\[[^\]]*\]|\{\{[^}]*\}\}|x{3,}|\*{3,}|\.{3}|…|change_?me|changeit|replace_?me|your[-_ ]?\w*|dummy|placeholder|example|redacted|todo|tbd|secret|password|passwd|pass|token|api[-_]?key)$/i;

/** True when a value is a switch, not a credential: a boolean (`0`, `false`, `off`) or a short number. */
export function isSwitchValue(value: string): boolean {
  return NOT_SECRET_VALUE.test(value.trim());
}

/**
 * True when a value cannot be a secret: empty, a boolean or number, or a
 * placeholder (`<token>`, `xxx`, `changeme`). Judged on the value as written,
 * so `${HF_TOKEN}` (a secret passed through) is still a secret.
 */
export function isHarmlessValue(value: string): boolean {
  const v = value.trim();
  return v === "" || isSwitchValue(v) || PLACEHOLDER.test(v);
}

/** Token shapes issued by well-known services; each match is almost surely a live credential. */
const TOKENS: readonly { kind: string; re: RegExp }[] = [
  { kind: "Hugging Face token", re: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: "GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g },
  { kind: "GitHub token", re: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g },
  { kind: "AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: "NVIDIA API key", re: /\bnvapi-[A-Za-z0-9_-]{20,}/g },
  { kind: "GitLab token", re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: "Slack token", re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  { kind: "OpenAI key", re: /\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}/g },
  { kind: "npm token", re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: "private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g },
  // `https://user:pass@host/simple`: the password (group 1) is the secret; `${VAR}` is not a literal.
  { kind: "password in a URL", re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`]+:([^\s@/"'`$][^\s@/"'`]*)@[\w.-]/gi },
];

export interface TokenMatch {
  kind: string;
  text: string;
}

/** Every well-known token in `text`. */
export function findTokens(text: string): TokenMatch[] {
  const found: TokenMatch[] = [];
  for (const { kind, re } of TOKENS) {
    for (const m of text.matchAll(re)) {
      const secret = m[1] ?? m[0];
      if (m[1] !== undefined && isHarmlessValue(decodeURIComponentSafe(secret))) continue;
      found.push({ kind, text: secret });
    }
  }
  return found;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
