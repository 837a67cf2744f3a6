// `cudaseal audit`: CIS Docker Benchmark and NIST SP 800-190 checks on any
// image, and secrets in every layer, as findings (src/findings).

export { type AuditOptions, type AuditResult, auditImage } from "./audit-image.ts";
export { type WalkResult, walkLayers } from "./layer-walk.ts";
export { auditMarkdown } from "./markdown.ts";
export { AUDIT_RULES, type AuditRule, type AuditRuleId } from "./rules.ts";
export { findSecrets, isSecretName, type SecretKind, type SecretMatch, shannonEntropy } from "./secrets.ts";
