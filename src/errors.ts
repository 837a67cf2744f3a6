// One error class for the whole library: a stable code that callers and tests
// branch on, a message for humans, a hint that says what to do, and the cause.

export type ErrorCode =
  // usage and configuration
  | "USAGE"
  | "CONFIG_INVALID"
  | "POLICY_INVALID"
  | "SPEC_INVALID"
  | "MIRROR_UNKNOWN"
  // apt metadata
  | "APT_FETCH_FAILED"
  | "APT_SIGNATURE_INVALID"
  | "APT_SIGNATURE_UNKNOWN_KEY"
  | "APT_RELEASE_EXPIRED"
  | "APT_RELEASE_ROLLBACK"
  | "APT_RELEASE_FROM_FUTURE"
  | "APT_RELEASE_INVALID"
  | "APT_INDEX_MISSING"
  | "APT_INDEX_HASH_MISMATCH"
  | "KEYRING_INVALID"
  // resolution
  | "RESOLVE_NOT_FOUND"
  | "RESOLVE_CONFLICT"
  | "RESOLVE_SCRIPT_FETCHED"
  | "RESOLVE_PROVIDED_BY_HOST"
  | "LOCK_INVALID"
  // NVIDIA's CUDA repository and CUDA version choice
  | "NVIDIA_REPO_UNKNOWN"
  | "CUDA_VERSION_UNAVAILABLE"
  // downloads and cache
  | "FETCH_FAILED"
  | "FETCH_TOO_LARGE"
  | "FETCH_TIMEOUT"
  | "DEB_HASH_MISMATCH"
  | "DEB_SIZE_MISMATCH"
  | "CACHE_CORRUPT"
  // local files cudaseal is told to read (keys, specs, layouts…)
  | "INPUT_NOT_REGULAR"
  | "INPUT_TOO_LARGE"
  | "DISK_FULL"
  // package and tar reading
  | "DEB_INVALID"
  | "TAR_INVALID"
  | "TAR_PATH_TRAVERSAL"
  | "TAR_ABSOLUTE_PATH"
  | "TAR_LINK_ESCAPE"
  | "TAR_DEVICE_NODE"
  | "TAR_SIZE_MISMATCH"
  | "TAR_TOO_LARGE"
  // image build
  | "BUILD_FAILED"
  | "FILE_CONFLICT"
  | "CONTENT_INVALID"
  | "IMAGE_INVALID"
  | "OUTPUT_FAILED"
  // ld.so.cache and the link check
  | "LDCONF_INCLUDE_LOOP"
  | "LDCONF_PATH_OUTSIDE"
  | "LINK_UNRESOLVED"
  | "LINK_SONAME_CONFLICT"
  // Python applications: locks, indexes, wheels
  | "PY_LOCK_INVALID"
  | "PY_UNPINNED"
  | "PY_UNHASHED"
  | "PY_NO_WHEEL"
  | "PY_INTERPRETER_MISSING"
  | "PY_INDEX_FAILED"
  | "PY_HASH_MISMATCH"
  | "WHEEL_INVALID"
  | "WHEEL_UNSAFE_PATH"
  | "WHEEL_RECORD_MISMATCH"
  | "WHEEL_TOO_LARGE"
  | "WHEEL_DUPLICATE_FILE"
  // Dockerfile lint
  | "LINT_PARSE_ERROR"
  | "LINT_INPUT_INVALID"
  // vulnerability scanning
  | "SCAN_DB_STALE"
  | "SCAN_DB_MISSING"
  | "VEX_INVALID"
  | "IGNORE_FILE_INVALID"
  // registries
  | "REGISTRY_UNREACHABLE"
  | "REGISTRY_AUTH_FAILED"
  | "REGISTRY_DENIED"
  | "REGISTRY_NOT_FOUND"
  | "REGISTRY_DIGEST_MISMATCH"
  | "REGISTRY_TOO_LARGE"
  | "REGISTRY_TIMEOUT"
  | "REGISTRY_INVALID_RESPONSE"
  | "REGISTRY_INSECURE"
  | "REGISTRY_CREDENTIALS"
  | "REGISTRY_ERROR"
  // GPU driver and deployment
  | "CUDA_REQUIREMENT_INVALID"
  | "DRIVER_VERSION_INVALID"
  | "DEPLOY_USER_ROOT"
  | "DEPLOY_USER_NOT_NUMERIC"
  // cudaseal run and its static helpers
  | "RUN_NO_PRIVILEGES"
  | "RUN_DRIVER_TOO_OLD"
  | "RUN_NO_DRIVER"
  | "RUN_LAUNCH_FAILED"
  | "RUN_NO_COMMAND"
  | "RUN_INTERRUPTED"
  | "NATIVE_BUILD_FAILED"
  // keys, signing and verification
  | "IMAGE_NOT_FOUND"
  | "KEY_INVALID"
  | "KEY_UNSUPPORTED"
  | "KEY_PASSWORD_WRONG"
  | "KEY_PASSWORD_MISSING"
  | "KEY_EXISTS"
  | "SIGN_PREDICATE_INVALID"
  | "VERIFY_NO_SIGNATURE"
  | "VERIFY_NO_ATTESTATION"
  | "VERIFY_WRONG_KEY"
  | "VERIFY_PAYLOAD_TAMPERED"
  | "VERIFY_PAYLOAD_INVALID"
  | "VERIFY_ANNOTATION_INVALID"
  | "VERIFY_DIGEST_MISMATCH"
  | "VERIFY_REFERENCE_MISMATCH"
  // Sigstore bundles, keyless signing and verification
  | "VERIFY_BUNDLE_INVALID"
  | "VERIFY_IDENTITY_MISMATCH"
  | "VERIFY_ISSUER_MISMATCH"
  | "VERIFY_CERT_EXPIRED"
  | "VERIFY_CERT_CHAIN_INVALID"
  | "VERIFY_SCT_INVALID"
  | "VERIFY_TLOG_INCLUSION_INVALID"
  | "VERIFY_TLOG_UNKNOWN"
  | "VERIFY_TLOG_MISMATCH"
  | "VERIFY_TIMESTAMP_INVALID"
  | "VERIFY_SIGNATURE_INVALID"
  | "VERIFY_TOO_MANY_REFERRERS"
  | "TRUSTED_ROOT_INVALID"
  | "SIGN_KEYLESS_FAILED"
  | "SIGN_TOKEN_MISSING"
  | "SIGN_TOKEN_INVALID"
  | "SMOKE_REPORT_INVALID"
  // fleet: catalogs, plans, the registry cache, rescans
  | "CATALOG_INVALID"
  | "CATALOG_CYCLE"
  | "CATALOG_SPEC_MISSING"
  | "CATALOG_PRESET_UNKNOWN"
  | "CATALOG_UNIT_FAILED"
  | "CACHE_ENTRY_POISONED"
  | "CACHE_REGISTRY_UNREACHABLE"
  | "FEED_INVALID"
  | "SBOM_INVALID"
  | "INTERNAL";

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured facts for --json output (package, entry, url…). */
  details?: Record<string, unknown>;
}

/** Every failure the library reports on purpose is one of these. */
export class CudasealError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CudasealError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

/** True when `err` is a CudasealError, optionally with the given code. */
export function isCudasealError(err: unknown, code?: ErrorCode): err is CudasealError {
  return err instanceof CudasealError && (code === undefined || err.code === code);
}

/** Wrap a failure with the name of the pipeline stage it happened in, keeping its code. */
export function inStage(stage: string, err: unknown): CudasealError {
  if (err instanceof CudasealError) {
    const wrapped = new CudasealError(err.code, `${stage}: ${err.message}`, {
      hint: err.hint,
      cause: err.cause ?? err,
      details: { ...err.details, stage },
    });
    return wrapped;
  }
  return new CudasealError("INTERNAL", `${stage}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
