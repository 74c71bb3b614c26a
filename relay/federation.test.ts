/**
 * Relays federated with --peer name each other's peers and each other to the
 * tabs that ask, so a browser on one relay learns of browsers on the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { RELAY_DEFAULTS, type RelayConfig } from './config.ts';
import { startRelay, type Relay } from './relay.ts';
import { RELAYS_PROTOCOL } from '../src/net/protocols.ts';
import { requestPex } from '../src/net/pex/pex.ts';
import { HOP_STATUS, reserve } from './test-support.ts';
import { RELAY_PEX, type RelayLimits } from './limits.ts';
import { ping } from '@libp2p/ping';
import { LEARNED_RELAY_ATTEMPTS } from './federation.ts';
import { RELAY_DHT_PROTOCOL, relayDht } from './relay-dht.ts';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';

const quiet = (m: string): void => { if (process.env.RELAY_LOG) console.log(m); };
/** Relays that federate with the relays they are configured with only, none met through the DHT. */
const configuredOnly = { learnedRelays: 0 };

function config(peers: string[]): RelayConfig {
  return { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers };
}

async function client(): Promise<Libp2p> {
  return createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('relay federation', () => {
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('names to a tab peers reserved at the relays it federates with (half its answer), reached through them', async () => {
    const a: Relay = await startRelay(config([]), await generateKeyPair('Ed25519'), quiet);
    stops.push(() => a.stop());
    const aAddr = a.node.getMultiaddrs()[0]!;
    const atA = await Promise.all(Array.from({ length: 6 }, () => client()));
    stops.push(...atA.map((c) => () => c.stop()));
    for (const c of atA) expect(await reserve(c, aAddr)).toBe(HOP_STATUS.OK);
    // b is configured with a, and asks it for its peers as it federates.
    const b: Relay = await startRelay(config([aAddr.toString()]), await generateKeyPair('Ed25519'), quiet);
    stops.push(() => b.stop());
    const bAddr = b.node.getMultiaddrs()[0]!;
    const atB = await Promise.all(Array.from({ length: 6 }, () => client()));
    stops.push(...atB.map((c) => () => c.stop()));
    for (const c of atB) expect(await reserve(c, bAddr)).toBe(HOP_STATUS.OK);
    await until('b federated', () => b.health().federated === 1);

    const ids = (cs: Libp2p[]) => new Set(cs.map((c) => c.peerId.toString()));
    const tab = await client();
    stops.push(() => tab.stop());
    let learned: Awaited<ReturnType<typeof requestPex>> = [];
    // b's list of its reservations may be a second old (RELAY_PEX.listAgeMs): a asked b for its peers as it met b.
    await until('b names peers of a, and a full answer', async () => {
      learned = await requestPex(await tab.dial(bAddr));
      await tab.hangUp(bAddr);
      return learned.some((p) => ids(atA).has(p.peerId.toString())) && learned.length === RELAY_PEX.peers;
    });
    expect(learned).toHaveLength(RELAY_PEX.peers);
    const elsewhere = learned.filter((p) => ids(atA).has(p.peerId.toString()));
    expect(elsewhere).toHaveLength(RELAY_PEX.peers / 2);
    // Each through a, at the address b was configured with; b's own peers carry no address (reached through b).
    for (const p of elsewhere) expect(p.addrs.map(String)).toEqual([`${aAddr.toString()}/p2p-circuit/webrtc/p2p/${p.peerId.toString()}`]);
    for (const p of learned.filter((x) => !ids(atA).has(x.peerId.toString()))) expect(ids(atB).has(p.peerId.toString()) && p.addrs.length === 0).toBe(true);
  });

  it('tells a federated relay its own peers only, never the peers it learnt from others', async () => {
    // Configured federation only: through the DHT, b would meet c and sample it itself.
    const start = async (peers: string[]): Promise<Relay> => {
      const r = await startRelay(config(peers), await generateKeyPair('Ed25519'), quiet, Date.now, configuredOnly);
      stops.push(() => r.stop());
      return r;
    };
    const reserveAt = async (r: Relay, n: number): Promise<Set<string>> => {
      const cs = await Promise.all(Array.from({ length: n }, () => client()));
      stops.push(...cs.map((c) => () => c.stop()));
      for (const c of cs) expect(await reserve(c, r.node.getMultiaddrs()[0]!)).toBe(HOP_STATUS.OK);
      return new Set(cs.map((c) => c.peerId.toString()));
    };
    const c = await start([]);
    const atC = await reserveAt(c, 6);
    const a = await start([c.node.getMultiaddrs()[0]!.toString()]);
    const atA = await reserveAt(a, 6);
    const tab = await client();
    stops.push(() => tab.stop());
    const ask = async (r: Relay): Promise<string[]> => {
      const ids = (await requestPex(await tab.dial(r.node.getMultiaddrs()[0]!))).map((p) => p.peerId.toString());
      await tab.hangUp(r.node.getMultiaddrs()[0]!);
      return ids;
    };
    // a holds a sample of c's peers: a tab asking a is told some of them.
    await until('a names peers of c', async () => (await ask(a)).some((id) => atC.has(id)));
    // b federates with a: a must not pass c's peers on to b as its own, so b's tabs learn a's peers and b's only.
    const b = await start([a.node.getMultiaddrs()[0]!.toString()]);
    const atB = await reserveAt(b, 6);
    await until('b names peers of a', async () => (await ask(b)).some((id) => atA.has(id)));
    for (let i = 0; i < 5; i++) for (const id of await ask(b)) expect(atA.has(id) || atB.has(id)).toBe(true);
  });

  it('names to a tab the relays it federates with, at the address it was configured with, while they are connected', async () => {
    const a: Relay = await startRelay(config([]), await generateKeyPair('Ed25519'), quiet, Date.now, configuredOnly);
    stops.push(() => a.stop());
    const aAddr = a.node.getMultiaddrs()[0]!;
    // Configured without the id: the relay learns it on dialling, and names the address with it.
    const bare = aAddr.decapsulateCode(421).toString();
    const b: Relay = await startRelay(config([bare]), await generateKeyPair('Ed25519'), quiet, Date.now, configuredOnly);
    stops.push(() => b.stop());
    await until('b federated', () => b.health().federated === 1);
    const tab = await client();
    stops.push(() => tab.stop());
    const named = await requestPex(await tab.dial(b.node.getMultiaddrs()[0]!), RELAYS_PROTOCOL);
    expect(named.map((r) => [r.peerId.toString(), r.addrs.map(String)])).toEqual([[a.node.peerId.toString(), [`${bare}/p2p/${a.node.peerId.toString()}`]]]);
    // a names nobody: b dialled it, a was not configured with b (and takes no relay from the DHT here).
    expect(await requestPex(await tab.dial(aAddr), RELAYS_PROTOCOL)).toEqual([]);
    // Once a is gone, b no longer names it.
    await a.stop();
    await until('b lost a', () => b.health().federated === 0);
    const fresh = await client();
    stops.push(() => fresh.stop());
    expect(await requestPex(await fresh.dial(b.node.getMultiaddrs()[0]!), RELAYS_PROTOCOL)).toEqual([]);
  });

  describe('relays met through their DHT', () => {
    const start = async (peers: string[], limits: Partial<RelayLimits> = {}, log = quiet): Promise<Relay> => {
      const r = await startRelay(config(peers), await generateKeyPair('Ed25519'), log, Date.now, limits, () => 0);
      stops.push(() => r.stop());
      return r;
    };
    const addrOf = (r: Relay): string => r.node.getMultiaddrs()[0]!.toString();
    const namedBy = async (r: Relay): Promise<[string, string[]][]> => {
      const tab = await client();
      try {
        return (await requestPex(await tab.dial(r.node.getMultiaddrs()[0]!), RELAYS_PROTOCOL)).map((p) => [p.peerId.toString(), p.addrs.map(String)]);
      } finally {
        await tab.stop();
      }
    };

    it('each configured with one other relay only, three relays all federate, and name one another at the address each listens on', async () => {
      const a = await start([]);
      const b = await start([addrOf(a)]);
      const c = await start([addrOf(a)]);
      // a meets b and c as they dial it; b and c meet through a, looking themselves up in the DHT.
      await until('all federated', () => [a, b, c].every((r) => r.health().federated === 2), 20_000);
      expect((await namedBy(b)).sort()).toEqual([[a.node.peerId.toString(), [addrOf(a)]], [c.node.peerId.toString(), [addrOf(c)]]].sort());
    });

    it('takes no peer for a relay that tabs could not dial: one that claims the protocol with no WebSocket address', async () => {
      const a = await start([]);
      const claimant = await createLibp2p({
        transports: [webSockets()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), ping: ping(), dht: relayDht(true) },
      });
      stops.push(() => claimant.stop());
      await claimant.services.dht.setMode('server');
      await claimant.dial(a.node.getMultiaddrs()[0]!);
      await until('a identified the claimant', async () => (await a.node.peerStore.get(claimant.peerId).catch(() => undefined))?.protocols.includes(RELAY_DHT_PROTOCOL) === true);
      expect(a.health().federated).toBe(0);
      expect(await namedBy(a)).toEqual([]);
    });

    it('federates with at most learnedRelays of them, and gives the place of one that left to the next it met', async () => {
      const lines: string[] = [];
      const a = await start([], { learnedRelays: 1 }, (m) => void lines.push(m));
      const c = await start([addrOf(a)]);
      await until('a federated with c', () => a.health().federated === 1);
      const d = await start([addrOf(a)]);
      await until('d federated with a and c', () => d.health().federated === 2, 20_000);
      expect((await namedBy(a)).map(([id]) => id)).toEqual([c.node.peerId.toString()]);
      // c leaves: a tries it LEARNED_RELAY_ATTEMPTS times, forgets it, and federates with d instead.
      const cAddr = addrOf(c);
      await c.stop();
      await until('a federated with d', async () => (await namedBy(a)).map(([id]) => id).join() === d.node.peerId.toString(), 20_000);
      expect(lines.filter((l) => l.startsWith(`cannot reach relay ${cAddr}`))).toHaveLength(LEARNED_RELAY_ATTEMPTS);
    });

    it('keeps nothing a stranger asks the relays\' DHT to store: a provider record goes where values go, nowhere', async () => {
      const a = await start([]);
      // DHT clients, so each query goes to a alone (a server would be in a's routing table, and asked); a provider must name an address.
      const dhtClient = async (): Promise<Libp2p<{ dht: KadDHT }>> => {
        const n = await createLibp2p({
          addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
          transports: [webSockets()],
          connectionEncrypters: [noise()],
          streamMuxers: [yamux()],
          services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: RELAY_DHT_PROTOCOL, clientMode: true, peerInfoMapper: passthroughMapper }) },
        });
        stops.push(() => n.stop());
        await n.dial(a.node.getMultiaddrs()[0]!);
        return n;
      };
      const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('anything at all')));
      // The writer's queries wait until a is in its routing table; a is then the one peer told to keep the record.
      const told: string[] = [];
      for await (const e of (await dhtClient()).services.dht.provide(cid)) if (e.name === 'PEER_RESPONSE') told.push(e.from.toString());
      expect(told).toContain(a.node.peerId.toString());
      const found: string[] = [];
      for await (const e of (await dhtClient()).services.dht.findProviders(cid)) if (e.name === 'PROVIDER') found.push(...e.providers.map((p) => p.id.toString()));
      expect(found).toEqual([]);
    });
  });
});
