/**
 * A relay's tables against a greedy neighbour, in real tabs: one tab parks as
 * many circuits at a rendezvous point as it may, and two other tabs still meet
 * there. The greedy tab only uses the protocol; the rules that bound it are
 * the relay's (src/circuits/relay-tables.ts).
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from './support/fixtures.ts';
import { directMesh, hooks } from './support/ledger.ts';

/** MAX_RENDEZVOUS and MAX_RENDEZVOUS_PER_NEIGHBOUR in src/circuits/constants.ts. */
const TABLE = 64;
const SHARE = 16;
const tables = hooks('relayTables');
const cookie = () => randomBytes(20).toString('hex');

test('a rendezvous table filled by one neighbour still serves another, and the greedy one is told it is full', async ({ openPeer }) => {
  const [rp, greedy, seeder, downloader] = await Promise.all([openPeer(), openPeer(), openPeer(), openPeer()]);
  const [rpId] = await directMesh([rp, greedy, seeder, downloader]);

  // The greedy tab tries to take the whole table (MAX_RENDEZVOUS places): it keeps its share, the rest is refused at once.
  await tables(greedy.page, 'park', rpId!, Array.from({ length: TABLE }, cookie));
  await expect.poll(() => tables(greedy.page, 'tally'), { message: 'waits past its share are refused, not left to time out' }).toEqual({ waiting: SHARE, joined: 0, refused: TABLE - SHARE });

  const meeting = cookie();
  await tables(seeder.page, 'park', rpId!, [meeting]);
  await tables(downloader.page, 'join', rpId!, meeting, 'hello through the rendezvous');
  await expect.poll(() => tables<string>(seeder.page, 'outcome', meeting)).toBe('joined');
  await expect.poll(() => tables<string[]>(seeder.page, 'received')).toEqual(['hello through the rendezvous']);
});
