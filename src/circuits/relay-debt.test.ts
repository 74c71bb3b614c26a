import { describe, expect, it } from 'vitest';
import { MAX_RELAY_DEBTORS, RELAY_DEBT_FORGIVEN_MS, RELAY_UNPAID_WINDOW_BYTES } from './constants.ts';
import { MemoryDebtStore, RelayDebts } from './relay-debt.ts';

const WINDOW = BigInt(RELAY_UNPAID_WINDOW_BYTES);

describe('RelayDebts', () => {
  it('keeps a large debtor when a flood of fresh keys passes MAX_RELAY_DEBTORS; the smallest debts go', async () => {
    const store = new MemoryDebtStore();
    const debts = RelayDebts.empty(() => 0, store);
    debts.add('big', 1n << 40n);
    for (let i = 0; i < MAX_RELAY_DEBTORS * 2; i++) debts.add(`fresh${i}`, BigInt(1 + (i % 7)));
    await debts.flush();
    expect(debts.of('big')).toBe(1n << 40n);
    expect(store.saved.size).toBe(MAX_RELAY_DEBTORS);
    expect(store.saved.get('big')?.debt).toBe(1n << 40n);
  });

  it('writes a burst of changes in one batch, the latest value of each key, and forgets keys back at zero', async () => {
    const store = new MemoryDebtStore();
    const debts = RelayDebts.empty(() => 0, store);
    for (let i = 0; i < 1000; i++) debts.add('a', 10n);
    debts.add('b', 5n);
    debts.add('b', -5n);
    await debts.flush();
    expect(store.writes).toBe(1);
    expect([...store.saved.keys()]).toEqual(['a']);
    expect((await RelayDebts.open(() => 0, store)).of('a')).toBe(10_000n);
  });

  it('forgives a window per RELAY_DEBT_FORGIVEN_MS, down to zero, also across a reload; a credit earns no forgiveness', async () => {
    let now = 0;
    const store = new MemoryDebtStore();
    const debts = RelayDebts.empty(() => now, store);
    debts.add('owes', 2n * WINDOW);
    debts.add('ahead', -WINDOW);
    await debts.flush();
    now += RELAY_DEBT_FORGIVEN_MS / 2;
    expect(debts.of('owes')).toBe(2n * WINDOW - WINDOW / 2n);
    // Forgiveness runs on stored time: the reloaded relay forgives the same.
    expect((await RelayDebts.open(() => now, store)).of('owes')).toBe(2n * WINDOW - WINDOW / 2n);
    now += 4 * RELAY_DEBT_FORGIVEN_MS;
    expect(debts.of('owes')).toBe(0n);
    // A key that was ahead for days, then falls behind, owes all of it.
    debts.add('ahead', 2n * WINDOW);
    expect(debts.of('ahead')).toBe(WINDOW);
    // A key busy every millisecond is still forgiven at the same rate.
    debts.add('busy', WINDOW);
    for (let ms = 0; ms < 1000; ms++) {
      now += 1;
      debts.add('busy', 1n);
    }
    expect(debts.of('busy')).toBeLessThan(WINDOW + 1000n - (WINDOW * 1000n) / BigInt(RELAY_DEBT_FORGIVEN_MS) / 2n);
  });
});
