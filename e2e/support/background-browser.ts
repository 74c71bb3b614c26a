/**
 * A Chromium whose tabs can really be hidden. Playwright keeps every page it
 * opens "visible" (it emulates focus on each, which Chromium honours by keeping
 * the tab shown), so a background tab's throttled timers never show in a test.
 * This browser is started by us and attached with `noDefaults`, which leaves its
 * default profile's tabs as a user's are: bring another tab to the front and
 * the first is hidden, its timers fire at most once a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './chromium.ts';
import { waitFor } from './processes.ts';

/** How long the browser gets to quit before it is killed. */
const QUIT_GRACE_MS = 5_000;

export interface BackgroundBrowser {
  /** A tab of the browser's own profile: the app runs here. */
  page: Page;
  browser: Browser;
  /** Brings another tab to the front, so `page` is hidden as a background tab is. */
  hide(): Promise<void>;
  close(): Promise<void>;
}

export async function launchBackgroundBrowser(): Promise<BackgroundBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'trustmesh-background-'));
  const proc: ChildProcess = spawn(findChromium(), [...CHROMIUM_ARGS, '--headless', '--remote-debugging-port=0', `--user-data-dir=${dir}`, 'about:blank'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    // Attached over CDP, Playwright's close only detaches: ask the browser itself to quit, so it shuts its
    // helper processes down before it exits (a plain kill left them writing to the profile for a moment).
    const cdp = await browser?.newBrowserCDPSession().catch(() => undefined);
    await cdp?.send('Browser.close').catch(() => undefined);
    await browser?.close().catch(() => undefined);
    const hardKill = setTimeout(() => proc.kill('SIGKILL'), QUIT_GRACE_MS);
    if (proc.exitCode === null && proc.signalCode === null) await exited;
    clearTimeout(hardKill);
    // A helper may still be letting go of a file: retried, as Node does for ENOTEMPTY and EBUSY.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  let browser: Browser | undefined;
  try {
    // Chromium writes the port it chose, then the browser target's path, once it listens.
    const port = await waitFor('Chromium to listen for DevTools', async () => readFileSync(join(dir, 'DevToolsActivePort'), 'utf8').split('\n')[0] || undefined, 30_000);
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { noDefaults: true });
    const context = browser.contexts()[0]!;
    const page = context.pages()[0] ?? (await context.newPage());
    let cover: Page | undefined;
    return {
      page,
      browser,
      async hide() {
        cover ??= await context.newPage();
        await cover.bringToFront();
        await expect.poll(() => page.evaluate(() => document.visibilityState), { message: 'the tab is hidden behind another' }).toBe('hidden');
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
