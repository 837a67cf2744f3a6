// One HTTP exchange under the bounds of timeouts.ts, with no budget for the
// whole transfer. A watchdog runs from the start until the answer's headers
// arrive; a streamed upload re-arms it with the idle bound for every piece
// taken from it, and with the headers bound once it has all been sent. The
// answer's body is handed on through a guard that allows each read at most
// the idle bound while cudaseal waits on it (never while cudaseal is busy
// elsewhere, so a slow consumer is not blamed on the server), and turns a
// connection cut mid-body into the caller's own error instead of undici's
// bare `TypeError: terminated`.
//
// Retrying is not done here: that is retry.ts's loop, around this.

import type { HttpTimeouts, TimeoutPhase } from "./timeouts.ts";

/** A request body: bytes, or a stream of them. */
export type SendBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: SendBody;
  /** Default "follow"; a streamed body never follows (see below). */
  redirect?: "follow" | "manual";
}

export interface SendOptions {
  timeouts: HttpTimeouts;
  signal?: AbortSignal;
  /** The error a timeout becomes, in the caller's terms (FETCH_TIMEOUT, REGISTRY_TIMEOUT). */
  timeout(phase: TimeoutPhase, ms: number): Error;
  /** The error a body cut short becomes (a reset, a closed connection). */
  interrupted(cause: unknown): Error;
}

/**
 * Send one request; the answer's headers, with its body guarded. A timeout
 * before the headers throws `options.timeout(…)`, an abort the signal's
 * reason, and anything else fetch's own error (the caller knows which of
 * those are worth another attempt).
 */
export async function send(url: string, init: SendInit, options: SendOptions): Promise<Response> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  const { headersMs, idleMs } = options.timeouts;
  let timer: NodeJS.Timeout | undefined;
  let expired: Error | undefined;
  let answered = false;
  const arm = (phase: TimeoutPhase, ms: number) => {
    if (answered) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      expired = options.timeout(phase, ms);
      controller.abort(expired);
    }, ms);
  };
  arm("headers", headersMs);
  const streamed = init.body !== undefined && !(init.body instanceof Uint8Array);
  const body = streamed
    ? watched(
        init.body as AsyncIterable<Uint8Array>,
        () => arm("upload", idleMs),
        () => arm("headers", headersMs),
      )
    : init.body;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? "GET",
      headers: init.headers,
      body,
      // fetch clones a request it may have to redirect, and a cloned stream
      // tees: the unread branch would hold a whole blob in memory. So a
      // streamed body never follows a redirect, and streams in constant
      // memory. Streamed bodies also need half-duplex.
      redirect: streamed ? "error" : (init.redirect ?? "follow"),
      signal,
      ...(streamed ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (err) {
    if (expired !== undefined) throw expired;
    if (options.signal?.aborted) throw options.signal.reason;
    throw err;
  } finally {
    answered = true;
    clearTimeout(timer);
  }
  if (res.body === null) return res;
  const guarded = new Response(guard(res.body, controller, options), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  Object.defineProperties(guarded, { url: { value: res.url }, redirected: { value: res.redirected } });
  return guarded;
}

/** The upload's pieces, reporting each one taken and the end. */
async function* watched(
  source: AsyncIterable<Uint8Array>,
  progress: () => void,
  end: () => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    progress();
    yield chunk;
    progress();
  }
  end();
}

/** `body`, each read bounded by the idle timeout; its errors in the caller's terms. */
function guard(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  options: SendOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const idleMs = options.timeouts.idleMs;
  return new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        let timer: NodeJS.Timeout | undefined;
        let expired: Error | undefined;
        const idle = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            expired = options.timeout("body", idleMs);
            reject(expired);
          }, idleMs);
        });
        try {
          const next = await Promise.race([reader.read(), idle]);
          if (next.done) out.close();
          else out.enqueue(next.value);
        } catch (err) {
          const reason =
            expired ?? (options.signal?.aborted ? options.signal.reason : options.interrupted(err));
          // Drop the connection: a stalled server's socket is not kept for reuse.
          controller.abort(reason);
          reader.cancel(reason).catch(() => undefined);
          throw reason;
        } finally {
          clearTimeout(timer);
        }
      },
      async cancel(reason) {
        controller.abort(reason);
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
