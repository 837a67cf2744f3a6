// Text that came from an image, a registry or a feed is someone else's
// choice: a newline would break a table's rows or a log's lines, and an
// escape sequence would rewrite the reader's terminal (C1's CSI, U+009B, is
// one too where the terminal reads 8-bit controls). Each control character
// is shown as \xNN instead, so nothing is hidden and nothing is obeyed.

/** `text` on one line with every C0, DEL and C1 control character written as `\xNN`. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
