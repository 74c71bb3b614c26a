import { describe, expect, it } from 'vitest';
import { nobleEngine } from '../workers/verify-engine.ts';
import { inlineVerifier } from './verifier.ts';
import type { HalfBlock } from './block.ts';
import { signBlock } from './block-codec.ts';
import { Ingestor } from './ingest.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { registry, testPeer, transfer } from './test-support.ts';

function ingestor(store = new MemoryBlockStore()): { ing: Ingestor; store: MemoryBlockStore } {
  const s = Object.assign(store, { putMany: async (bs: readonly HalfBlock[]) => bs.map((b) => store.putSync(b)) });
  return { ing: new Ingestor(s, registry, inlineVerifier(nobleEngine)), store };
}

describe('Ingestor', () => {
  it('stores a valid batch in one go and grades it against itself', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 4; i++) transfer(alice, bob, 10n);
    const { ing, store } = ingestor();
    const r = await ing.ingest([...alice.chain, ...bob.chain, alice.chain[0]!]);
    expect(r.added).toHaveLength(8);
    expect(r.fraud).toEqual([]);
    expect(r.validated.find((v) => v.block === alice.chain[1])?.result.outcome).toBe('valid');
    expect(store.size).toBe(8);
  });

  it('drops a tampered block without claiming fraud, and keeps the rest', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 3; i++) transfer(alice, bob, 10n);
    const tampered = { ...alice.chain[2]!, timestamp: 1 };
    const { ing, store } = ingestor();
    const r = await ing.ingest([alice.chain[0]!, alice.chain[1]!, tampered]);
    expect(r.validated.find((v) => v.block === tampered)?.result).toMatchObject({ outcome: 'invalid', errors: ['the signature does not verify'] });
    expect(r.fraud).toEqual([]);
    expect(store.size).toBe(2);
  });

  it('turns a fork against the store, or inside a batch, into a verified proof', async () => {
    const alice = testPeer('alice', 1);
    const bob = testPeer('bob', 2);
    for (let i = 0; i < 2; i++) transfer(alice, bob, 10n);
    const { signature: _, ...rest } = { ...alice.chain[1]!, timestamp: 5 };
    const fork = signBlock(rest, alice.seed);
    const { ing } = ingestor();
    await ing.ingest(alice.chain);
    expect((await ing.ingest([fork])).fraud.map((p) => p.kind)).toEqual(['double-sign']);
    const fresh = ingestor().ing;
    expect((await fresh.ingest([alice.chain[1]!, fork])).fraud.map((p) => p.kind)).toEqual(['double-sign']);
  });
});
