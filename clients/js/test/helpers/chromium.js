// Debian's headless Chromium for the page tests, through playwright-core:
// one launch configuration, and the folder the tests write screenshots to.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.ROOMCAST_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/** Where page tests write their screenshots (clients/js/test-artifacts). */
export const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts");

/**
 * Launches Chromium ($ROOMCAST_CHROMIUM, default /usr/bin/chromium) and
 * makes sure the artifacts folder exists. Fails saying how to install
 * Chromium when it is missing.
 */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser test: ${CHROMIUM} not found. Install Debian's Chromium (apt-get update && apt-get install -y chromium) ` +
        "or run `make test`, which installs it; set ROOMCAST_CHROMIUM to use another binary.",
    );
  }
  await mkdir(artifacts, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
}
