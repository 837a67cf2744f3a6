// One HTTP client for apt repositories, data feeds and registries: the same
// headers and idle timeouts, one retry loop (backoff, Retry-After, abort),
// capped reads, download-to-file while hashing, and URLs redacted for
// messages. The registry's Distribution API client (src/registry/) builds on
// send() and withRetries(); apt and feeds use the GETs of get.ts.

export type { ConditionalAnswer, GetOptions } from "./get.ts";
export {
  downloadVerified,
  getBytes,
  getConditional,
  HttpStatusError,
  openGet,
  retryingGet,
  tooLarge,
} from "./get.ts";
export { isLoopback } from "./loopback.ts";
export { discard, readCapped } from "./read-capped.ts";
export { redactUrl } from "./redact.ts";
export type { RetryPolicy } from "./retry.ts";
export { backoff, DEFAULT_RETRY, pause, RetryableError, retryAfter, withRetries } from "./retry.ts";
export type { SendOptions } from "./send.ts";
export { send } from "./send.ts";
export type { HttpTimeouts } from "./timeouts.ts";
export { isTimeout, resolveTimeouts, timeoutError } from "./timeouts.ts";
export { writeBody } from "./write-body.ts";
