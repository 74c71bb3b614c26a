import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HalfBlock } from './block.ts';
import { CRAWL_INGEST_BLOCKS, CRAWL_PAGES_IN_FLIGHT, MAX_CRAWL_BLOCKS } from './constants.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerMessage } from './ledger-wire.ts';
import { MemoryHub } from './memory-transport.ts';
import { startTestLedger } from './test-ledger.ts';
import { testPeer, transfer } from './test-support.ts';

const services: LedgerService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

/** Alice's chain of transfers to Bob, signed once for every test (signing is the slow part). */
let chain: { alice: ReturnType<typeof testPeer>; made: { proposal: HalfBlock; agreement: HalfBlock }[] } | undefined;
function aliceChain(pairs: number) {
  chain ??= { alice: testPeer('alice', 1), made: [] };
  const bob = testPeer('bob', 2);
  bob.chain.push(...chain.made.map((p) => p.agreement));
  while (chain.made.length < pairs) chain.made.push(transfer(chain.alice, bob, 1000n));
  return { alice: chain.alice, made: chain.made.slice(0, pairs) };
}

/**
 * A peer holding Alice's chain of `pairs` transfers to Bob, answering crawl
 * requests as a ledger does, except that `shorten` may cut an answer short
 * (a frame full) or leave a range out (a gap). It records every range asked.
 */
function chainHolder(hub: MemoryHub, pairs: number, shorten: (start: number, blocks: number) => number = (_, n) => n) {
  const { alice, made } = aliceChain(pairs);
  const asked: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const ref = { id: 'holder', publicKey: testPeer('holder', 9).publicKey };
  hub.join(ref).serve(async (_from, m): Promise<LedgerMessage | undefined> => {
    if (m.type !== 'crawl-request') return undefined;
    asked.push(m.start);
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    await new Promise((r) => setTimeout(r, 5)); // a round trip, so that requests overlap
    inFlight--;
    const owned = made.slice(m.start - 1, Math.min(m.end, m.start - 1 + m.limit));
    const kept = owned.slice(0, shorten(m.start, owned.length));
    return { type: 'crawl-response', latestSeq: pairs, blocks: kept.flatMap((p): HalfBlock[] => [p.proposal, p.agreement]) };
  });
  return { ref, alice, asked, mostInFlight: () => mostInFlight };
}

async function crawler(hub: MemoryHub) {
  const carol = await startTestLedger(hub, 'carol', new Uint8Array(32).fill(3), `crawl-chain-${Math.random()}`);
  services.push(carol.ledger);
  hub.connect('carol', 'holder');
  return carol;
}

describe('LedgerService.crawlChain', () => {
  it('fetches several pages at once and stores a long chain whole, in batches, reporting progress', async () => {
    const hub = new MemoryHub();
    // More pages than are asked for at once, more blocks than one batch.
    const length = CRAWL_INGEST_BLOCKS / 2 + MAX_CRAWL_BLOCKS + 17;
    const holder = chainHolder(hub, length);
    const carol = await crawler(hub);
    const progress: number[] = [];
    expect(await carol.ledger.crawlChain(holder.ref, holder.alice.publicKey, (fetched) => progress.push(fetched))).toBe(length);
    expect((await carol.store.range(holder.alice.publicKey, 1, length)).map((b) => b.sequenceNumber)).toEqual(Array.from({ length }, (_, i) => i + 1));
    expect(await carol.store.agreementsFor(holder.alice.publicKey, length)).toHaveLength(1);
    expect(holder.mostInFlight()).toBe(CRAWL_PAGES_IN_FLIGHT);
    // Each range asked once, in order; progress after each batch of about CRAWL_INGEST_BLOCKS blocks.
    expect(holder.asked).toEqual(Array.from({ length: Math.ceil(length / MAX_CRAWL_BLOCKS) }, (_, i) => 1 + i * MAX_CRAWL_BLOCKS));
    expect(progress.at(-1)).toBe(length);
    expect(progress.length).toBe(Math.ceil((2 * length) / CRAWL_INGEST_BLOCKS));
    // Every page went in one session (one stream on libp2p), ended when the crawl was.
    await vi.waitFor(() => expect(hub.sessionLog).toEqual([{ from: 'carol', to: 'holder', requests: holder.asked.length, closed: true }]));
  });

  it('asks again for the rest of an answer cut short, before the pages after it', async () => {
    const hub = new MemoryHub();
    const length = 5 * MAX_CRAWL_BLOCKS;
    const holder = chainHolder(hub, length, (start, n) => (start === MAX_CRAWL_BLOCKS + 1 ? 30 : n));
    const carol = await crawler(hub);
    expect(await carol.ledger.crawlChain(holder.ref, holder.alice.publicKey)).toBe(length);
    expect(holder.asked).toContain(MAX_CRAWL_BLOCKS + 31);
    expect((await carol.store.range(holder.alice.publicKey, 1, length))).toHaveLength(length);
  });

  it('stops at a range the holder does not have: nothing after a gap is asked for or stored', async () => {
    const hub = new MemoryHub();
    const length = 7 * MAX_CRAWL_BLOCKS;
    const gapAt = 2 * MAX_CRAWL_BLOCKS + 1;
    const holder = chainHolder(hub, length, (start, n) => (start === gapAt ? 0 : n));
    const carol = await crawler(hub);
    expect(await carol.ledger.crawlChain(holder.ref, holder.alice.publicKey)).toBe(gapAt - 1);
    expect((await carol.store.latest(holder.alice.publicKey))?.sequenceNumber).toBe(gapAt - 1);
    // The pages already in flight when the gap showed are dropped, and no more are asked for.
    expect(Math.max(...holder.asked)).toBeLessThan(gapAt + CRAWL_PAGES_IN_FLIGHT * MAX_CRAWL_BLOCKS);
  });
});
