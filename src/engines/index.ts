// What other parts of cudaseal (the CLI) may use of the engine emitters.

export { type EmitResult, emitPlan } from "./emit.ts";
export {
  DEFAULT_GITHUB_SECRET,
  DEFAULT_K8S_SECRET,
  DEFAULT_NAME,
  DEFAULT_SCHEDULE,
  type EmitOptions,
  ENGINES,
  type Engine,
  resolveEmitOptions,
} from "./options.ts";
export { checkPlan } from "./plan-check.ts";
