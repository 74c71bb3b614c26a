/** Finds a Chromium for Playwright: $CHROMIUM_PATH, Debian's package, or Playwright's own download. */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export class ChromiumNotFoundError extends Error {
  override name = 'ChromiumNotFoundError';
  constructor() {
    super(
      'No Chromium found for the end-to-end tests.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y chromium\n' +
        '  elsewhere:     npx playwright install chromium\n' +
        '  or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
}

/** A browser binary: the one `envVar` names (which must exist), else the first of `candidates` that does; undefined if none. */
export function findBrowser(envVar: string, candidates: readonly string[], missing: () => Error): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw missing();
    return fromEnv;
  }
  return candidates.find((c) => existsSync(c));
}

export function findChromium(): string {
  const found = findBrowser('CHROMIUM_PATH', CANDIDATES, () => new ChromiumNotFoundError());
  if (found !== undefined) return found;
  try {
    const bundled = chromium.executablePath();
    if (existsSync(bundled)) return bundled;
  } catch {
    // Playwright has no browser of its own installed.
  }
  throw new ChromiumNotFoundError();
}

/** Flags that make headless Chromium quiet and WebRTC deterministic on a closed network (see shared notes). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
