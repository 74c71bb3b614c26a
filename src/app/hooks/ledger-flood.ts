/**
 * Test hooks for the storage flood (test builds only, see test-hooks.ts): an
 * attacker tab signs pairs of genesis blocks of fresh keys with unknown type
 * names (valid signatures, native Ed25519) and publishes them as ledger
 * gossip, which reaches the victim (its neighbour) first-hand; any tab reports
 * its storage use per tier and its budgets.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import type { HalfBlock } from '../../ledger/block.ts';
import { signWith, unsignedAgreement, unsignedProposal } from '../../ledger/chain.ts';
import { peerRef } from '../../ledger/libp2p-transport.ts';
import type { MessageSigner } from '../../crypto/signers.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';


/** A fresh Ed25519 key, signing natively (the flood is about volume, not about which engine signs). */
async function freshSigner(): Promise<MessageSigner> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { publicKey, engine: 'webcrypto', sign: async (m) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, m as BufferSource)) };
}

/** A proposal and its agreement, each the first block of a key never seen before, of a type nobody registered. */
async function strangerPair(i: number): Promise<{ proposal: HalfBlock; agreement: HalfBlock }> {
  const [a, b] = await Promise.all([freshSigner(), freshSigner()]);
  const type = `flood-${i % 97}`;
  const tx = crypto.getRandomValues(new Uint8Array(32));
  const proposal = await signWith(a, unsignedProposal(a.publicKey, undefined, b.publicKey, type, tx, Date.now()));
  const agreement = await signWith(b, unsignedAgreement(b.publicKey, undefined, proposal, tx, Date.now()));
  return { proposal, agreement };
}

export function ledgerFloodHooks(session: AppSession) {
  const ledger = () => running(session).ledger;
  return {
    /**
     * Publishes `blocks` blocks (as blocks / 2 gossiped pairs) to our neighbours, `peerId` among
     * them, signing and publishing `batch` pairs at a time. Resolves with how long signing and
     * sending took.
     */
    async flood(peerId: string, blocks: number, batch = 500): Promise<{ pairs: number; signMs: number; sendMs: number; failed: number; errors: string[] }> {
      const target = peerRef(peerIdFromString(peerId));
      if (target === undefined) throw new Error(`not an Ed25519 peer: ${peerId}`);
      const { transport } = ledger();
      const pairs = Math.floor(blocks / 2);
      let signMs = 0;
      let sendMs = 0;
      let failed = 0;
      const errors = new Set<string>();
      for (let start = 0; start < pairs; start += batch) {
        let t = performance.now();
        const made = await Promise.all(Array.from({ length: Math.min(batch, pairs - start) }, (_, j) => strangerPair(start + j)));
        signMs += performance.now() - t;
        t = performance.now();
        const sent = await Promise.allSettled(
          made.map((payload) => transport.gossip.publish({ kind: 'pair', ...payload })),
        );
        for (const s of sent) {
          if (s.status === 'fulfilled') continue;
          failed += 1;
          if (errors.size < 5) errors.add(String((s.reason as Error).message));
        }
        // A write resolves once queued, not delivered: a round trip per batch keeps the queue (and the
        // connection's pings behind it) from growing without bound, so the flood is as fast as the victim reads.
        await transport.request(target, { type: 'crawl-request', publicKey: new Uint8Array(32), start: -1, end: -1, limit: 1 }, 30_000);
        sendMs += performance.now() - t;
      }
      return { pairs, signMs, sendMs, failed, errors: [...errors] };
    },
    /** Blocks and bytes stored per tier, and the budgets of the tiers that have one. */
    storage() {
      const { store } = ledger();
      return { usage: store.usage(), budgets: store.budgets };
    },
  };
}
