import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createIdentity } from './identity.ts';
import { IdentityStore } from './identity-store.ts';

const identity = createIdentity((n) => new Uint8Array(n).fill(7), () => 1_700_000_000_000);

describe('IdentityStore', () => {
  it('remembers that a restored identity has not synced its chain head yet, until told it did', async () => {
    const store = await IdentityStore.open();
    await store.save(identity);
    expect(await store.restoredUnsynced()).toBe(false);
    await store.save(identity, { restored: true });
    store.close();
    // A reload: the flag survives, so the next start asks peers before signing.
    const reopened = await IdentityStore.open();
    expect(await reopened.restoredUnsynced()).toBe(true);
    await reopened.markSynced();
    expect(await reopened.restoredUnsynced()).toBe(false);
    expect(await reopened.load()).toEqual(identity);
    reopened.close();
  });
});
