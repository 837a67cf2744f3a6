#!/usr/bin/env node
// Entry point: needs Node 24 or newer, which runs the TypeScript sources directly.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `error [USAGE]: cudaseal needs Node.js 24 or newer (this is ${process.version})\n` +
      "  hint: run it through npm (npm run cudaseal -- ..., or npx cudaseal ...), which uses the Node the project pins\n",
  );
  process.exit(2);
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
