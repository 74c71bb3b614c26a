/**
 * TrustChain in real tabs: dual-signed pairs in both chains, crawling,
 * fraud exposure and sanctions, crash safety, and one signature rule.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from './support/fixtures.ts';
import { hooksReady, ledger, directMesh } from './support/ledger.ts';
import type { PeerPage } from './support/peer-page.ts';

interface Row {
  seq: number;
  outcome: string;
  linked: boolean;
  up?: string;
  down?: string;
  counterparty: string;
}

async function mesh(peers: PeerPage[]): Promise<{ ids: string[]; keys: string[] }> {
  const ids = await directMesh(peers);
  const keys = await Promise.all(peers.map((p) => ledger<string>(p.page, 'publicKey')));
  return { ids, keys };
}

test('two tabs record transfers as dual-signed pairs that survive a reload; a third tab crawls and validates them', async ({ openPeer }) => {
  const [alice, bob, carol] = await Promise.all([openPeer(), openPeer(), openPeer()]);
  const { ids, keys } = await mesh([alice, bob, carol]);
  await ledger(bob.page, 'acceptAll');
  for (const bytes of [4096, 1000, 50]) await ledger(alice.page, 'pay', ids[1], bytes);

  for (const p of [alice, bob]) {
    await p.page.reload();
    await hooksReady(p.page);
  }
  const aliceChain = await ledger<Row[]>(alice.page, 'inspect', keys[0]);
  const bobChain = await ledger<Row[]>(bob.page, 'inspect', keys[1]);
  expect(aliceChain.map((r) => [r.seq, r.up, r.linked])).toEqual([[3, '50', true], [2, '1000', true], [1, '4096', true]]);
  expect(bobChain.map((r) => [r.seq, r.down, r.linked])).toEqual([[3, '50', true], [2, '1000', true], [1, '4096', true]]);
  expect(aliceChain.every((r) => r.outcome !== 'invalid' && r.counterparty === keys[1])).toBe(true);
  // Both halves are in both stores.
  expect((await ledger<Row[]>(bob.page, 'inspect', keys[0])).map((r) => r.seq)).toEqual([3, 2, 1]);

  // The ledger page shows the balance and the chain.
  await alice.page.goto(`${alice.url}#/ledger`);
  await expect(alice.page.getByTestId('balance-net')).toHaveAttribute('data-bytes', String(4096 + 1000 + 50));
  await expect(alice.page.locator('[data-testid="chain-row"][data-linked="true"]')).toHaveCount(3);
  await bob.page.goto(`${bob.url}#/ledger`);
  await expect(bob.page.getByTestId('balance-net')).toHaveAttribute('data-bytes', String(-(4096 + 1000 + 50)));
  // Beside alice's balance, bob's page shows her trusted standing: she gave him every byte she gave, so it is exactly that, and not untrusted.
  const aliceOnBob = bob.page.locator(`[data-testid="peer-row"][data-key="${keys[0]}"]`);
  await expect(aliceOnBob.getByTestId('peer-standing')).toHaveAttribute('data-bytes', String(4096 + 1000 + 50));
  await expect(aliceOnBob.getByTestId('peer-balance')).toHaveAttribute('data-bytes', String(4096 + 1000 + 50));
  await expect(aliceOnBob).toHaveAttribute('data-untrusted', 'false');

  // A third tab crawls alice's chain from bob and validates every block.
  await carol.expectDirectPeers([ids[1]!]);
  expect(await ledger<number>(carol.page, 'crawlChain', ids[1], keys[0])).toBe(3);
  const crawled = await ledger<Row[]>(carol.page, 'inspect', keys[0]);
  expect(crawled.map((r) => [r.seq, r.linked])).toEqual([[3, true], [2, true], [1, true]]);
  expect(crawled.map((r) => r.outcome)).toEqual(['partial-next', 'valid', 'valid']);
});

test('a tab forced to double-sign is exposed: every tab verifies the proof and refuses it', async ({ openPeer }) => {
  const peers = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  const [mallory, bob, carol, dave] = peers;
  const { ids, keys } = await mesh(peers);
  for (const p of [bob, carol, dave]) await ledger(p.page, 'acceptAll');
  await ledger(mallory!.page, 'forgeDoubleSign', ids[1], ids[2]);

  for (const p of [bob!, carol!, dave!]) {
    await expect.poll(() => ledger<boolean>(p.page, 'isFraudster', keys[0]), { message: 'fraud proof received and verified' }).toBe(true);
    await p.page.goto(`${p.url}#/ledger`);
    await expect(p.page.getByTestId('fraudster')).toHaveCount(1);
  }
  expect(await ledger<string>(mallory!.page, 'payError', ids[3], 10)).toContain('fraudster');
  expect(await ledger<string>(dave!.page, 'payError', ids[0], 10)).toContain('FraudsterError');
  // Honest peers keep transacting with each other.
  expect(await ledger<string>(dave!.page, 'payError', ids[1], 10)).toBe('accepted');
});

test('a crash between committing a proposal and sending it never reuses its sequence number', async ({ openPeer }) => {
  const [alice, bob] = await Promise.all([openPeer(), openPeer()]);
  const { ids, keys } = await mesh([alice, bob]);
  await ledger(bob.page, 'acceptAll');
  await ledger(alice.page, 'pay', ids[1], 100);
  await ledger(alice.page, 'crashAfterNextCommit');
  // The page reloads between the durable commit and the send; the call dies with it.
  await ledger(alice.page, 'pay', ids[1], 200).catch(() => undefined);
  await hooksReady(alice.page);
  await alice.expectDirectPeers([ids[1]!]);
  const { proposalSeq } = await ledger<{ proposalSeq: number }>(alice.page, 'pay', ids[1], 300);
  expect(proposalSeq).toBe(3);
  const chain = await ledger<Row[]>(alice.page, 'inspect', keys[0]);
  expect(chain.map((r) => [r.seq, r.linked])).toEqual([[3, true], [2, false], [1, true]]);
  expect(await ledger<boolean>(bob.page, 'isFraudster', keys[0])).toBe(false);
});

test('native WebCrypto and noble give the same verdicts on Ed25519 edge cases in Chromium', async ({ openPeer }) => {
  const peer = await openPeer();
  await hooksReady(peer.page);
  expect(await ledger<string>(peer.page, 'engine')).toBe('webcrypto');
  const { native, noble, expected } = await ledger<{ native: boolean[] | null; noble: boolean[]; expected: boolean[] }>(peer.page, 'compareEngines');
  expect(native).toEqual(expected);
  expect(noble).toEqual(expected);
});

test('an identity restored from its backup continues its chain instead of forking it', async ({ openPeer }) => {
  const [alice, bob] = await Promise.all([openPeer(), openPeer()]);
  const { ids, keys } = await mesh([alice, bob]);
  await ledger(bob.page, 'acceptAll');
  await ledger(alice.page, 'pay', ids[1], 100);
  await ledger(alice.page, 'pay', ids[1], 200);

  await alice.page.goto(`${alice.url}#/identity`);
  await alice.page.getByTestId('export').click();
  const downloading = alice.page.waitForEvent('download');
  await alice.page.getByTestId('export-confirm').click();
  const file = await readFile((await (await downloading).path())!);
  await alice.context.close();

  const restored = await openPeer();
  await restored.page.goto(`${restored.url}#/identity`);
  await restored.page.getByTestId('import-file').setInputFiles({ name: 'backup.json', mimeType: 'application/json', buffer: file });
  await expect(restored.page.getByTestId('fingerprint')).toHaveAttribute('data-peer-id', ids[0]!);
  await restored.page.goto(`${restored.url}#/network`);
  await hooksReady(restored.page);
  await restored.expectDirectPeers([ids[1]!]);
  const { proposalSeq } = await ledger<{ proposalSeq: number }>(restored.page, 'pay', ids[1], 300);
  expect(proposalSeq).toBe(3);
  expect((await ledger<Row[]>(restored.page, 'inspect', keys[0])).map((r) => [r.seq, r.linked])).toEqual([[3, true], [2, true], [1, true]]);
  expect(await ledger<boolean>(bob.page, 'isFraudster', keys[0])).toBe(false);
});
