import assert from "node:assert/strict";
import { test } from "node:test";
import { printable } from "../../src/util/printable.ts";
import { textTable } from "../../src/util/text-table.ts";

test("C0, DEL and C1 controls are shown as \\xNN, other text as it is", () => {
  assert.equal(printable("a\nb\u001b[2Jc\u007f\u009bd"), "a\\x0ab\\x1b[2Jc\\x7f\\x9bd");
  assert.equal(printable("libc6 2.41-12 ü €"), "libc6 2.41-12 ü €");
});

test("a text table's cells cannot break its rows or reach the terminal, and widths follow what is shown", () => {
  const table = textTable(
    ["PACKAGE", "VERSION"],
    [
      ["evil\u001b]0;owned\u0007", "1\n2"],
      ["ok", "3"],
    ],
  );
  assert.equal(table.split("\n").length, 3);
  assert.doesNotMatch(table, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.equal(table.split("\n")[1], "evil\\x1b]0;owned\\x07  1\\x0a2");
  assert.equal(table.split("\n")[2], `${"ok".padEnd("evil\\x1b]0;owned\\x07".length)}  3`);
});
