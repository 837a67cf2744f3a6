// The statement cosign 3 signs for an image signature in a Sigstore bundle:
// no simple signing payload, but an in-toto Statement v1 whose predicate
// type is `https://sigstore.dev/cosign/sign/v1`, predicate `{}`, and whose
// subject is the manifest digest with the `--annotations` on it:
//
//   {"_type":"https://in-toto.io/Statement/v1",
//    "subject":[{"name":"registry.example/team/rt","digest":{"sha256":"…"},
//                "annotations":{"git-sha":"3b1f0c2"}}],
//    "predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}
//
// cosign leaves `name` out; cudaseal writes the repository there (in-toto
// allows it and cosign ignores it), so that `verify --reference` has a
// claim to check, as the simple signing payload's docker-reference is. It is
// read back through Go's rules (go-json.ts), a field named twice refused.

import { CudasealError } from "../errors.ts";
import { type GoType, goUnmarshal, utf8Text } from "./go-json.ts";

export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
/** The predicate type cosign 3 gives an image signature's statement. */
export const COSIGN_SIGN_PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";

export interface SignStatementInput {
  /** The repository (`host/repo`), the subject's name. */
  repository: string;
  /** The manifest digest, `sha256:…`. */
  digest: string;
  /** cosign's `--annotations`, on the subject. */
  annotations?: Readonly<Record<string, string>>;
}

/** The statement bytes `cosign sign` (bundle format) signs for `digest`. */
export function signStatement(input: SignStatementInput): Buffer {
  const subject: Record<string, unknown> = {
    name: input.repository,
    digest: { sha256: input.digest.replace(/^sha256:/, "") },
  };
  if (input.annotations !== undefined) subject.annotations = { ...input.annotations };
  const statement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [subject],
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    predicate: {},
  };
  return Buffer.from(JSON.stringify(statement), "utf8");
}

/** One subject of a statement, with the annotations in-toto v1 allows on it. */
export interface AnnotatedSubject {
  name: string;
  digest: Record<string, string>;
  annotations: Record<string, unknown> | null;
}

export interface SignedStatement {
  _type: string;
  predicateType: string;
  subject: AnnotatedSubject[];
  predicate: unknown;
}

const GO_SIGNED_STATEMENT: GoType = {
  struct: {
    _type: "string",
    predicateType: "string",
    subject: {
      slice: { struct: { name: "string", digest: { map: "string" }, annotations: { map: "any" } } },
    },
    predicate: "any",
  },
};

/** A bundle's in-toto statement (v0.1 or v1); VERIFY_PAYLOAD_INVALID when it is not one, or reads two ways. */
export function parseSignedStatement(payload: Uint8Array): SignedStatement {
  const invalid = (why: string) =>
    new CudasealError("VERIFY_PAYLOAD_INVALID", `a bundle's in-toto statement is refused: ${why}`);
  const text = utf8Text(payload);
  if (text === undefined) throw invalid("it is not UTF-8");
  const s = goUnmarshal(text, GO_SIGNED_STATEMENT, invalid) as SignedStatement & {
    subject: (AnnotatedSubject | null)[] | null;
  };
  if (s === null || typeof s !== "object") throw invalid("it is not a JSON object");
  // cosign fails on a null subject entry ("invalid in-toto statement").
  if ((s.subject ?? []).some((x) => x === null)) throw invalid("a subject entry is null");
  return { ...s, subject: (s.subject ?? []) as AnnotatedSubject[] };
}

/** The subject of `statement` that names `digest` (`sha256:…`), if any. */
export function subjectFor(statement: SignedStatement, digest: string): AnnotatedSubject | undefined {
  const hex = digest.replace(/^sha256:/, "");
  return statement.subject.find((s) => s.digest?.sha256 === hex);
}
