/** Builds a signed two-party bandwidth chain in Node (native signing) for validation benchmarks. */
import { encodeBlock } from '../src/ledger/block-codec.ts';
import type { HalfBlock } from '../src/ledger/block.ts';
import { signWith, unsignedAgreement, unsignedProposal } from '../src/ledger/chain.ts';
import { bestSigner } from '../src/crypto/signers.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth, type BandwidthTx } from '../src/ledger/transactions/bandwidth.ts';

export async function buildPairs(pairs: number): Promise<string[]> {
  const a = await bestSigner(crypto.getRandomValues(new Uint8Array(32)));
  const b = await bestSigner(crypto.getRandomValues(new Uint8Array(32)));
  let headA: HalfBlock | undefined;
  let headB: HalfBlock | undefined;
  let totalsA: BandwidthTx | undefined;
  let totalsB: BandwidthTx | undefined;
  const out: string[] = [];
  for (let i = 0; i < pairs; i++) {
    totalsA = nextBandwidth(totalsA, 1024n, 0n);
    const p = await signWith(a, unsignedProposal(a.publicKey, headA, b.publicKey, BANDWIDTH, bandwidthType.encode(totalsA), 1_764_000_000_000 + i));
    totalsB = nextBandwidth(totalsB, 0n, 1024n);
    const g = await signWith(b, unsignedAgreement(b.publicKey, headB, p, bandwidthType.encode(totalsB), 1_764_000_000_000 + i));
    headA = p;
    headB = g;
    out.push(Buffer.from(encodeBlock(p)).toString('base64'), Buffer.from(encodeBlock(g)).toString('base64'));
  }
  return out;
}
