import { defineConfig } from '@playwright/test';
import type { EngineOptions } from './e2e/support/fixtures.ts';
import { CHROMIUM_ARGS, findChromium } from './e2e/support/chromium.ts';
import { firefoxLaunchOptions } from './e2e/support/firefox.ts';

/** Tests tagged with this in their title also run in Firefox, and in a network of Firefox and Chromium tabs. */
const EVERY_BROWSER = /@browsers/;
const chromiumLaunch = { executablePath: findChromium(), args: CHROMIUM_ARGS };

export default defineConfig<EngineOptions>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/support/global-setup.ts',
  // Each test drives several real tabs doing WebRTC; on a 2-core machine they run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: { trace: 'retain-on-failure' },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium', launchOptions: chromiumLaunch } },
    { name: 'firefox', grep: EVERY_BROWSER, use: { browserName: 'firefox', launchOptions: firefoxLaunchOptions() } },
    // Every other tab a test opens is Firefox: each scenario then crosses engines both ways.
    { name: 'mixed', grep: EVERY_BROWSER, use: { browserName: 'chromium', launchOptions: chromiumLaunch, mixedEngines: true } },
  ],
});
