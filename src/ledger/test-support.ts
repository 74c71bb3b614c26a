/**
 * Helpers for ledger tests (unit tests, and the test build's hooks): fixed
 * identities, a two-party bandwidth transaction, and what cheaters sign.
 */
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import type { HalfBlock } from './block.ts';
import { signBlock } from './block-codec.ts';
import { createAgreement, createProposal, signWith, unsignedAgreement, unsignedProposal, type Signer } from './chain.ts';
import type { LedgerService } from './ledger-service.ts';
import type { PeerRef } from './ledger-transport.ts';
import type { TokenAmounts } from './transactions/registry.ts';
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

/**
 * `p` writes into its own chain an agreement to `ghost`'s proposal 1, which
 * never existed, claiming `up` bytes uploaded: the minting attack.
 */
export function mintAgreement(p: TestPeer, ghost: Uint8Array, up: bigint, now = 1_700_000_000_000): HalfBlock {
  const invented = { publicKey: ghost, sequenceNumber: 1, type: BANDWIDTH } as HalfBlock;
  const agreement = createAgreement(p, head(p), invented, bandwidthType.encode(nextBandwidth(lastTotals(p), up, 0n)), now);
  p.chain.push(agreement);
  return agreement;
}

/**
 * The same, through a running ledger's own chain (signed and committed like
 * any own block): `up` bytes from a proposal by `ghost` that never existed.
 */
export async function mintAgreementIn(ledger: LedgerService, signer: MessageSigner, ghost: Uint8Array, up: bigint, now: number): Promise<HalfBlock> {
  const invented = { publicKey: ghost, sequenceNumber: 1, type: BANDWIDTH } as HalfBlock;
  const [agreement] = await ledger.own.sign(async (h, totals) => [
    await signWith(signer, unsignedAgreement(signer.publicKey, h, invented, bandwidthType.encode(nextBandwidth(totals, up, 0n)), now)),
  ]);
  return agreement!;
}

/**
 * A running ledger signs two different proposals at the same position, to
 * `a` and `b`, and asks both for their agreement: a forked chain. Only the
 * first is kept in its store.
 */
export async function forgeDoubleSign(ledger: LedgerService, signer: MessageSigner, a: PeerRef, b: PeerRef, type: string, transaction: (ownTotals: TokenAmounts | undefined) => Uint8Array, now: number): Promise<void> {
  let second: HalfBlock | undefined;
  const [first] = await ledger.own.sign(async (h, totals) => {
    second = await signWith(signer, unsignedProposal(signer.publicKey, h, b.publicKey, type, transaction(totals), now + 1));
    return [await signWith(signer, unsignedProposal(signer.publicKey, h, a.publicKey, type, transaction(totals), now))];
  });
  await Promise.allSettled([ledger.requestAgreement(a, first!), ledger.requestAgreement(b, second!)]);
}
