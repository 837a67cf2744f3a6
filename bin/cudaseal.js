#!/usr/bin/env node
// Entry point: needs Node 24 or newer, which runs the TypeScript sources directly.
// The check is here, not in package.json's `engines`: npm checks `engines`
// against the Node npm itself runs on (often an older system Node), while
// `npm run` and `npx` run this file with the Node 24 the project brings, so
// an `engines` floor only warned EBADENGINE about a Node that never runs it.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `error [USAGE]: cudaseal needs Node.js 24 or newer (this is ${process.version})\n` +
      "  hint: run it through npm (npm run cudaseal -- ..., or npx cudaseal ...), which uses the Node the project pins\n",
  );
  process.exit(2);
}
// Node strips the types of every module on every start; its compile cache
// keeps the stripped code and V8's bytecode, which halves the start of a
// command. It lives in the user's own cache folder, not the shared temporary
// one, where another user could plant code; NODE_COMPILE_CACHE overrides it
// and NODE_DISABLE_COMPILE_CACHE=1 turns it off. A folder that cannot be
// written only costs the speed-up.
// The folder is src/cache/dirs.ts's rule written out in plain JavaScript:
// importing any TypeScript file before the cache is on loads Node's type
// stripper on every start (about 0.12 s here, a tenth of a warm build).
const { enableCompileCache } = await import("node:module");
const { join } = await import("node:path");
const { homedir } = await import("node:os");
const env = process.env;
const xdg = env.XDG_CACHE_HOME;
const cacheDir =
  env.CUDASEAL_CACHE_DIR || join(xdg?.startsWith("/") ? xdg : join(homedir(), ".cache"), "cudaseal");
enableCompileCache(env.NODE_COMPILE_CACHE || join(cacheDir, "node-compile-cache"));
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
