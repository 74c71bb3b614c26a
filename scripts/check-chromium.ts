/** Fails `npm test` early, with install instructions, when no Chromium is available. */
import { ChromiumNotFoundError, findChromium } from '../e2e/support/chromium.ts';

try {
  console.log(`e2e: using Chromium at ${findChromium()}`);
} catch (err) {
  if (err instanceof ChromiumNotFoundError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
