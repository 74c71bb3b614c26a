/**
 * A relay names, to a tab that asks, a random few of the peers that hold a
 * reservation with it (the tab dials them through the relay, even while its
 * own reservation is still on the way), at most a few times a minute per
 * connection. Real sockets on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { RELAY_DEFAULTS } from './config.ts';
import { RELAY_PEX } from './limits.ts';
import { startRelay, type Relay } from './relay.ts';
import { HOP_STATUS, reserve } from './test-support.ts';
import { requestPex } from '../src/net/pex/pex.ts';
import { RELAY_PEERS_PROTOCOL } from '../src/net/protocols.ts';
import { seededRandom } from '../src/reputation/prng.ts';

/** More peers than one answer names, so that the sample is a sample. */
const RESERVED = RELAY_PEX.peers + 3;

let relay: Relay;
/** The relay's clock runs this far ahead of the wall clock: the tests move it past a window. */
let skewMs = 0;
const clients: Libp2p[] = [];

const client = async (): Promise<Libp2p> => {
  const node = await createLibp2p({ transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } });
  clients.push(node);
  return node;
};

beforeAll(async () => {
  // A seeded sample: whether eight answers differ does not rest on chance.
  const config = { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] };
  relay = await startRelay(config, await generateKeyPair('Ed25519'), () => undefined, () => Date.now() + skewMs, {}, seededRandom(20261204));
});

afterAll(async () => {
  for (const c of clients) await c.stop();
  await relay?.stop();
});

describe('relay PEX', () => {
  it('names a random few of the peers reserved with it, never the asker, and no one who is only connected', async () => {
    const relayAddr = relay.node.getMultiaddrs()[0]!;
    const reserved = await Promise.all(Array.from({ length: RESERVED }, () => client()));
    for (const r of reserved) expect(await reserve(r, relayAddr)).toBe(HOP_STATUS.OK);
    const onlyConnected = await client();
    await onlyConnected.dial(relayAddr);
    const reservedIds = new Set(reserved.map((r) => r.peerId.toString()));

    // An asker that holds a reservation itself is left out of its own answer; the others hold none.
    const asker = reserved[0]!;
    const askers = [asker, ...(await Promise.all(Array.from({ length: 7 }, () => client())))];
    const answers = [];
    for (const a of askers) answers.push(await requestPex(await a.dial(relayAddr)));
    for (const [i, learned] of answers.entries()) {
      expect(learned).toHaveLength(RELAY_PEX.peers);
      const ids = learned.map((p) => p.peerId.toString());
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(reservedIds.has(id) && id !== askers[i]!.peerId.toString()).toBe(true);
      // Entries carry no addresses: a peer named by a relay is reached through that relay.
      for (const p of learned) expect(p.addrs).toEqual([]);
    }
    // Each answer is drawn afresh: eight answers of 8 among 10 or 11 peers are not all the same 8.
    expect(new Set(answers.flat().map((p) => p.peerId.toString())).size).toBeGreaterThan(RELAY_PEX.peers);
  });

  it('answers a connection a few times a window, refuses (and counts) the rest, and answers again in the next window', async () => {
    const relayAddr = relay.node.getMultiaddrs()[0]!;
    const asker = await client();
    const connection = await asker.dial(relayAddr);
    const { count, windowMs } = RELAY_PEX.answersPerConnection;
    const refusedBefore = relay.health().refused.pexAnswers;
    // Past the list's age, so the answers below sample every reservation there is.
    skewMs += RELAY_PEX.listAgeMs;
    for (let i = 0; i < count; i++) expect((await requestPex(connection)).length).toBeGreaterThan(0);
    // One more in the window is refused, on the federated relays' protocol too (one budget for both).
    await expect(requestPex(connection)).rejects.toThrow();
    await expect(requestPex(connection, RELAY_PEERS_PROTOCOL)).rejects.toThrow();
    expect(relay.health().refused.pexAnswers - refusedBefore).toBe(2);
    expect(connection.status).toBe('open');
    // A new connection has its own budget (new connections are rate-limited per host).
    expect((await requestPex(await client().then((c) => c.dial(relayAddr)))).length).toBeGreaterThan(0);
    skewMs += windowMs;
    expect((await requestPex(connection)).length).toBeGreaterThan(0);
  });

  it('names its own peers only to a relay that samples it, never those of the relays it federates with', async () => {
    const relayAddr = relay.node.getMultiaddrs()[0]!;
    const asker = await client();
    const learned = await requestPex(await asker.dial(relayAddr), RELAY_PEERS_PROTOCOL);
    expect(learned.length).toBe(RELAY_PEX.peers);
    for (const p of learned) expect(p.addrs).toEqual([]);
  });
});
