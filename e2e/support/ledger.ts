/** Ledger test-hook calls from Playwright (test builds expose window.__trustmesh). */
import type { Page } from '@playwright/test';

type Hooks = Record<string, (...args: unknown[]) => unknown>;

export async function ledger<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([m, a]) => ((globalThis as unknown as { __trustmesh: { ledger: Hooks } }).__trustmesh.ledger[m as string]!(...(a as unknown[])) as Promise<T>),
    [method, args] as const,
  );
}

export async function hooksReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { __trustmesh?: { phase(): string } }).__trustmesh?.phase() === 'running');
}
