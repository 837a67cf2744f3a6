// The password of a cosign key, as cosign finds it: $COSIGN_PASSWORD when
// set (an empty value is an empty password), else a prompt on the terminal
// with echo off. Without either there is no one to ask: KEY_PASSWORD_MISSING.

import { CudasealError } from "../errors.ts";

/** Read the password for an existing key. */
export function keyPassword(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.COSIGN_PASSWORD !== undefined) return Promise.resolve(env.COSIGN_PASSWORD);
  requireTty();
  return prompt("Enter password for private key: ");
}

/** Read the password for a new key: asked twice on a terminal. */
export async function newKeyPassword(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
  requireTty();
  const first = await prompt("Enter password for private key: ");
  const second = await prompt("Enter password for private key again: ");
  if (first !== second) throw new CudasealError("USAGE", "the two passwords differ");
  return first;
}

function requireTty(): void {
  if (process.stdin.isTTY !== true) {
    throw new CudasealError(
      "KEY_PASSWORD_MISSING",
      "the key's password is needed and there is no terminal to ask",
      {
        hint: "set COSIGN_PASSWORD (empty for a key without a password)",
      },
    );
  }
}

/** Ask on stderr, read a line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let text = "";
    const wasRaw = stdin.isRaw;
    // Echo goes off before the question shows, so nothing typed as soon as
    // the prompt appears is ever echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    const done = (err?: Error) => {
      stdin.removeListener("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") {
          return done(new CudasealError("KEY_PASSWORD_MISSING", "no password given"));
        }
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.resume();
    stdin.on("data", onData);
  });
}
