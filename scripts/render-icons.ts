/**
 * Renders public/icon.svg to the PNG icons the web app manifest needs
 * (installability wants PNGs). Run once after changing the SVG:
 *   npx tsx scripts/render-icons.ts
 */
import { readFile } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import { findChromium } from '../e2e/support/chromium.ts';

const targets = [
  { file: 'public/icon-192.png', size: 192, padding: 0 },
  { file: 'public/icon-512.png', size: 512, padding: 0 },
  // Maskable icons are cropped to a circle of 80% diameter: keep the artwork inside.
  { file: 'public/icon-maskable-512.png', size: 512, padding: 0.12 },
  { file: 'public/apple-touch-icon.png', size: 180, padding: 0 },
];

const svg = await readFile('public/icon.svg', 'utf8');
const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
const page = await browser.newPage();
for (const t of targets) {
  const inner = Math.round(t.size * (1 - 2 * t.padding));
  await page.setViewportSize({ width: t.size, height: t.size });
  await page.setContent(`<html><body style="margin:0;background:#0f1417;display:grid;place-items:center;height:${t.size}px">
    <img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" width="${inner}" height="${inner}"></body></html>`);
  await page.screenshot({ path: t.file, omitBackground: false });
  console.log(`wrote ${t.file}`);
}
await browser.close();
