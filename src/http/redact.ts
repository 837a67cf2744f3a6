// URLs as they may appear in messages and --json output: no user info, and
// no query, since upload state, signed storage redirects and tokens travel
// there. Errors from fetch itself may quote the URL whole, so their text is
// scrubbed too.

/** `url` without its credentials and query; a placeholder when it cannot be parsed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** `text` with every quotation of `url` redacted. */
export function redactIn(text: string, url: string): string {
  return text.split(url).join(redactUrl(url));
}
