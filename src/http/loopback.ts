// Loopback hosts, where plain HTTP never leaves the machine: the only places
// besides hosts the user names that may be spoken to without TLS, and the
// only ones a credential may be sent to without it.

const LOOPBACK = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/;

/** True for a loopback `host[:port]` (127.0.0.1, localhost, [::1]). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
