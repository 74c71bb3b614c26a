/**
 * Signed payment receipts along a circuit, between real tabs: a relay that
 * keeps the tokens it should pass on is named to the originator, which
 * avoids it for new paths, not only cut by the hop after it.
 */
import { expect, test } from './support/fixtures.ts';
import { circuits, hooksReady } from './support/ledger.ts';
import type { PeerPage } from './support/peer-page.ts';

const MiB = 1024 * 1024;

test('the originator names the first relay that keeps its payments, with the next hop cutting the circuit as before', async ({ openPeer }) => {
  const peers: PeerPage[] = await Promise.all(Array.from({ length: 4 }, () => openPeer()));
  const ids = await Promise.all(peers.map((p) => p.peerId()));
  for (const [i, p] of peers.entries()) {
    await hooksReady(p.page);
    await p.expectDirectPeers(ids.filter((_, j) => j !== i));
  }
  const [origin, keeper, next] = peers;
  const keys = await Promise.all(peers.map((p) => circuits<string>(p.page, 'publicKey')));
  await circuits(keeper!.page, 'setWithholdPayments', true);
  // ~1.5 MiB/s through the keeper: the next hop's 32 MiB window lasts ~20 s, long enough for its receipts to count.
  await circuits(keeper!.page, 'setRelayCap', 1536);
  await expect(circuits(origin!.page, 'probe', ids[3], [ids[1], ids[2]], 96 * MiB)).rejects.toThrow(/unpaid/);
  await expect.poll(() => circuits<string[]>(origin!.page, 'keepers')).toEqual([keys[1]]);
  // The next hop and the far end are not named.
  expect(await circuits<string[]>(origin!.page, 'keepers')).not.toContain(keys[2]);
  expect(next).toBeDefined();
});
