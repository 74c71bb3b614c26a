/**
 * Finds a Firefox for Playwright: $FIREFOX_PATH or Debian's firefox-esr.
 * Playwright drives a stock Firefox over WebDriver BiDi (channel `moz-firefox`);
 * its own patched Firefox cannot be downloaded here. See patches/README.md for
 * the one BiDi command Firefox ESR lacks.
 */
import { findBrowser } from './chromium.ts';

const CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];

export class FirefoxNotFoundError extends Error {
  override name = 'FirefoxNotFoundError';
  constructor() {
    super('No Firefox found for the end-to-end tests.\n  Debian/Ubuntu: sudo apt-get install -y firefox-esr\n  or point FIREFOX_PATH at a Firefox binary.');
  }
}

export function findFirefox(): string {
  const found = findBrowser('FIREFOX_PATH', CANDIDATES, () => new FirefoxNotFoundError());
  if (found === undefined) throw new FirefoxNotFoundError();
  return found;
}

/**
 * Firefox's equivalents of the Chromium flags that keep WebRTC host candidates
 * as plain loopback addresses between tabs on one machine (see shared notes).
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.loopback': true,
};

/** Launch options for Playwright's `firefox` with the stock browser. */
export function firefoxLaunchOptions() {
  return { channel: 'moz-firefox', executablePath: findFirefox(), firefoxUserPrefs: FIREFOX_PREFS };
}
