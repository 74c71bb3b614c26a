import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbServiceKeyStore } from './idb-service-keys.ts';

describe('hidden swarms\' service keys in IndexedDB', () => {
  it('keeps one key per swarm across a reload, and a different key for each swarm', async () => {
    const a = '11'.repeat(20);
    const b = '22'.repeat(20);
    const first = await new IdbServiceKeyStore().seedFor(a);
    const reloaded = new IdbServiceKeyStore();
    expect(await reloaded.seedFor(a)).toEqual(first);
    expect(await reloaded.seedFor(b)).not.toEqual(first);
  });
});
