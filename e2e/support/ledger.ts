/** Test-hook calls from Playwright (test builds expose window.__trustmesh, a group of hooks per capability). */
import type { Page } from '@playwright/test';
import type { PeerPage } from './peer-page.ts';
import type { TestHooks } from '../../src/app/test-hooks.ts';

type Hooks = Record<string, Record<string, (...args: unknown[]) => unknown>>;
/** The hook groups of a test build, by name: a renamed hook fails the type check, not a run. */
type Group = Exclude<keyof TestHooks, 'session' | 'phase' | 'speedTest'>;

/** Calls for one group of hooks: `hooks('ledger')(page, 'publicKey')`. */
export function hooks<G extends Group>(group: G) {
  return <T>(page: Page, method: keyof TestHooks[G] & string, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([g, m, a]) => (globalThis as unknown as { __trustmesh: Hooks }).__trustmesh[g as string]![m as string]!(...(a as unknown[])) as Promise<T>,
      [group, method, args] as const,
    );
}

export const ledger = hooks('ledger');
export const circuits = hooks('circuits');

export async function hooksReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { __trustmesh?: { phase(): string } }).__trustmesh?.phase() === 'running');
}

/** Waits until every peer runs and holds a direct connection to every other; returns their peer ids in order. */
export async function directMesh(peers: readonly PeerPage[]): Promise<string[]> {
  for (const p of peers) await hooksReady(p.page);
  const ids = await Promise.all(peers.map((p) => p.peerId()));
  await Promise.all(peers.map((p, i) => p.expectDirectPeers(ids.filter((_, j) => j !== i))));
  return ids;
}
