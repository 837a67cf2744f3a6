// The browser the report tests drive: Debian's own chromium, headless,
// through playwright-core (no browser is downloaded). Chromium will not
// start its sandbox as root, so --no-sandbox is passed only when the tests
// run as root (a CI container); as any other user the sandbox stays on.
// Every page is watched: console errors, page errors, dialogs and any
// request for something other than the report's own file:// URL.

import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CUDASEAL_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (scripts/install-test-tools.sh)`;
}

export async function launch(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: asRoot ? ["--no-sandbox"] : [] });
}

/** What a page did that a report must never do. */
export interface Watched {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

/** Open the report at `file` in a fresh context of `width`×`height`, watching everything it does. */
export async function openReport(
  browser: Browser,
  file: string,
  size: { width: number; height: number },
  colorScheme: "light" | "dark" = "light",
): Promise<Watched> {
  const context = await browser.newContext({ viewport: size, colorScheme });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const watched: Watched = { page, errors: [], requests: [], dialogs: [] };
  page.on("console", (m) => {
    if (m.type() === "error") watched.errors.push(m.text());
  });
  page.on("pageerror", (e) => watched.errors.push(String(e)));
  page.on("dialog", (d) => {
    watched.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("request", (r) => {
    if (r.url().split("#")[0] !== url) watched.requests.push(r.url());
  });
  // Anything else is refused before it leaves, so a failure here cannot reach a network either.
  await context.route(
    (u) => u.href.split("#")[0] !== url,
    (route) => route.abort(),
  );
  await page.goto(url);
  await page
    .waitForSelector("html[data-ready=true]", { state: "attached", timeout: 10_000 })
    .catch((err: unknown) => {
      throw new Error(`the report did not render: ${watched.errors.join("; ")}`, { cause: err });
    });
  return watched;
}
