// What other parts of cudaseal (the CLI, the build) may use from signing.

export type { AttestOptions, AttestResult } from "./attest-image.ts";
export { attestImage, attestImageBundle } from "./attest-image.ts";
export type { BundleSigner } from "./bundle-signer.ts";
export { keyBundleSigner } from "./bundle-signer.ts";
export type { FindBundlesOptions, StoredBundle } from "./bundle-store.ts";
export { findBundles, readBundle } from "./bundle-store.ts";
export type { BundleTrust, VerifiedBundle } from "./bundle-verify.ts";
export { verifyBundle } from "./bundle-verify.ts";
export { cosignTag, signatureConfigBytes } from "./cosign-manifest.ts";
export type { GpuSmokeGpu, GpuSmokeReport } from "./gpu-smoke.ts";
export { checkGpuSmokeReport, GPU_SMOKE_PREDICATE_TYPE } from "./gpu-smoke.ts";
export type { IdentityToken, IdentityTokenOptions } from "./identity-token.ts";
export { identityToken } from "./identity-token.ts";
export type { ImageTarget, TargetOptions } from "./image-target.ts";
export { openImageTarget } from "./image-target.ts";
export type { KeylessOptions } from "./keyless-signer.ts";
export { keylessBundleSigner } from "./keyless-signer.ts";
export type { KeyPairPem, PasswordSource } from "./keys.ts";
export {
  generateKeyPair,
  parsePrivateKey,
  parsePublicKey,
  readPrivateKey,
  readPublicKey,
  writeKeyPair,
} from "./keys.ts";
export type { SignedBlob } from "./sign-blob.ts";
export { MAX_SIGN_BLOB_BYTES, signBlob } from "./sign-blob.ts";
export type { SignedDigest, SignOptions } from "./sign-image.ts";
export { signImage } from "./sign-image.ts";
export { signImageBundle } from "./sign-image-bundle.ts";
export { COSIGN_SIGN_PREDICATE_TYPE } from "./sign-statement.ts";
export { bundleSignedReferences, signedReferences } from "./signed-references.ts";
export type { SignatureResult, Signer, Verifier } from "./signer.ts";
export { keySigner, keyVerifier } from "./signer.ts";
export { PREDICATE_TYPES, predicateTypeUri } from "./statement.ts";
export type { LoadedTrustedRoot } from "./trusted-root.ts";
export { loadTrustedRoot } from "./trusted-root.ts";
export type { ResolvedTrustedRoot, TufRootOptions } from "./tuf-root.ts";
export { DEFAULT_TUF_MIRROR, tufTrustedRoot } from "./tuf-root.ts";
export type { VerifiedAttestation, VerifyAttestationOptions } from "./verify-attestation.ts";
export { verifyAttestations } from "./verify-attestation.ts";
export type { VerifiedBlob, VerifyBlobOptions } from "./verify-blob.ts";
export { verifyBlob } from "./verify-blob.ts";
export type { VerifiedSignature, VerifyOptions } from "./verify-image.ts";
export { verifyImage } from "./verify-image.ts";
