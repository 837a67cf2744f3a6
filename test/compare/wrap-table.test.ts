// The compare table's cells come from images: control characters, C0 and C1
// alike, are shown as \xNN so no cell can move the cursor or recolour the
// reader's terminal, and a wrapped table keeps to its width.

import assert from "node:assert/strict";
import { test } from "node:test";
import { wrapTable } from "../../src/compare/wrap-table.ts";

test("control characters in a cell are shown as \\xNN, C1's CSI included", () => {
  const text = wrapTable(
    [
      ["measure", "image"],
      ["user", "root\u001b[31m\u009b2J\nnext\u0085"],
    ],
    100,
  );
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.match(text, /root\\x1b\[31m\\x9b2J\\x0anext\\x85/);
});

test("a table wider than its width wraps its cells at spaces", () => {
  const text = wrapTable(
    [
      ["measure", "a", "b"],
      ["shells", "bash dash sh zsh ".repeat(8).trim(), "none"],
    ],
    40,
  );
  for (const line of text.split("\n")) assert.ok(line.length <= 40, line);
  assert.ok(text.split("\n").length > 2);
});
