/** Debian's Chromium driven by playwright-core, shared by the browser tests and the benchmarks. */
import { existsSync } from 'fs';
import { Browser, chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

/** Debian's Chromium, or undefined outside CI when it is not installed. In CI a missing browser is a failure. */
export function chromiumPath(): string | undefined {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found && process.env.CI) throw new Error('Chromium is required for the browser tests in CI (apt-get install -y chromium).');
  if (!found) console.warn('Chromium not found: browser tests are skipped outside CI.');
  return found;
}

/**
 * Flags for headless Debian Chromium on these machines: without the background-networking ones, Chromium keeps
 * trying hosts the closed network refuses.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** Headless Chromium for the browser tests and the benchmarks. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
