/** Test-hook calls from Playwright (test builds expose window.__trustmesh, a group of hooks per capability). */
import type { Page } from '@playwright/test';

type Hooks = Record<string, Record<string, (...args: unknown[]) => unknown>>;

/** Calls for one group of hooks: `hooks('ledger')(page, 'publicKey')`. */
export function hooks(group: 'ledger' | 'sharing' | 'circuits' | 'bench' | 'money' | 'sharingJunk' | 'sharingDebt' | 'ledgerFlood') {
  return <T>(page: Page, method: string, ...args: unknown[]): Promise<T> =>
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
