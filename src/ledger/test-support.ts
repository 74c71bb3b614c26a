/** Helpers for ledger tests: fixed identities and a two-party bandwidth transaction. */
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import type { HalfBlock } from './block.ts';
import { signBlock } from './block-codec.ts';
import { createAgreement, createProposal, type Signer } from './chain.ts';
import { MemoryBlockStore } from './memory-store.ts';
import { bandwidthType, BANDWIDTH, nextBandwidth, type BandwidthTx } from './transactions/bandwidth.ts';
import { defaultRegistry } from './transactions/default-registry.ts';

export interface TestPeer extends Signer {
  name: string;
  chain: HalfBlock[];
}

export function testPeer(name: string, seedByte: number): TestPeer {
  const seed = new Uint8Array(32).fill(seedByte);
  return { name, seed, publicKey: publicKeyFromSeed(seed), chain: [] };
}

export const registry = defaultRegistry();

export function head(p: TestPeer): HalfBlock | undefined {
  return p.chain.at(-1);
}

function lastTotals(p: TestPeer): BandwidthTx | undefined {
  for (let i = p.chain.length - 1; i >= 0; i--) {
    const b = p.chain[i]!;
    if (b.type === BANDWIDTH) return bandwidthType.decode(b.transaction);
  }
  return undefined;
}

/** `uploader` served `bytes` to `downloader`: the uploader proposes, the downloader agrees. */
export function transfer(uploader: TestPeer, downloader: TestPeer, bytes: bigint, now = 1_700_000_000_000): { proposal: HalfBlock; agreement: HalfBlock } {
  const ptx = nextBandwidth(lastTotals(uploader), bytes, 0n);
  const proposal = createProposal(uploader, head(uploader), downloader.publicKey, BANDWIDTH, bandwidthType.encode(ptx), now);
  uploader.chain.push(proposal);
  const atx = nextBandwidth(lastTotals(downloader), 0n, bytes);
  const agreement = createAgreement(downloader, head(downloader), proposal, bandwidthType.encode(atx), now + 1);
  downloader.chain.push(agreement);
  return { proposal, agreement };
}

export function storeWith(...blocks: HalfBlock[]): MemoryBlockStore {
  const s = new MemoryBlockStore();
  for (const b of blocks) s.putSync(b);
  return s;
}

/** `b` with `changes`, re-signed by `p`: what a cheating owner can produce. */
export function resign(p: Pick<TestPeer, 'seed'>, b: HalfBlock, changes: Partial<HalfBlock>): HalfBlock {
  const { signature: _, ...rest } = { ...b, ...changes };
  return signBlock(rest, p.seed);
}
