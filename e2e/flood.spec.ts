/**
 * Storage only for what we have reason to keep: a tab flooded with gossip of
 * blocks nobody asked for keeps its storage within its budget and goes on
 * signing and paying.
 */
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks, ledger } from './support/ledger.ts';

const flood = hooks('ledgerFlood');

interface TierUsage {
  blocks: number;
  bytes: number;
}
interface Storage {
  usage: { blocks: number; bytes: number; pinnedBlocks: number; tiers: Record<'pinned' | 'general' | 'stranger', TierUsage> };
  budgets: Record<'general' | 'stranger', { maxBlocks: number; maxBytes: number }>;
}

/** Whether storage holds no more than the pinned blocks plus each tier's budget. */
function withinBudget(s: Storage): boolean {
  const { tiers } = s.usage;
  return (['general', 'stranger'] as const).every((t) => tiers[t].blocks <= s.budgets[t].maxBlocks && tiers[t].bytes <= s.budgets[t].maxBytes);
}

test("a gossip flood of 50,000 blocks of unknown types and fresh keys: the victim's storage stays within its budget and it still signs and pays", async ({ openPeer }) => {
  test.setTimeout(180_000);
  const [victim, mallory, carol] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  const ids = await directMesh([victim, mallory, carol]);
  const before = await flood<Storage>(victim.page, 'storage');

  const started = Date.now();
  const attack = flood<{ pairs: number; signMs: number; sendMs: number; failed: number; errors: string[] }>(mallory.page, 'flood', ids[0], 50_000);
  let done = false;
  void attack.finally(() => (done = true)).catch(() => undefined);
  // Storage is sampled while the flood runs: the budget holds at every moment, not only after an eviction run.
  const samples: Storage[] = [];
  while (!done) samples.push(await flood<Storage>(victim.page, 'storage'));
  const sent = await attack;
  const after = await flood<Storage>(victim.page, 'storage');
  console.log(`flood: ${sent.pairs} pairs (${2 * sent.pairs} blocks), signed in ${Math.round(sent.signMs)} ms, sent in ${Math.round(sent.sendMs)} ms, ${sent.failed} failed; ${Date.now() - started} ms in all; victim stored ${after.usage.blocks - before.usage.blocks} of them (${JSON.stringify(after.usage.tiers)}), ${samples.length} samples`);

  expect(sent.failed, sent.errors.join('; ')).toBe(0);
  for (const s of [...samples, after]) expect(withinBudget(s), JSON.stringify(s.usage.tiers)).toBe(true);
  expect(after.usage.tiers.pinned.blocks).toBe(before.usage.tiers.pinned.blocks);

  // The victim still signs (countersigns carol's payment) and pays (carol countersigns).
  await ledger(victim.page, 'acceptAll');
  await ledger(carol.page, 'acceptAll');
  expect(await ledger<string>(carol.page, 'payError', ids[0], 1000)).toBe('accepted');
  expect(await ledger<string>(victim.page, 'payError', ids[2], 500)).toBe('accepted');
  const end = await flood<Storage>(victim.page, 'storage');
  expect(end.usage.tiers.pinned.blocks).toBe(before.usage.tiers.pinned.blocks + 4);
  expect(withinBudget(end)).toBe(true);
});
