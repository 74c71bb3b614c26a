import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { catchUp } from './catch-up.ts';
import { nobleSigner } from '../crypto/signers.ts';
import { MemoryHub } from '../ledger/memory-transport.ts';
import { startTestLedger } from '../ledger/test-ledger.ts';
import { mintAgreementIn, testPeer, transfer } from '../ledger/test-support.ts';

describe('catching up with a peer\'s head', () => {
  const me = testPeer('me', 1);
  const peer = testPeer('peer', 2);
  const third = testPeer('third', 3);
  const paysMe = transfer(me, peer, 10n).agreement; // peer's block 1: its agreement to my proposal
  const paidByThird = transfer(peer, third, 10n).proposal; // peer's block 2: its proposal to a third key

  it('takes the head as it came when it is the one block missing and half of a pair with us', () => {
    expect(catchUp(paysMe, 0, me.publicKey)).toBe('take-head');
  });

  it('crawls when more than the head is missing, or the head pairs with another key (its other half comes only with a crawl)', () => {
    expect(catchUp(paidByThird, 0, me.publicKey)).toBe('crawl');
    expect(catchUp(paidByThird, 1, me.publicKey)).toBe('crawl');
    // A peer cannot make us take a block it pairs with us by itself when blocks before it are missing.
    const later = transfer(me, peer, 10n).agreement;
    expect(catchUp(later, 1, me.publicKey)).toBe('crawl');
  });

  it('does nothing when the stored chain reaches the head, or no head was shown', () => {
    expect(catchUp(paysMe, 1, me.publicKey)).toBe('current');
    expect(catchUp(paysMe, 5, me.publicKey)).toBe('current');
    expect(catchUp(undefined, 0, me.publicKey)).toBe('current');
  });

  it('takes a head minted as paired with us, and counts its claimed credit as nothing', async () => {
    // Mallory shows as its head an agreement to a proposal of ours that never existed, claiming a terabyte uploaded to us.
    const hub = new MemoryHub();
    const seeder = await startTestLedger(hub, 'seeder', new Uint8Array(32).fill(11), 'catch-up-seeder');
    const mallory = await startTestLedger(hub, 'mallory', new Uint8Array(32).fill(12), 'catch-up-mallory');
    const head = await mintAgreementIn(mallory.ledger, nobleSigner(mallory.seed), seeder.ref.publicKey, 1n << 40n, Date.now());
    const before = await seeder.ledger.verifiedBalance(mallory.ref.publicKey);
    expect(catchUp(head, before.through, seeder.ref.publicKey)).toBe('take-head');
    await seeder.ledger.ingestBlocks([head]);
    expect(await seeder.ledger.verifiedBalance(mallory.ref.publicKey)).toMatchObject({ up: 0n, net: 0n, unconfirmedUp: 1n << 40n, through: 1, complete: true });
    for (const l of [seeder, mallory]) l.ledger.stop();
  });
});
