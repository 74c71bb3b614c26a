import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyEd25519 } from '../crypto/signature.ts';
import { Catalogue } from './catalogue.ts';
import { CatalogueStore } from './catalogue-store.ts';
import { signedBy } from './test-support.ts';

const T0 = 1_800_000_000_000;
const opened: CatalogueStore[] = [];
const open = async (): Promise<CatalogueStore> => {
  const s = await CatalogueStore.open();
  opened.push(s);
  return s;
};

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  indexedDB.deleteDatabase('trustmesh-discovery');
});

describe('catalogue store', () => {
  it('keeps what the catalogue holds, and a new catalogue reloads it', async () => {
    const clock = { t: T0 };
    const first = new Catalogue({ now: () => clock.t, verify: verifyEd25519 });
    const store = await open();
    store.follow(first);
    first.offer(await signedBy(1, 1, T0));
    first.offer(await signedBy(2, 2, T0, { expiresAt: T0 + 1_000 }));
    first.offer(await signedBy(1, 1, T0 + 5, { seeders: 7 }));
    await store.flush();
    clock.t += 1_000;
    first.prune();
    await store.close();

    const again = await open();
    const kept = await again.records();
    expect(kept).toHaveLength(1);
    const second = new Catalogue({ now: () => clock.t, verify: () => false });
    // Restored without a signature check (they were checked when they arrived).
    expect(second.restore(kept)).toBe(1);
    expect(second.swarms()[0]?.seeders).toBe(7);
  });

  it('remembers announce switches, on by default', async () => {
    const store = await open();
    expect(store.announces('ab')).toBe(true);
    await store.setAnnounces('ab', false);
    await store.close();
    const again = await open();
    expect(again.announces('ab')).toBe(false);
    await again.setAnnounces('ab', true);
    expect(again.announces('ab')).toBe(true);
  });
});
