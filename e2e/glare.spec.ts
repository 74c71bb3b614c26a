/**
 * Two tabs that announce a swarm to the tracker at the same moment each
 * answer the other's WebRTC offer: two connections for one pair ("glare").
 * They must end with one wire, not none (src/sharing/glare.ts).
 */
import { expect, test } from './support/fixtures.ts';
import { hooksReady } from './support/ledger.ts';
import { expectSeeding, sharing } from './support/sharing.ts';

test('two tabs that announce a swarm at the same moment still connect within one round', async ({ openPeer }) => {
  const [seeder, leecher] = await Promise.all([openPeer(), openPeer()]);
  for (const p of [seeder, leecher]) await hooksReady(p!.page);
  const file = await sharing<{ infoHash: string; magnet: string }>(seeder!.page, 'seedGenerated', 1024 * 1024, 'glare.bin', 81);
  for (let round = 0; round < 3; round++) {
    // The leecher joins while the seeder asks the tracker again: both send offers within a few ms of each other.
    const adding = sharing(leecher!.page, 'add', file.magnet);
    await sharing(seeder!.page, 'announceNow', file.infoHash);
    // Within the round: the tracker's interval is 30 s, so a glare left unbroken would wait at least that long.
    await expectSeeding(leecher!.page, file.infoHash, 20_000);
    await adding;
    await sharing(leecher!.page, 'remove', file.infoHash);
    await expect.poll(async () => (await sharing<{ peerId: string }[]>(seeder!.page, 'swarmPeers', file.infoHash)).length, { timeout: 20_000 }).toBe(0);
  }
});
