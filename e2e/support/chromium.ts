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

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new ChromiumNotFoundError();
    return fromEnv;
  }
  for (const c of CANDIDATES) if (existsSync(c)) return c;
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
