// How long an HTTP exchange may go without progress. There is no budget for
// a whole transfer: a slow but steady mirror must be able to deliver a
// 172 MiB library, however long that takes. Two bounds instead:
//
//   headers  from the start of a request (connect and TLS included), or from
//            the last byte of an upload, until the answer's headers arrive.
//            60 s: a registry may verify and move a multi-GB upload before it
//            answers the final PUT.
//   idle     the longest gap between two pieces of a body, either way, while
//            cudaseal is waiting for it. 30 s: a live TCP connection
//            recovers from four lost segments in a row within 1+2+4+8 = 15 s
//            of retransmission backoff; a gap twice that long is a dead path
//            or a stalled server, and a new attempt is the cure.
//
// Both can be set for a process with CUDASEAL_HTTP_HEADERS_TIMEOUT and
// CUDASEAL_HTTP_IDLE_TIMEOUT (seconds), for links slower or lossier than
// that; callers and tests may pass their own.

import { CudasealError, type ErrorCode } from "../errors.ts";

export interface HttpTimeouts {
  /** Until the answer's headers arrive, from the request's start or its body's end. */
  headersMs: number;
  /** The longest wait for the next piece of a body, down or up. */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<HttpTimeouts> = { headersMs: 60_000, idleMs: 30_000 };

/** The environment variables that set the timeouts, in seconds. */
export const TIMEOUT_ENV = {
  headersMs: "CUDASEAL_HTTP_HEADERS_TIMEOUT",
  idleMs: "CUDASEAL_HTTP_IDLE_TIMEOUT",
} as const;

/** The timeouts in force: those given, else the environment's, else the defaults. */
export function resolveTimeouts(
  given: Partial<HttpTimeouts> = {},
  env: NodeJS.ProcessEnv = process.env,
): HttpTimeouts {
  return {
    headersMs: given.headersMs ?? fromEnv(env, TIMEOUT_ENV.headersMs) ?? DEFAULT_TIMEOUTS.headersMs,
    idleMs: given.idleMs ?? fromEnv(env, TIMEOUT_ENV.idleMs) ?? DEFAULT_TIMEOUTS.idleMs,
  };
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400)
    throw new CudasealError("CONFIG_INVALID", `${name}=${text} is not a number of seconds`, {
      hint: `set ${name} to a number of seconds between 0 and 86400, e.g. ${name}=120`,
      details: { variable: name, value: text },
    });
  return seconds * 1000;
}

/** Which wait ran out. */
export type TimeoutPhase = "headers" | "body" | "upload";

const TIMEOUT_CODES: readonly ErrorCode[] = ["FETCH_TIMEOUT", "REGISTRY_TIMEOUT"];

/** True for the error a timeout becomes: worth another attempt. */
export function isTimeout(err: unknown): err is CudasealError {
  return err instanceof CudasealError && TIMEOUT_CODES.includes(err.code);
}

/** The coded error for a timeout, saying which wait ran out and how to lengthen it. */
export function timeoutError(
  code: "FETCH_TIMEOUT" | "REGISTRY_TIMEOUT",
  what: string,
  phase: TimeoutPhase,
  ms: number,
  details: Record<string, unknown> = {},
): CudasealError {
  const seconds = `${ms / 1000} s`;
  const said =
    phase === "headers"
      ? `no answer within ${seconds}`
      : phase === "body"
        ? `no data for ${seconds} in the middle of the answer`
        : `the server took nothing for ${seconds} in the middle of the upload`;
  const variable = phase === "headers" ? TIMEOUT_ENV.headersMs : TIMEOUT_ENV.idleMs;
  return new CudasealError(code, `${what}: ${said}`, {
    hint: `the server stalled or the network path died; on a link this slow, allow longer with ${variable}=SECONDS`,
    details: { ...details, phase, timeoutMs: ms },
  });
}
