// The in-toto Statement (v0.1, as cosign's `attest` writes it) around a
// predicate, and cosign's `--type` names for predicate type URIs. What the
// predicate becomes follows cosign: SPDX tag-value text and the custom type
// are strings, the others are parsed JSON. A statement is read back as
// cosign reads it (in-toto-golang's Statement through Go's encoding/json).

import { CudasealError } from "../errors.ts";
import { type GoType, goUnmarshal, utf8Text } from "./go-json.ts";
import { GPU_SMOKE_PREDICATE_TYPE, parseGpuSmokeReport } from "./gpu-smoke.ts";

export const IN_TOTO_STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
/** Cosign's default predicate type: `{Data, Timestamp}` wrapping any text. */
export const COSIGN_CUSTOM_PREDICATE = "https://cosign.sigstore.dev/attestation/v1";

/** Cosign's `--type` names and the URIs they stand for. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: COSIGN_CUSTOM_PREDICATE,
  slsaprovenance: "https://slsa.dev/provenance/v0.2",
  slsaprovenance02: "https://slsa.dev/provenance/v0.2",
  slsaprovenance1: "https://slsa.dev/provenance/v1",
  spdx: "https://spdx.dev/Document",
  spdxjson: "https://spdx.dev/Document",
  cyclonedx: "https://cyclonedx.org/bom",
  link: "https://in-toto.io/Link/v1",
  vuln: "https://cosign.sigstore.dev/attestation/vuln/v1",
  openvex: "https://openvex.dev/ns",
  // cudaseal's own: the GPU smoke report (gpu-smoke.ts), checked against its schema before signing.
  "gpu-smoke": GPU_SMOKE_PREDICATE_TYPE,
};

/** The URI a `--type` value means: a known name, or a URI given as is. */
export function predicateTypeUri(type: string): string {
  if (Object.hasOwn(PREDICATE_TYPES, type)) return PREDICATE_TYPES[type];
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(type)) return type;
  throw new CudasealError("USAGE", `unknown predicate type ${JSON.stringify(type)}`, {
    hint: `use one of ${Object.keys(PREDICATE_TYPES).join(", ")}, or a URI`,
  });
}

export interface Subject {
  name: string;
  digest: Record<string, string>;
}

export interface Statement {
  _type: string;
  predicateType: string;
  subject: Subject[];
  predicate: unknown;
}

export interface StatementInput {
  /** A `--type` name or URI. */
  type: string;
  /** The predicate file's bytes. */
  predicate: Uint8Array;
  /** The repository (`host/repo`), the subject's name. */
  repository: string;
  /** The image manifest digest, `sha256:…`. */
  digest: string;
  /** The custom predicate's Timestamp (RFC 3339); cosign uses the clock. */
  timestamp: string;
}

/** The statement cosign's `attest --type TYPE --predicate FILE` makes. */
export function buildStatement(input: StatementInput): Statement {
  const predicateType = predicateTypeUri(input.type);
  const text = Buffer.from(input.predicate).toString("utf8");
  let predicate: unknown;
  if (predicateType === COSIGN_CUSTOM_PREDICATE) predicate = { Data: text, Timestamp: input.timestamp };
  else if (input.type === "spdx") predicate = text;
  else if (predicateType === GPU_SMOKE_PREDICATE_TYPE) predicate = parseGpuSmokeReport(text);
  else predicate = parsePredicate(text, input.type);
  return {
    _type: IN_TOTO_STATEMENT_V01,
    predicateType,
    subject: [{ name: input.repository, digest: { sha256: input.digest.replace(/^sha256:/, "") } }],
    predicate,
  };
}

function parsePredicate(text: string, type: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CudasealError("SIGN_PREDICATE_INVALID", `the ${type} predicate is not JSON`, {
      cause: err,
      hint: type === "spdxjson" ? "use --type spdx for SPDX tag-value text" : undefined,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CudasealError("SIGN_PREDICATE_INVALID", `the ${type} predicate is not a JSON object`);
  }
  if (type.startsWith("slsaprovenance")) {
    const required =
      type === "slsaprovenance1" ? ["buildDefinition", "runDetails"] : ["builder", "buildType"];
    const missing = required.filter((k) => !Object.hasOwn(value as object, k));
    if (missing.length > 0) {
      throw new CudasealError(
        "SIGN_PREDICATE_INVALID",
        `the provenance predicate lacks ${missing.join(", ")}`,
        {
          hint: "pass the predicate itself, not a whole in-toto statement",
        },
      );
    }
  }
  return value;
}

/** in-toto-golang's StatementHeader, with `predicate` typed. */
function goStatement(predicate: GoType): GoType {
  return {
    struct: {
      _type: "string",
      predicateType: "string",
      subject: { slice: { struct: { name: "string", digest: { map: "string" } } } },
      predicate,
    },
  };
}

/** in-toto-golang's Statement: any predicate. */
const GO_STATEMENT = goStatement("any");

/**
 * The predicates `cosign verify-attestation --type NAME` reads into Go
 * types of its own (in-toto-golang's Link and SLSA 0.2 provenance,
 * cosign's vulnerability scan); the other types stay any JSON.
 */
const GO_PREDICATES: Readonly<Record<string, GoType>> = {
  link: {
    struct: {
      _type: "string",
      name: "string",
      materials: { map: "any" },
      products: { map: "any" },
      byproducts: { map: "any" },
      command: { slice: "string" },
      environment: { map: "any" },
    },
  },
  slsaprovenance: {
    struct: {
      builder: { struct: { id: "string" } },
      buildType: "string",
      invocation: {
        struct: {
          configSource: { struct: { uri: "string", digest: { map: "string" }, entryPoint: "string" } },
          parameters: "any",
          environment: "any",
        },
      },
      buildConfig: "any",
      metadata: {
        pointer: {
          struct: {
            buildInvocationID: "string",
            buildStartedOn: { pointer: "time" },
            buildFinishedOn: { pointer: "time" },
            completeness: { struct: { parameters: "bool", environment: "bool", materials: "bool" } },
            reproducible: "bool",
          },
        },
      },
      materials: { slice: { struct: { uri: "string", digest: { map: "string" } } } },
    },
  },
  vuln: {
    struct: {
      invocation: {
        struct: { parameters: "any", uri: "string", event_id: "string", "builder.id": "string" },
      },
      scanner: {
        struct: {
          uri: "string",
          version: "string",
          db: { struct: { uri: "string", version: "string" } },
          result: "any",
        },
      },
      metadata: { struct: { scanStartedOn: "time", scanFinishedOn: "time" } },
    },
  },
};

/**
 * A statement as cosign reads it: VERIFY_PAYLOAD_INVALID where cosign
 * refuses it or could read it two ways (a field named twice, in any case),
 * or it is not UTF-8. With `type` (a `--type` name), its predicate is also
 * read into the Go type cosign's verify-attestation reads that type into.
 */
export function parseStatement(payload: Uint8Array, type?: string): Statement {
  const invalid = (why: string) =>
    new CudasealError(
      "VERIFY_PAYLOAD_INVALID",
      `an attestation's statement is refused (cosign would read it differently, or not at all): ${why}`,
    );
  const text = utf8Text(payload);
  if (text === undefined) throw invalid("it is not UTF-8");
  const predicate =
    type !== undefined && Object.hasOwn(GO_PREDICATES, type) ? GO_PREDICATES[type] : undefined;
  const s = goUnmarshal(text, predicate ? goStatement(predicate) : GO_STATEMENT, invalid) as Statement & {
    subject: Subject[] | null;
  };
  return { ...s, subject: s.subject ?? [] };
}
