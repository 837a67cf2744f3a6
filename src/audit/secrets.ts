// Secret detection in text: a file body, an Env value, a history command
// line. Strong patterns (PEM and OpenSSH private keys, AWS keys with their
// secret nearby, GCP service-account keys, GitHub, Hugging Face and Slack
// tokens, URLs with a password) are matched anywhere; a generic assignment
// (`API_TOKEN=…`) counts only when its name ends in a secret word, its
// value is a literal, not a placeholder, and random enough (Shannon entropy).
// Returned values are raw: callers redact them before they reach a finding.

export type SecretKind =
  | "private-key"
  | "aws-key"
  | "gcp-service-account"
  | "github-token"
  | "huggingface-token"
  | "slack-token"
  | "url-credentials"
  | "generic";

export interface SecretMatch {
  kind: SecretKind;
  /** The secret as found; redact before showing. */
  value: string;
  /** 1-based line of the match in the text. */
  line: number;
  /** For assignments, the variable's name; for private keys, their kind (`OPENSSH PRIVATE KEY`). */
  name?: string;
}

/** What each kind is called in messages. */
export const SECRET_WORDS: Readonly<Record<SecretKind, string>> = {
  "private-key": "a private key",
  "aws-key": "an AWS access key with its secret",
  "gcp-service-account": "a GCP service-account key",
  "github-token": "a GitHub token",
  "huggingface-token": "a Hugging Face token",
  "slack-token": "a Slack token",
  "url-credentials": "a URL with a password",
  generic: "a high-entropy secret",
};

/** Generic values need this many bits per character (random base64 has ~5-6; English ~3). */
export const ENTROPY_THRESHOLD = 3.5;
const GENERIC_MIN_LENGTH = 16;

// A cheap pre-filter: a body that does not match skips every strong pattern after one pass.
const STRONG_HINT =
  /-----BEGIN|AKIA|ASIA|service_account|gh[pousr]_|github_pat_|hf_|xox[baprs]-|:\/\/[^\s:@/]+:[^\s@/]+@/;

const PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g;
const AWS_KEY_ID = /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/g;
const AWS_SECRET = /(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g;
const GCP_TYPE = /"type"\s*:\s*"service_account"/;
const GCP_KEY = /"private_key"\s*:\s*"-----BEGIN/;
const GCP_KEY_ID = /"private_key_id"\s*:\s*"([0-9a-f]{16,})"/;
const GITHUB = /\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g;
const HUGGINGFACE = /\b(hf_[A-Za-z0-9]{30,64})\b/g;
const SLACK = /\b(xox[baprs]-[A-Za-z0-9-]{10,250})\b/g;
const URL_CREDS = /\b[a-z][a-z0-9+.-]{1,20}:\/\/([^\s:@/"'<>]{1,128}):([^\s@/"'<>]{1,256})@[A-Za-z0-9.-]+/gi;
// Anchored on the secret word that must end the name, not on every name: source
// files are full of assignments and this runs over every small text file. The
// name's start is found by walking back from the word (nameBefore).
const ASSIGNMENT =
  /(key|token|secret|passw(?:or)?d|pwd|pass(?:phrase)?|credentials?)["']?\s*(?::=|=|:)\s*(["']?)([A-Za-z0-9+/=_.~@#%^&*!?-]{8,512})\2/gi;
function isNameChar(c: number): boolean {
  // A-Z a-z 0-9 _ . -
  return (
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45
  );
}

/** Bits per character of `s`, by its character frequencies. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const SECRET_WORD = new Set([
  "key",
  "apikey",
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "pass",
  "passphrase",
  "credential",
  "credentials",
]);
// Names ending in a secret word that hold public data or code words.
const NOT_SECRET_WORD = new Set([
  "gpg",
  "pgp",
  "public",
  "pub",
  "fingerprint",
  "sort",
  "primary",
  "foreign",
  "cache",
  "partition",
  "hot",
  "no",
]);

/** True when a variable called `name` holds a secret by its name: `HF_TOKEN`, `dbPassword`, `aws_secret_access_key`. */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words.at(-1);
  if (last === undefined || !SECRET_WORD.has(last)) return false;
  return !words.some((w) => NOT_SECRET_WORD.has(w));
}

const PLACEHOLDER_WORDS = [
  "example",
  "sample",
  "dummy",
  "placeholder",
  "changeme",
  "change_me",
  "change-me",
  "your_",
  "your-",
  "yourtoken",
  "redacted",
  "xxxx",
  "****",
  "....",
  "fake",
  "notasecret",
  "insert",
  "replace",
  "todo",
];

/** True for values that stand in for a secret: `${TOKEN}`, `<password>`, `changeme`, `xxxxxxxx`, a path. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === "") return true;
  const lower = v.toLowerCase();
  if (/^[$%]|\$\{|\$\(|\{\{|<|>|%\(|%s/.test(v)) return true;
  if (/^(?:\.{0,2}\/|~\/)/.test(v)) return true;
  if (
    /^(?:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|string|secret|password|token)$/.test(
      lower,
    )
  ) {
    return true;
  }
  if (new Set(v).size <= 2) return true;
  return PLACEHOLDER_WORDS.some((w) => lower.includes(w));
}

/** Whether `NAME=VALUE` in a config (Env, a label, a build argument) gives away a secret. */
export function isSecretAssignment(name: string, value: string): boolean {
  return isSecretName(name) && value.length >= 8 && !isPlaceholder(value);
}

/** Whether a literal in a file looks like a real secret: long, mixed, random enough. */
function isRandomLiteral(value: string): boolean {
  return plausibleLiteral(value) && !isPlaceholder(value) && shannonEntropy(value) >= ENTROPY_THRESHOLD;
}

/** The cheap half of isRandomLiteral: long enough, with letters and digits. */
function plausibleLiteral(value: string): boolean {
  return value.length >= GENERIC_MIN_LENGTH && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/**
 * Every secret in `text`. `assignments` says how a `NAME=VALUE` counts:
 * "entropy" (files: the value must look random) or "name" (configs and
 * command lines: a secret name with a literal value is enough).
 */
export function findSecrets(text: string, assignments: "entropy" | "name" = "entropy"): SecretMatch[] {
  const strong = STRONG_HINT.test(text);
  const out: SecretMatch[] = [];
  const lines = new LineIndex(text);
  const claimed: [number, number][] = [];
  const add = (kind: SecretKind, value: string, at: number, name?: string) => {
    claimed.push([at, at + value.length]);
    out.push({ kind, value, line: lines.lineOf(at), ...(name === undefined ? {} : { name }) });
  };
  if (strong) {
    for (const m of text.matchAll(PRIVATE_KEY)) {
      const end = text.indexOf("-----END", m.index);
      // A header with no body (documentation, a parser's constant) is not a key.
      if (end < 0 || text.slice(m.index + m[0].length, end).trim().length < 32) continue;
      // The body is the secret; the header names its kind.
      add("private-key", text.slice(m.index + m[0].length, end).replace(/\s+/g, ""), m.index, m[1]);
    }
    if (GCP_TYPE.test(text) && GCP_KEY.test(text)) {
      const id = GCP_KEY_ID.exec(text);
      const at = text.search(GCP_TYPE);
      add("gcp-service-account", id?.[1] ?? "service_account", at);
    }
    for (const m of text.matchAll(AWS_KEY_ID)) {
      const from = Math.max(0, m.index - 1000);
      const near = text.slice(from, m.index + 1000);
      const secret = [...near.matchAll(AWS_SECRET)].find(
        (s) => isRandomLiteral(s[1]) && shannonEntropy(s[1]) >= 4,
      );
      if (secret === undefined) continue;
      add("aws-key", m[1], m.index);
      // The secret is part of this finding, not a second, generic one.
      const at = from + secret.index + secret[0].indexOf(secret[1]);
      claimed.push([at, at + secret[1].length]);
    }
    for (const m of text.matchAll(GITHUB)) add("github-token", m[1], m.index);
    for (const m of text.matchAll(HUGGINGFACE)) {
      const tail = m[1].slice(3);
      if (/[a-z]/.test(tail) && /[A-Z]/.test(tail) && shannonEntropy(tail) >= ENTROPY_THRESHOLD) {
        add("huggingface-token", m[1], m.index);
      }
    }
    for (const m of text.matchAll(SLACK)) add("slack-token", m[1], m.index);
    for (const m of text.matchAll(URL_CREDS)) {
      const password = m[2];
      if (!isPlaceholder(password) && password.length >= 4) add("url-credentials", password, m.index);
    }
  }
  for (const m of text.matchAll(ASSIGNMENT)) {
    const [, word, , value] = m;
    // Most assignments in source code fail on the value alone: test it before the name.
    if (assignments === "entropy" && !plausibleLiteral(value)) continue;
    const name = nameBefore(text, m.index + word.length);
    if (name === undefined) continue;
    const at = m.index + m[0].lastIndexOf(value);
    if (claimed.some(([s, e]) => at < e && at + value.length > s)) continue;
    const secret =
      assignments === "name" ? isSecretAssignment(name, value) : isSecretName(name) && isRandomLiteral(value);
    if (secret) add("generic", value, at, name);
  }
  return out;
}

/** The variable name ending at `end`; undefined for a shell reference (`$TOKEN=`). */
function nameBefore(text: string, end: number): string | undefined {
  let start = end;
  while (start > 0 && end - start < 80 && isNameChar(text.charCodeAt(start - 1))) start--;
  if (text[start - 1] === "$") return undefined;
  return text.slice(start, end);
}

// Line numbers for offsets, computed once per text and only when something matched.
class LineIndex {
  readonly #text: string;
  #starts?: number[];
  constructor(text: string) {
    this.#text = text;
  }
  lineOf(offset: number): number {
    if (this.#starts === undefined) {
      this.#starts = [0];
      for (let i = this.#text.indexOf("\n"); i >= 0; i = this.#text.indexOf("\n", i + 1))
        this.#starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
