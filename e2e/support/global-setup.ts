/** Builds the app once, in test mode (with test hooks), into dist-test/, and the relay (a compile error shows here once). */
import { build } from 'vite';
import { resolve } from 'node:path';
import { buildRelay } from '../../relay/launch.mjs';

export default async function globalSetup(): Promise<void> {
  const root = resolve(import.meta.dirname, '../..');
  await build({ root, mode: 'test', logLevel: 'warn', build: { outDir: 'dist-test', emptyOutDir: true } });
  await buildRelay();
}
